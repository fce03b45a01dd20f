//! Policy documents as AWS hands them out: URL-encoded JSON text (the raw API)
//! or a JSON object (the CLI, which decodes them). Both become a JSON value.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Turns a policy document field into a JSON object.
///
/// Accepts an object, a JSON string holding JSON text, or a URL-encoded JSON
/// string. Returns a message (without location; the caller knows the file
/// and role) when the value is none of these.
pub fn decode(value: &Value) -> Result<Value, String> {
    match value {
        Value::Object(_) => Ok(value.clone()),
        Value::String(text) => {
            let trimmed = text.trim_start();
            // The API percent-encodes the whole document, so an encoded
            // document starts with %7B; a plain one starts with '{'.
            let decoded = if trimmed.starts_with('{') {
                text.clone()
            } else {
                percent_decode_str(text)
                    .decode_utf8()
                    .map_err(|e| format!("URL-encoded document is not UTF-8: {e}"))?
                    .into_owned()
            };
            match serde_json::from_str::<Value>(&decoded) {
                Ok(v @ Value::Object(_)) => Ok(v),
                Ok(_) => Err("document is not a JSON object".to_string()),
                Err(e) => Err(format!("document is not valid JSON: {e}")),
            }
        }
        Value::Null => Err("document is missing (null)".to_string()),
        other => Err(format!(
            "expected a JSON object or string, found {}",
            kind(other)
        )),
    }
}

/// [`decode`] for a field kept as JSON text: an object is parsed once, straight
/// from its text; a string goes through [`decode`].
pub fn decode_text(doc: &crate::source::aws_json::DocText) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(doc.json()).map_err(|e| format!("document is not valid JSON: {e}"))?;
    match value {
        Value::Object(_) => Ok(value),
        other => decode(&other),
    }
}

/// Normalized JSON text: compact with object keys sorted, so equal documents
/// compare equal as text. Sorted explicitly rather than relying on
/// serde_json's default map, which any crate in the tree can switch to
/// insertion order with the `preserve_order` feature.
pub fn normalize(doc: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_sorted(doc, &mut out);
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes `v` as compact JSON with every object's keys sorted, straight into
/// `out`: a policy document is normalized for every role that carries one,
/// and building a sorted copy of the value first cost an allocation per
/// string.
fn write_sorted(v: &Value, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail, nor can serializing a string or a
    // number, so the results below are always Ok.
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, k);
                out.push(b':');
                write_sorted(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// The number of statements in a document (one object counts as one).
pub fn statement_count(doc: &Value) -> usize {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.len(),
        Some(Value::Object(_)) => 1,
        _ => 0,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_object_plain_string_and_url_encoded() {
        let obj = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
        let plain = Value::String(obj.to_string());
        let encoded = Value::String(
            percent_encoding::utf8_percent_encode(
                &obj.to_string(),
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string(),
        );
        assert_eq!(decode(&obj).unwrap(), obj);
        assert_eq!(decode(&plain).unwrap(), obj);
        assert_eq!(decode(&encoded).unwrap(), obj);
    }

    /// Documents kept as JSON text (`DocText`, as the fixtures and the live
    /// collector hold them) decode exactly as the values they spell.
    #[test]
    fn text_fields_decode_like_values() {
        use crate::source::aws_json::DocText;
        let obj = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
        let field = |v: &Value| -> DocText { serde_json::from_str(&v.to_string()).unwrap() };
        let encoded = percent_encoding::utf8_percent_encode(
            &obj.to_string(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        for v in [
            obj.clone(),
            Value::String(obj.to_string()),
            Value::String(encoded.clone()),
        ] {
            assert_eq!(decode_text(&field(&v)).unwrap(), obj, "{v}");
        }
        // The live collector's fields: the API's text, or null when absent.
        assert_eq!(decode_text(&DocText::from_api(Some(encoded))).unwrap(), obj);
        assert!(
            decode_text(&DocText::from_api(None))
                .unwrap_err()
                .contains("missing")
        );
        assert!(
            decode_text(&field(&json!(42)))
                .unwrap_err()
                .contains("a number")
        );
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert!(
            decode(&json!("%7B%22Version"))
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(decode(&json!(42)).unwrap_err().contains("a number"));
        assert!(
            decode(&json!("[1]"))
                .unwrap_err()
                .contains("not valid JSON")
                || decode(&json!("[1]")).is_err()
        );
    }

    #[test]
    fn normalizes_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"d":2,"c":3}}"#).unwrap();
        assert_eq!(normalize(&a), r#"{"a":{"c":3,"d":2},"b":1}"#);
        assert_eq!(
            statement_count(&json!({"Statement": {"Effect": "Allow"}})),
            1
        );
    }

    /// Written directly, the text is what serde_json writes for the value
    /// with its keys sorted: escapes, non-ASCII text, numbers, nesting.
    #[test]
    fn normalized_text_is_serde_jsons_for_the_sorted_value() {
        fn sorted_copy(v: &Value) -> Value {
            match v {
                Value::Object(map) => {
                    let mut entries: Vec<_> = map.iter().collect();
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.clone(), sorted_copy(v)))
                            .collect(),
                    )
                }
                Value::Array(items) => Value::Array(items.iter().map(sorted_copy).collect()),
                other => other.clone(),
            }
        }
        let doc = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "quote \" backslash \\ tab \t newline \n nul \u{0} del \u{7f} é ☃ 😀",
                "Effect": "Allow",
                "Action": ["s3:Get*", "s3:List*"],
                "Resource": "arn:aws:s3:::bucket/*",
                "Condition": {
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600, "x:f": 1.5, "x:n": -7},
                    "Bool": {"aws:SecureTransport": false},
                    "Null": {"aws:TokenIssueTime": null},
                    "ForAnyValue:StringEquals": {"Z": [], "a": [{}]}
                }
            }]
        });
        assert_eq!(normalize(&doc), sorted_copy(&doc).to_string());
        assert_eq!(normalize(&json!([])), "[]");
        assert_eq!(normalize(&json!({})), "{}");
        assert_eq!(normalize(&json!("\u{7f}")), "\"\u{7f}\"");
    }
}
