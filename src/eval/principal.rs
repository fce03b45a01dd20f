//! Trust policies: which principals may assume a role.

use serde_json::Value;

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Lists the principals named in the `Principal` of the Allow statements of a trust policy,
/// sorted and deduplicated: AWS principals as written (a bare 12-digit account id becomes
/// `arn:aws:iam::<id>:root`, as IAM stores it), `service:<name>`, `federated:<provider>`,
/// `canonical_user:<id>`, and `*` for everyone (`"Principal": "*"` or `{"AWS": "*"}`).
///
/// This is deliberately lenient (it never fails): malformed parts are skipped, because it
/// describes stored documents rather than validating them. Deny statements and `NotPrincipal`
/// are ignored (they restrict rather than name who is trusted).
pub fn trusted_principals(trust_policy: &Value) -> Vec<String> {
    let statements: Vec<&Value> = match trust_policy.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        match st.get("Principal") {
            Some(Value::String(s)) if s == "*" => out.push("*".to_string()),
            Some(Value::Object(m)) => {
                for (kind, v) in m {
                    for p in strings(v) {
                        let name = match kind.as_str() {
                            "AWS" if p == "*" => "*".to_string(),
                            "AWS" if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) => {
                                format!("arn:aws:iam::{p}:root")
                            }
                            "AWS" => p.to_string(),
                            "Service" => format!("service:{p}"),
                            "Federated" => format!("federated:{p}"),
                            "CanonicalUser" => format!("canonical_user:{p}"),
                            _ => continue,
                        };
                        out.push(name);
                    }
                }
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}
