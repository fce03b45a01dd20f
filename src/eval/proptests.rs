//! Property tests: monotonicity of denies/allows, wildcard matching vs a regex reference, and
//! a no-panic check for the parser (and evaluator) on arbitrary JSON.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::eval::{
    Context, DecisionKind, Policy, PolicySet, Request, RequestResource, evaluate,
    trusted_principals, wildcard_match,
};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:*",
    "*",
    "ec2:*",
    "s3:Get*",
    "iam:PassRole",
    "s3:ListBucket",
    "S3:getobject",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::*/*",
    "arn:aws:iam::*:role/*",
    "arn:aws:s3:::home/${aws:username}/*",
    "arn:aws:ec2:*:*:*",
];
const REQ_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:ListBucket",
    "ec2:RunInstances",
    "iam:PassRole",
];
const REQ_RESOURCES: &[Option<&str>] = &[
    None,
    Some("arn:aws:s3:::b/k"),
    Some("arn:aws:s3:::home/alice/x"),
    Some("arn:aws:iam::1:role/r"),
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalTag/team": "red"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"ForAllValues:StringLike": {"aws:TagKeys": ["env*", "team"]}}))),
        1 => Just(Some(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}))),
        1 => Just(Some(json!({"Null": {"aws:username": "true"}}))),
    ]
}

fn statement(effect: Option<&'static str>) -> impl Strategy<Value = Value> {
    let effect = match effect {
        Some(e) => Just(e).boxed(),
        None => prop_oneof![Just("Allow"), Just("Deny")].boxed(),
    };
    (
        effect,
        proptest::sample::subsequence(ACTIONS, 1..3),
        any::<bool>(),
        proptest::sample::subsequence(RESOURCES, 1..3),
        prop::bool::weighted(0.2),
        condition(),
    )
        .prop_map(
            |(effect, actions, not_action, resources, not_resource, cond)| {
                let mut m = Map::new();
                m.insert("Effect".into(), json!(effect));
                m.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                m.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if let Some(c) = cond {
                    m.insert("Condition".into(), c);
                }
                Value::Object(m)
            },
        )
}

/// Policies as statement lists: identity, optional boundary, SCP levels.
type Shape = (Vec<Vec<Value>>, Option<Vec<Value>>, Vec<Vec<Vec<Value>>>);

fn shape() -> impl Strategy<Value = Shape> {
    let policy = || proptest::collection::vec(statement(None), 0..4);
    (
        proptest::collection::vec(policy(), 0..3),
        proptest::option::of(policy()),
        proptest::collection::vec(proptest::collection::vec(policy(), 1..3), 0..3),
    )
}

fn doc(stmts: &[Value]) -> Value {
    json!({"Version": "2012-10-17", "Statement": stmts})
}

fn compile(s: &Shape) -> (Vec<Policy>, Option<Policy>, Vec<Vec<Policy>>) {
    let p = |id: String, st: &Vec<Value>| {
        Policy::parse(id, &doc(st)).expect("generated policies are valid")
    };
    (
        s.0.iter()
            .enumerate()
            .map(|(i, st)| p(format!("id{i}"), st))
            .collect(),
        s.1.as_ref().map(|st| p("boundary".into(), st)),
        s.2.iter()
            .enumerate()
            .map(|(l, level)| {
                level
                    .iter()
                    .enumerate()
                    .map(|(j, st)| p(format!("scp{l}.{j}"), st))
                    .collect()
            })
            .collect(),
    )
}

fn decide(s: &Shape, action: &str, resource: Option<&str>, ctx: &Context) -> DecisionKind {
    let (identity, boundary, scps) = compile(s);
    let set = PolicySet {
        identity: &identity,
        boundary: boundary.as_ref(),
        scp_levels: &scps,
        ..PolicySet::default()
    };
    let req = Request {
        action,
        resource: resource.map_or(RequestResource::Any, |r| RequestResource::Arn(r.into())),
        context: ctx,
    };
    evaluate(&set, &req).decision
}

fn context() -> impl Strategy<Value = Context> {
    (
        any::<bool>(),
        proptest::option::of(prop_oneof![Just("red"), Just("green")]),
        proptest::option::of(prop_oneof![Just("10.1.2.3"), Just("8.8.8.8")]),
        proptest::option::of(proptest::sample::subsequence(
            vec!["env", "team", "cost"],
            0..3,
        )),
        proptest::option::of(Just("alice")),
    )
        .prop_map(|(unknown, team, ip, tags, user)| {
            let mut c = Context::new().with_absent_keys_unknown(unknown);
            if let Some(t) = team {
                c.insert("aws:PrincipalTag/team", vec![t.into()]);
            }
            if let Some(ip) = ip {
                c.insert("aws:SourceIp", vec![ip.into()]);
            }
            if let Some(tags) = tags {
                c.insert("aws:TagKeys", tags.into_iter().map(String::from).collect());
            }
            if let Some(u) = user {
                c.insert("aws:username", vec![u.into()]);
            }
            c
        })
}

/// Applies `f` to the `target`-th policy (counting identity, boundary, SCPs in order).
fn with_policy(s: &mut Shape, target: usize, f: impl FnOnce(&mut Vec<Value>)) {
    let mut all: Vec<&mut Vec<Value>> = Vec::new();
    all.extend(s.0.iter_mut());
    all.extend(s.1.iter_mut());
    for level in s.2.iter_mut() {
        all.extend(level.iter_mut());
    }
    let n = all.len();
    if n > 0
        && let Some(p) = all.into_iter().nth(target % n)
    {
        f(p);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    const WORDS: &[&str] = &[
        "Version",
        "2012-10-17",
        "Statement",
        "Effect",
        "Allow",
        "Deny",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "Principal",
        "NotPrincipal",
        "Sid",
        "AWS",
        "Service",
        "*",
        "s3:Get*",
        "arn:aws:s3:::*/*",
        "${aws:username}",
        "${x, 'd'}",
        "${",
        "StringEquals",
        "ForAllValues:StringLike",
        "ForAnyValue:StringNotEquals",
        "NumericLessThan",
        "DateLessThanIfExists",
        "IpAddress",
        "10.0.0.0/8",
        "2020-01-01",
        "Null",
        "BinaryEquals",
        "ArnLike",
        "Bool",
        "aws:x",
        "true",
        "é?*",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        proptest::sample::select(WORDS).prop_map(|w| json!(w)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        proptest::sample::select(WORDS).prop_map(String::from),
                        ".{0,6}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn regex_reference(pattern: &str) -> regex::Regex {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).expect("escaped pattern is a valid regex")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_deny_never_increases_permissiveness(
        s in shape(),
        deny in statement(Some("Deny")),
        target in any::<usize>(),
        action in proptest::sample::select(REQ_ACTIONS),
        resource in proptest::sample::select(REQ_RESOURCES),
        ctx in context(),
    ) {
        let before = decide(&s, action, resource, &ctx);
        let mut s2 = s.clone();
        with_policy(&mut s2, target, |p| p.push(deny));
        let after = decide(&s2, action, resource, &ctx);
        prop_assert!(after.permissiveness() <= before.permissiveness(), "{before:?} -> {after:?}");
    }

    #[test]
    fn removing_an_allow_never_increases_permissiveness(
        s in shape(),
        target in any::<usize>(),
        which in any::<usize>(),
        action in proptest::sample::select(REQ_ACTIONS),
        resource in proptest::sample::select(REQ_RESOURCES),
        ctx in context(),
    ) {
        let before = decide(&s, action, resource, &ctx);
        let mut s2 = s.clone();
        with_policy(&mut s2, target, |p| {
            let allows: Vec<usize> = p.iter().enumerate().filter(|(_, v)| v["Effect"] == "Allow").map(|(i, _)| i).collect();
            if !allows.is_empty() {
                p.remove(allows[which % allows.len()]);
            }
        });
        let after = decide(&s2, action, resource, &ctx);
        prop_assert!(after.permissiveness() <= before.permissiveness(), "{before:?} -> {after:?}");
    }

    #[test]
    fn wildcard_agrees_with_regex(pattern in "[ab*?:/é.]{0,8}", input in "[ab:/é.]{0,10}") {
        let re = regex_reference(&pattern);
        prop_assert_eq!(wildcard_match(&pattern, &input), re.is_match(&input), "pattern {:?} input {:?}", pattern, input);
    }

    #[test]
    fn wildcard_matches_its_own_literal_expansions(pattern in "[ab*?]{0,6}", fill in "[ab]{0,3}") {
        // Replacing each `*` by `fill` and each `?` by `a` gives a string the pattern matches.
        let s: String = pattern.chars().map(|c| match c { '*' => fill.clone(), '?' => "a".into(), c => c.to_string() }).collect();
        prop_assert!(wildcard_match(&pattern, &s));
    }

    #[test]
    fn parse_never_panics(v in json_value()) {
        let _ = trusted_principals(&v);
        if let Ok(p) = Policy::parse("fuzz", &v) {
            let ctx = Context::new();
            let policies = [p];
            let set = PolicySet { identity: &policies, boundary: None, scp_levels: &[], ..PolicySet::default()  };
            for action in ["s3:GetObject", "iam:PassRole"] {
                let _ = evaluate(&set, &Request::any(action, &ctx));
                let _ = evaluate(&set, &Request::on(action, "arn:aws:s3:::b/k", &ctx));
            }
        }
    }

    #[test]
    fn parse_never_panics_on_policy_shaped_json(
        stmts in proptest::collection::vec(json_value(), 0..4),
        version in proptest::option::of(json_value()),
    ) {
        let mut m = Map::new();
        m.insert("Statement".into(), Value::Array(stmts));
        if let Some(v) = version {
            m.insert("Version".into(), v);
        }
        let _ = Policy::parse("fuzz", &Value::Object(m));
    }

    #[test]
    fn parse_never_panics_on_mutated_statements(
        base in statement(None),
        field in proptest::sample::select(&["Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "Sid"][..]),
        value in json_value(),
        cond_op in proptest::sample::select(&["StringLike", "NumericEquals", "DateEquals", "IpAddress", "ArnLike", "BinaryEquals", "Null", "Bool", "ForAllValues:StringEquals"][..]),
        cond_value in json_value(),
    ) {
        let mut st = base;
        st[field] = value;
        let mut st2 = st.clone();
        st2["Condition"] = json!({cond_op: {"aws:x": cond_value}});
        for s in [st, st2] {
            if let Ok(p) = Policy::parse("fuzz", &doc(&[s])) {
                let ctx = Context::new();
                let policies = [p];
                let set = PolicySet { identity: &policies, boundary: None, scp_levels: &[], ..PolicySet::default()  };
                let _ = evaluate(&set, &Request::any("s3:GetObject", &ctx));
                let _ = evaluate(&set, &Request::on("s3:GetObject", "arn:aws:s3:::b/k", &ctx));
            }
        }
    }

    #[test]
    fn parse_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Policy::parse_json("fuzz", &bytes);
    }
}
