//! Table-driven unit tests for parsing, conditions, wildcards, variables and evaluation layers.

use serde_json::{Value, json};

use crate::eval::{
    Context, Decision, DecisionKind, Effect, Layer, Policy, PolicyError, PolicySet, Request,
    RequestResource, SimulateRequest, simulate_request, trusted_principals, wildcard_match,
};

fn pol(id: &str, doc: Value) -> Policy {
    match Policy::parse(id, &doc) {
        Ok(p) => p,
        Err(e) => panic!("policy {id} failed to parse: {e}"),
    }
}

fn ctx_of(pairs: &[(&str, &[&str])], unknown: bool) -> Context {
    let mut c = Context::new().with_absent_keys_unknown(unknown);
    for (k, v) in pairs {
        c.insert(*k, v.iter().map(|s| s.to_string()).collect());
    }
    c
}

fn run(identity: &[Policy], action: &str, resource: Option<&str>, ctx: &Context) -> Decision {
    let set = PolicySet {
        identity,
        boundary: None,
        scp_levels: &[],
        ..PolicySet::default()
    };
    let req = Request {
        action,
        resource: resource.map_or(RequestResource::Any, |r| {
            RequestResource::Arn(r.to_string())
        }),
        context: ctx,
    };
    crate::eval::evaluate(&set, &req)
}

/// Allow * on * with one condition operator; returns the decision kind for `ctx`.
fn cond(op: &str, key: &str, values: Value, ctx: &Context) -> DecisionKind {
    let p = pol(
        "c",
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {op: {key: values}}}}),
    );
    run(&[p], "s3:GetObject", None, ctx).decision
}

const T: DecisionKind = DecisionKind::Allowed;
const F: DecisionKind = DecisionKind::ImplicitDeny;
const U: DecisionKind = DecisionKind::ConditionallyAllowed;

#[test]
fn condition_operators_table() {
    // (operator, policy values, context values (None = key absent), expected) with
    // absent keys treated as absent (AWS semantics).
    type Case<'a> = (&'a str, Value, Option<&'a [&'a str]>, DecisionKind);
    let cases: Vec<Case> = vec![
        ("StringEquals", json!("a"), Some(&["a"]), T),
        ("StringEquals", json!("a"), Some(&["A"]), F),
        ("StringEquals", json!(["x", "a"]), Some(&["a"]), T),
        ("StringEquals", json!("a"), None, F),
        ("StringEquals", json!("a*"), Some(&["ab"]), F),
        ("StringNotEquals", json!("a"), Some(&["b"]), T),
        ("StringNotEquals", json!(["a", "b"]), Some(&["b"]), F),
        ("StringNotEquals", json!("a"), None, T),
        (
            "StringEqualsIgnoreCase",
            json!("HeLLo"),
            Some(&["hello"]),
            T,
        ),
        (
            "StringEqualsIgnoreCase",
            json!("Straße"),
            Some(&["STRASSE"]),
            F,
        ),
        ("StringEqualsIgnoreCase", json!("ÄB"), Some(&["äb"]), T),
        (
            "StringNotEqualsIgnoreCase",
            json!("HeLLo"),
            Some(&["hello"]),
            F,
        ),
        ("StringNotEqualsIgnoreCase", json!("x"), Some(&["hello"]), T),
        ("StringLike", json!("home/*"), Some(&["home/a/b"]), T),
        ("StringLike", json!("home/?"), Some(&["home/ab"]), F),
        ("StringLike", json!("home/??"), Some(&["home/ab"]), T),
        ("StringLike", json!("Home/*"), Some(&["home/a"]), F),
        ("StringNotLike", json!("home/*"), Some(&["work/a"]), T),
        (
            "StringNotLike",
            json!(["home/*", "work/*"]),
            Some(&["work/a"]),
            F,
        ),
        ("NumericEquals", json!(10), Some(&["10"]), T),
        ("NumericEquals", json!("10"), Some(&["10.0"]), T),
        ("NumericEquals", json!(10), Some(&["abc"]), F),
        ("NumericNotEquals", json!(10), Some(&["11"]), T),
        ("NumericNotEquals", json!(10), Some(&["10"]), F),
        ("NumericLessThan", json!(3600), Some(&["100"]), T),
        ("NumericLessThan", json!(3600), Some(&["3600"]), F),
        ("NumericLessThanEquals", json!(3600), Some(&["3600"]), T),
        ("NumericGreaterThan", json!(1.5), Some(&["2"]), T),
        ("NumericGreaterThan", json!(1.5), Some(&["1.5"]), F),
        ("NumericGreaterThanEquals", json!(-1), Some(&["-1"]), T),
        (
            "DateEquals",
            json!("2020-01-01T00:00:00Z"),
            Some(&["1577836800"]),
            T,
        ),
        (
            "DateEquals",
            json!("2020-01-01"),
            Some(&["2020-01-01T00:00:00Z"]),
            T,
        ),
        (
            "DateNotEquals",
            json!("2020-01-01T00:00:00Z"),
            Some(&["2020-01-02T00:00:00Z"]),
            T,
        ),
        (
            "DateLessThan",
            json!("2020-06-30T00:00:00Z"),
            Some(&["2020-06-29T23:59:59Z"]),
            T,
        ),
        (
            "DateLessThan",
            json!("2020-06-30T00:00:00Z"),
            Some(&["2020-06-30T00:00:00Z"]),
            F,
        ),
        (
            "DateLessThanEquals",
            json!("2020-06-30T00:00:00Z"),
            Some(&["2020-06-30T00:00:00Z"]),
            T,
        ),
        (
            "DateGreaterThan",
            json!("2020-01-01T00:00:00Z"),
            Some(&["2020-01-01T02:00:00+01:00"]),
            T,
        ),
        (
            "DateGreaterThanEquals",
            json!(1577836800),
            Some(&["2020-01-01T00:00:00Z"]),
            T,
        ),
        (
            "DateGreaterThan",
            json!("2020-01-01T00:00:00Z"),
            Some(&["not a date"]),
            F,
        ),
        ("Bool", json!("true"), Some(&["true"]), T),
        ("Bool", json!(true), Some(&["True"]), T),
        ("Bool", json!("false"), Some(&["true"]), F),
        ("Bool", json!("true"), None, F),
        (
            "BinaryEquals",
            json!("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
            Some(&["QmluYXJ5VmFsdWVJbkJhc2U2NA"]),
            T,
        ),
        ("BinaryEquals", json!("QUJD"), Some(&["QUJE"]), F),
        (
            "IpAddress",
            json!("203.0.113.0/24"),
            Some(&["203.0.113.7"]),
            T,
        ),
        (
            "IpAddress",
            json!("203.0.113.0/24"),
            Some(&["203.0.114.7"]),
            F,
        ),
        ("IpAddress", json!("10.0.0.1"), Some(&["10.0.0.1"]), T),
        ("IpAddress", json!("0.0.0.0/0"), Some(&["1.2.3.4"]), T),
        (
            "IpAddress",
            json!("2001:DB8:1234:5678::/64"),
            Some(&["2001:db8:1234:5678::1"]),
            T,
        ),
        (
            "IpAddress",
            json!("2001:DB8:1234:5678::/64"),
            Some(&["2001:db8:1234:5679::1"]),
            F,
        ),
        (
            "IpAddress",
            json!("10.0.0.0/8"),
            Some(&["::ffff:10.1.2.3"]),
            T,
        ),
        ("IpAddress", json!("10.0.0.0/8"), Some(&["2001:db8::1"]), F),
        (
            "NotIpAddress",
            json!(["192.0.2.0/24", "203.0.113.0/24"]),
            Some(&["198.51.100.1"]),
            T,
        ),
        (
            "NotIpAddress",
            json!(["192.0.2.0/24", "203.0.113.0/24"]),
            Some(&["192.0.2.9"]),
            F,
        ),
        ("NotIpAddress", json!("192.0.2.0/24"), None, T),
        (
            "ArnEquals",
            json!("arn:aws:sns:us-east-1:123456789012:topic"),
            Some(&["arn:aws:sns:us-east-1:123456789012:topic"]),
            T,
        ),
        (
            "ArnLike",
            json!("arn:aws:sns:*:123456789012:*"),
            Some(&["arn:aws:sns:eu-west-1:123456789012:t"]),
            T,
        ),
        (
            "ArnLike",
            json!("arn:aws:sns:*:123456789012:*"),
            Some(&["arn:aws:sns:eu-west-1:999999999999:t"]),
            F,
        ),
        // A `*` in one segment does not cross into the next one.
        (
            "ArnLike",
            json!("arn:aws:s*:us-east-1:123456789012:x"),
            Some(&["arn:aws:sns:extra:us-east-1:123456789012:x"]),
            F,
        ),
        (
            "ArnLike",
            json!("arn:aws:iam::123456789012:role/*"),
            Some(&["arn:aws:iam::123456789012:role/a/b:c"]),
            T,
        ),
        (
            "ArnEquals",
            json!("arn:aws:iam::*:role/x"),
            Some(&["arn:aws:iam::111122223333:role/x"]),
            T,
        ),
        (
            "ArnLike",
            json!("arn:aws:iam::1:role/x"),
            Some(&["not-an-arn"]),
            F,
        ),
        (
            "ArnNotEquals",
            json!("arn:aws:iam::1:role/x"),
            Some(&["arn:aws:iam::1:role/y"]),
            T,
        ),
        (
            "ArnNotLike",
            json!("arn:aws:iam::1:role/*"),
            Some(&["arn:aws:iam::1:role/y"]),
            F,
        ),
        ("ArnNotLike", json!("arn:aws:iam::1:role/*"), None, T),
        ("Null", json!("true"), None, T),
        ("Null", json!("true"), Some(&["x"]), F),
        ("Null", json!("false"), Some(&["x"]), T),
        ("Null", json!("false"), None, F),
        ("Null", json!(true), Some(&[]), T),
        // IfExists: absent → true, present → as the base operator.
        ("StringEqualsIfExists", json!("a"), None, T),
        ("StringEqualsIfExists", json!("a"), Some(&["b"]), F),
        ("StringEqualsIfExists", json!("a"), Some(&["a"]), T),
        ("NumericLessThanIfExists", json!(5), None, T),
        ("NumericLessThanIfExists", json!(5), Some(&["6"]), F),
        ("DateLessThanIfExists", json!("2020-01-01"), None, T),
        ("BoolIfExists", json!("true"), Some(&["false"]), F),
        ("BoolIfExists", json!("true"), None, T),
        ("IpAddressIfExists", json!("10.0.0.0/8"), None, T),
        ("ArnLikeIfExists", json!("arn:*:*:*:*:*"), None, T),
        ("StringNotEqualsIfExists", json!("a"), Some(&["a"]), F),
        ("BinaryEqualsIfExists", json!("QUJD"), None, T),
        // Set operators.
        (
            "ForAllValues:StringEquals",
            json!(["a", "b"]),
            Some(&["a", "b"]),
            T,
        ),
        (
            "ForAllValues:StringEquals",
            json!(["a", "b"]),
            Some(&["a", "c"]),
            F,
        ),
        ("ForAllValues:StringEquals", json!(["a", "b"]), None, T),
        ("ForAllValues:StringEquals", json!(["a", "b"]), Some(&[]), T),
        (
            "ForAnyValue:StringEquals",
            json!(["a", "b"]),
            Some(&["c", "b"]),
            T,
        ),
        (
            "ForAnyValue:StringEquals",
            json!(["a", "b"]),
            Some(&["c", "d"]),
            F,
        ),
        ("ForAnyValue:StringEquals", json!(["a", "b"]), None, F),
        ("ForAnyValue:StringEquals", json!(["a", "b"]), Some(&[]), F),
        ("ForAnyValue:StringEqualsIfExists", json!(["a"]), None, T),
        (
            "ForAllValues:StringLike",
            json!(["env*", "team"]),
            Some(&["environment", "team"]),
            T,
        ),
        // Negated with set operators: ForAllValues → no context value is in the list.
        (
            "ForAllValues:StringNotEquals",
            json!(["a", "b"]),
            Some(&["c", "d"]),
            T,
        ),
        (
            "ForAllValues:StringNotEquals",
            json!(["a", "b"]),
            Some(&["c", "a"]),
            F,
        ),
        ("ForAllValues:StringNotEquals", json!(["a", "b"]), None, T),
        // ForAnyValue negated → at least one context value is not in the list.
        (
            "ForAnyValue:StringNotEquals",
            json!(["a", "b"]),
            Some(&["a", "c"]),
            T,
        ),
        (
            "ForAnyValue:StringNotEquals",
            json!(["a", "b"]),
            Some(&["a", "b"]),
            F,
        ),
        ("ForAnyValue:StringNotEquals", json!(["a", "b"]), None, F),
        (
            "ForAnyValue:NumericGreaterThan",
            json!(5),
            Some(&["1", "9"]),
            T,
        ),
        (
            "ForAllValues:NumericGreaterThan",
            json!(5),
            Some(&["1", "9"]),
            F,
        ),
        (
            "ForAnyValue:IpAddress",
            json!("10.0.0.0/8"),
            Some(&["1.1.1.1", "10.9.9.9"]),
            T,
        ),
        (
            "ForAllValues:ArnLike",
            json!("arn:aws:iam::1:role/*"),
            Some(&["arn:aws:iam::1:role/a", "arn:aws:iam::1:user/b"]),
            F,
        ),
        // Operator names are case-insensitive here; condition keys always are.
        ("stringequals", json!("a"), Some(&["a"]), T),
    ];
    for (i, (op, values, ctxv, want)) in cases.into_iter().enumerate() {
        let ctx = match ctxv {
            Some(v) => ctx_of(&[("test:Key", v)], false),
            None => ctx_of(&[], false),
        };
        let got = cond(op, "test:key", values.clone(), &ctx);
        assert_eq!(got, want, "case {i}: {op} {values} ctx {ctxv:?}");
    }
}

#[test]
fn absent_keys_unknown_makes_conditions_unknown() {
    let ctx = Context::new();
    for op in [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIfExists",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringEquals",
        "Null",
        "Bool",
    ] {
        let v = if op == "Null" || op == "Bool" {
            json!("true")
        } else {
            json!("a")
        };
        assert_eq!(cond(op, "aws:PrincipalTag/team", v, &ctx), U, "{op}");
    }
    let p = pol(
        "p",
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}, "Bool": {"aws:SecureTransport": true}}}}),
    );
    let d = run(&[p], "s3:GetObject", None, &ctx);
    assert_eq!(d.decision, U);
    assert_eq!(d.decided_by, Some(Layer::Identity));
    assert_eq!(
        d.missing_context_keys,
        vec!["aws:PrincipalTag/team", "aws:SecureTransport"]
    );
    assert_eq!(d.matched_statements.len(), 1);
    assert!(d.matched_statements[0].conditional);
    // A known False condition beats an unknown one.
    let p = pol(
        "p",
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x", "aws:RequestedRegion": "eu-west-1"}}}}),
    );
    let ctx = ctx_of(&[("aws:requestedregion", &["us-east-1"])], true);
    assert_eq!(run(&[p], "s3:GetObject", None, &ctx).decision, F);
}

#[test]
fn condition_keys_case_insensitive_values_case_sensitive() {
    let ctx = ctx_of(&[("AWS:PRINCIPALTAG/Team", &["Blue"])], false);
    assert_eq!(
        cond("StringEquals", "aws:principaltag/team", json!("Blue"), &ctx),
        T
    );
    assert_eq!(
        cond("StringEquals", "aws:principaltag/team", json!("blue"), &ctx),
        F
    );
}

#[test]
fn multiple_keys_and_operators_are_anded() {
    let p = pol(
        "p",
        json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
            "StringEquals": {"k:a": "1", "k:b": "2"}, "Bool": {"k:c": "true"}}}}),
    );
    let ok = ctx_of(
        &[("k:a", &["1"]), ("k:b", &["2"]), ("k:c", &["true"])],
        false,
    );
    let bad = ctx_of(
        &[("k:a", &["1"]), ("k:b", &["3"]), ("k:c", &["true"])],
        false,
    );
    assert_eq!(run(std::slice::from_ref(&p), "x:y", None, &ok).decision, T);
    assert_eq!(run(&[p], "x:y", None, &bad).decision, F);
}

#[test]
fn unknown_operator_is_a_parse_error() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}]});
    let e = Policy::parse("inline:x", &doc).unwrap_err();
    assert_eq!(
        e,
        PolicyError::UnknownOperator {
            policy_id: "inline:x".into(),
            statement: 1,
            operator: "StringEqualz".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "inline:x: statement 1: unknown condition operator \"StringEqualz\""
    );
    assert!(Policy::parse("x", &json!({"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"NullIfExists": {"a": "true"}}}})).is_err());
}

#[test]
fn parse_errors_name_the_field() {
    let cases = [
        (json!([]), "not a JSON object"),
        (json!({}), "Statement: missing"),
        (json!({"Version": "2013", "Statement": []}), "Version"),
        (
            json!({"Statement": [{"Effect": "Maybe", "Action": "*"}]}),
            "statement 0: Effect",
        ),
        (
            json!({"Statement": [{"Effect": "Allow"}]}),
            "statement 0: Action",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": ["a", 1]}]}),
            "statement 0: Action[1]",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*"}]}),
            "NotAction",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}]}),
            "NotResource",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Actions": "*"}]}),
            "Actions: unknown",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"NumericLessThan": {"k": "abc"}}}]}),
            "statement 0: Condition.NumericLessThan.k[0]: not a number",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"IpAddress": {"aws:SourceIp": ["1.2.3.4/40"]}}}]}),
            "Condition.IpAddress.aws:SourceIp[0]",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"k": {"x": 1}}}}]}),
            "Condition.StringEquals.k",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {"Bogus": "x"}}]}),
            "Principal.Bogus",
        ),
    ];
    for (doc, want) in cases {
        let e = Policy::parse("pid", &doc)
            .expect_err(&doc.to_string())
            .to_string();
        assert!(e.starts_with("pid"), "{e}");
        assert!(e.contains(want), "{e} should contain {want}");
    }
}

#[test]
fn parse_shapes() {
    let p = pol(
        "p",
        json!({"Version": "2012-10-17", "Id": "x", "Statement": {"Sid": "One", "Effect": "Deny", "Action": "s3:*", "Resource": ["a", "b"]}}),
    );
    assert_eq!(p.id(), "p");
    assert_eq!(p.statement_count(), 1);
    assert_eq!(
        p.statements().collect::<Vec<_>>(),
        vec![(Some("One"), Effect::Deny)]
    );
    // Trust policy statements have no Resource.
    let t = pol(
        "t",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    );
    let ctx = Context::new();
    assert_eq!(
        run(&[t], "sts:AssumeRole", Some("arn:aws:iam::1:role/x"), &ctx).decision,
        T
    );
}

#[test]
fn action_wildcards_and_case() {
    let p = pol(
        "p",
        json!({"Statement": {"Effect": "Allow", "Action": ["S3:get*", "ec2:Describe?nstances", "iam:*AccessKey*"], "Resource": "*"}}),
    );
    let ctx = Context::new();
    let ps = std::slice::from_ref(&p);
    for (action, want) in [
        ("s3:GetObject", T),
        ("S3:GETOBJECT", T),
        ("s3:PutObject", F),
        ("ec2:DescribeInstances", T),
        ("ec2:DescribeXInstances", F),
        ("iam:CreateAccessKey", T),
        ("iam:ListAccessKeys", T),
        ("iam:ListUsers", F),
        ("sts:GetSessionToken", F),
    ] {
        assert_eq!(run(ps, action, None, &ctx).decision, want, "{action}");
    }
}

#[test]
fn not_action_and_not_resource() {
    // AWS example: allow everything except IAM.
    let p = pol(
        "p",
        json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}),
    );
    let ctx = Context::new();
    let ps = std::slice::from_ref(&p);
    assert_eq!(run(ps, "s3:ListBucket", None, &ctx).decision, T);
    assert_eq!(run(ps, "iam:CreateUser", None, &ctx).decision, F);
    let p = pol(
        "p",
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"]}}),
    );
    let ps = std::slice::from_ref(&p);
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::public/k"), &ctx).decision,
        T
    );
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::secret/k"), &ctx).decision,
        F
    );
    // NotResource naming s3 ARNs does not cover "any s3 resource".
    assert_eq!(run(ps, "s3:GetObject", None, &ctx).decision, F);
}

#[test]
fn resource_wildcards_are_case_sensitive() {
    let p = pol(
        "p",
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::Bucket-?/*"}}),
    );
    let ctx = Context::new();
    let ps = std::slice::from_ref(&p);
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::Bucket-1/a/b"), &ctx).decision,
        T
    );
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::bucket-1/a/b"), &ctx).decision,
        F
    );
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::Bucket-12/a"), &ctx).decision,
        F
    );
}

#[test]
fn wildcard_forms() {
    let cases = [
        ("*", "", true),
        ("*", "a:b/c", true),
        ("a*", "a", true),
        ("*a", "ba", true),
        ("*a", "ab", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbY", false),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("a?c", "aéc", true),
        ("?", "", false),
        ("??*", "a", false),
        ("*?", "é", true),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("**", "xyz", true),
        ("*ab*ab*", "abab", true),
        ("*ab*ab*", "aba", false),
        ("x*?y", "xy", false),
        ("x*?y", "xzy", true),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", true),
        ("exact", "exact", true),
        ("exact", "Exact", false),
    ];
    for (p, s, want) in cases {
        assert_eq!(wildcard_match(p, s), want, "{p} vs {s}");
    }
}

#[test]
fn policy_variables() {
    let p = pol(
        "p",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::lit/${*}${?}${$}"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::team/${aws:PrincipalTag/team, 'shared'}/*"}
        ]}),
    );
    let ps = std::slice::from_ref(&p);
    let alice = ctx_of(&[("aws:username", &["alice"])], false);
    assert_eq!(
        run(
            ps,
            "s3:GetObject",
            Some("arn:aws:s3:::home/alice/x"),
            &alice
        )
        .decision,
        T
    );
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::home/bob/x"), &alice).decision,
        F
    );
    // ${*} ${?} ${$} are literal characters, not wildcards.
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::lit/*?$"), &alice).decision,
        T
    );
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::lit/ab$"), &alice).decision,
        F
    );
    // Default value when the key is absent.
    assert_eq!(
        run(
            ps,
            "s3:GetObject",
            Some("arn:aws:s3:::team/shared/x"),
            &alice
        )
        .decision,
        T
    );
    let red = ctx_of(&[("aws:principaltag/TEAM", &["red"])], false);
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::team/red/x"), &red).decision,
        T
    );
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::team/shared/x"), &red).decision,
        F
    );
    // Unknown username with absent keys unknown → conditionally allowed, key reported.
    let unknown = Context::new();
    let d = run(
        ps,
        "s3:GetObject",
        Some("arn:aws:s3:::home/alice/x"),
        &unknown,
    );
    assert_eq!(d.decision, U);
    assert_eq!(d.missing_context_keys, vec!["aws:username"]);
    // Substituted values are literal: a `*` in a username is not a wildcard.
    let star = ctx_of(&[("aws:username", &["*"])], false);
    assert_eq!(
        run(ps, "s3:GetObject", Some("arn:aws:s3:::home/alice/x"), &star).decision,
        F
    );
    // Variables in condition values.
    let c = pol(
        "c",
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "${*}literal"]}}}}),
    );
    let cs = std::slice::from_ref(&c);
    let ctx = ctx_of(
        &[
            ("aws:username", &["alice"]),
            ("s3:prefix", &["home/alice/docs"]),
        ],
        false,
    );
    assert_eq!(run(cs, "s3:ListBucket", None, &ctx).decision, T);
    let ctx = ctx_of(
        &[
            ("aws:username", &["bob"]),
            ("s3:prefix", &["home/alice/docs"]),
        ],
        false,
    );
    assert_eq!(run(cs, "s3:ListBucket", None, &ctx).decision, F);
    let ctx = ctx_of(
        &[("aws:username", &["bob"]), ("s3:prefix", &["*literal"])],
        false,
    );
    assert_eq!(run(cs, "s3:ListBucket", None, &ctx).decision, T);
    let ctx = ctx_of(
        &[("aws:username", &["bob"]), ("s3:prefix", &["xliteral"])],
        false,
    );
    assert_eq!(run(cs, "s3:ListBucket", None, &ctx).decision, F);
    let ctx = ctx_of(&[("s3:prefix", &["home/alice/docs"])], true);
    let d = run(cs, "s3:ListBucket", None, &ctx);
    assert_eq!(
        (d.decision, d.missing_context_keys),
        (U, vec!["aws:username".to_string()])
    );
    // Without Version 2012-10-17, `${...}` is literal text (as in AWS).
    let old = pol(
        "o",
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}"}}),
    );
    assert_eq!(
        run(
            std::slice::from_ref(&old),
            "s3:GetObject",
            Some("arn:aws:s3:::home/${aws:username}"),
            &alice
        )
        .decision,
        T
    );
    assert_eq!(
        run(
            &[old],
            "s3:GetObject",
            Some("arn:aws:s3:::home/alice"),
            &alice
        )
        .decision,
        F
    );
}

fn any_resource(statements: Value, action: &str) -> DecisionKind {
    let p = pol(
        "p",
        json!({"Version": "2012-10-17", "Statement": statements}),
    );
    run(&[p], action, None, &Context::new()).decision
}

#[test]
fn any_resource_rule() {
    let allow =
        |action: &str, res: Value| json!([{"Effect": "Allow", "Action": action, "Resource": res}]);
    let cases = [
        (allow("s3:GetObject", json!("*")), "s3:GetObject", T),
        (allow("s3:*", json!("arn:aws:s3:::*")), "s3:GetObject", T),
        (allow("s3:*", json!("arn:aws:s3:::*")), "s3:ListBucket", T),
        (allow("s3:*", json!("arn:aws:s3:::*/*")), "s3:GetObject", T),
        (allow("s3:*", json!("arn:aws:s3:::*/*")), "s3:ListBucket", F),
        (allow("s3:*", json!("arn:*:s3:*:*:*")), "s3:ListBucket", T),
        (
            allow("s3:*", json!("arn:aws:s3:::my-bucket/*")),
            "s3:GetObject",
            F,
        ),
        (
            allow("s3:*", json!("arn:aws:s3:::my-bucket")),
            "s3:ListBucket",
            F,
        ),
        (allow("*", json!("arn:aws:*")), "ec2:RunInstances", T),
        (allow("*", json!("arn:aws:iam::*")), "iam:PassRole", T),
        (allow("*", json!("arn:aws:iam::*")), "s3:GetObject", F),
        (allow("iam:*", json!("arn:aws:iam:::*")), "iam:PassRole", F),
        (allow("iam:*", json!("arn:aws:iam::*:*")), "iam:PassRole", T),
        (
            allow("iam:*", json!("arn:aws:iam::123456789012:role/*")),
            "iam:PassRole",
            F,
        ),
        (
            allow("ec2:*", json!("arn:aws:ec2:*:*:*")),
            "ec2:RunInstances",
            T,
        ),
        (
            allow("ec2:*", json!("arn:aws:ec2:::*")),
            "ec2:RunInstances",
            F,
        ),
        (
            allow("ec2:*", json!("arn:aws:ec2:us-east-1:*:*")),
            "ec2:RunInstances",
            F,
        ),
        (
            allow("ec2:*", json!("arn:aws:e?2:*:*:*")),
            "ec2:RunInstances",
            T,
        ),
        (allow("*", json!("arn:aws-cn:s3:::*")), "s3:GetObject", T),
        (allow("*", json!("arn:aws:s3:::")), "s3:GetObject", F),
        (
            allow("*", json!(["arn:aws:s3:::a", "*"])),
            "s3:GetObject",
            T,
        ),
        // NotResource on another service applies to everything of this one.
        (
            json!([{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:s3:::bucket/*"}]),
            "iam:PassRole",
            T,
        ),
        (
            json!([{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::bucket/*"}]),
            "s3:GetObject",
            F,
        ),
        (
            json!([{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s*"}]),
            "sqs:SendMessage",
            F,
        ),
        (
            json!([{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3*"}]),
            "sqs:SendMessage",
            T,
        ),
        (
            json!([{"Effect": "Allow", "Action": "*", "NotResource": "*"}]),
            "sqs:SendMessage",
            F,
        ),
        // A Deny on one bucket does not deny "any resource".
        (
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                   {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*"}]),
            "s3:GetObject",
            T,
        ),
        (
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                   {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}]),
            "s3:GetObject",
            DecisionKind::ExplicitDeny,
        ),
        (
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                   {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:iam::*:role/*"}]),
            "s3:GetObject",
            DecisionKind::ExplicitDeny,
        ),
        // Variables never cover any resource.
        (
            allow("s3:*", json!("arn:aws:s3:::${aws:username}*")),
            "s3:GetObject",
            F,
        ),
    ];
    for (i, (stmts, action, want)) in cases.into_iter().enumerate() {
        assert_eq!(
            any_resource(stmts.clone(), action),
            want,
            "case {i}: {action} {stmts}"
        );
    }
}

fn allow_all(id: &str) -> Policy {
    pol(
        id,
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "FullAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
}

#[test]
fn evaluation_layers() {
    let ctx = Context::new();
    let identity = vec![
        pol(
            "inline:s3",
            json!({"Statement": [{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        ),
        pol(
            "inline:ec2",
            json!({"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}),
        ),
    ];
    let boundary = pol(
        "boundary",
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"}]}),
    );
    let scp_root = vec![allow_all("p-full")];
    let scp_ou = vec![pol(
        "p-ou",
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}]}),
    )];
    let levels = vec![scp_root.clone(), scp_ou.clone()];
    let set = PolicySet {
        identity: &identity,
        boundary: Some(&boundary),
        scp_levels: &levels,
        ..PolicySet::default()
    };
    let ev =
        |set: &PolicySet, action: &str| crate::eval::evaluate(set, &Request::any(action, &ctx));

    let d = ev(&set, "s3:GetObject");
    assert_eq!(d.decision, T);
    assert_eq!(d.decided_by, Some(Layer::Identity));
    let layers: Vec<(Layer, &str)> = d
        .matched_statements
        .iter()
        .map(|m| (m.layer, m.policy_id.as_str()))
        .collect();
    assert_eq!(
        layers,
        vec![
            (Layer::Scp, "p-full"),
            (Layer::Scp, "p-ou"),
            (Layer::Boundary, "boundary"),
            (Layer::Identity, "inline:s3")
        ]
    );
    assert_eq!(d.matched_statements[3].sid.as_deref(), Some("S3"));
    assert_eq!(d.matched_statements[0].statement_index, 0);
    // ec2: SCPs allow, boundary does not.
    let d = ev(&set, "ec2:RunInstances");
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Boundary)));
    // sqs: the OU SCP does not allow.
    let d = ev(&set, "sqs:SendMessage");
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Scp)));
    // The root SCP allows iam but the OU level does not.
    let d = ev(&set, "iam:ListRoles");
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Scp)));
    // Nothing allows lambda at all → identity.
    let ou_only = vec![scp_ou.clone()];
    let d = ev(
        &PolicySet {
            scp_levels: &ou_only,
            ..set
        },
        "lambda:InvokeFunction",
    );
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Identity)));
    // Allowed by SCPs and boundary but not identity → identity.
    let no_id: Vec<Policy> = Vec::new();
    let set2 = PolicySet {
        identity: &no_id,
        ..set
    };
    assert_eq!(ev(&set2, "s3:GetObject").decided_by, Some(Layer::Identity));
    // An empty SCP level allows nothing.
    let empty_level = vec![scp_root.clone(), Vec::new()];
    let set3 = PolicySet {
        scp_levels: &empty_level,
        ..set
    };
    assert_eq!(
        (
            ev(&set3, "s3:GetObject").decision,
            ev(&set3, "s3:GetObject").decided_by
        ),
        (F, Some(Layer::Scp))
    );

    // Denies in each layer.
    let deny_s3 = |id: &str| {
        pol(
            id,
            json!({"Statement": [{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}),
        )
    };
    let with_deny_scp = vec![vec![allow_all("p-full"), deny_s3("p-deny")], scp_ou.clone()];
    let d = ev(
        &PolicySet {
            scp_levels: &with_deny_scp,
            ..set
        },
        "s3:GetObject",
    );
    assert_eq!(
        (d.decision, d.decided_by),
        (DecisionKind::ExplicitDeny, Some(Layer::Scp))
    );
    assert_eq!(d.matched_statements.len(), 1);
    assert_eq!(d.matched_statements[0].policy_id, "p-deny");
    assert_eq!(d.matched_statements[0].effect, Effect::Deny);
    let b2 = pol(
        "boundary",
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}]}),
    );
    let d = ev(
        &PolicySet {
            boundary: Some(&b2),
            ..set
        },
        "s3:GetObject",
    );
    assert_eq!(
        (d.decision, d.decided_by),
        (DecisionKind::ExplicitDeny, Some(Layer::Boundary))
    );
    assert_eq!(d.matched_statements[0].statement_index, 1);
    let id2 = vec![identity[0].clone(), deny_s3("inline:deny")];
    let d = ev(
        &PolicySet {
            identity: &id2,
            ..set
        },
        "s3:GetObject",
    );
    assert_eq!(
        (d.decision, d.decided_by),
        (DecisionKind::ExplicitDeny, Some(Layer::Identity))
    );
    assert_eq!(d.matched_statements[0].sid.as_deref(), Some("NoS3"));
    // A deny in identity still wins when an SCP does not allow.
    let d = ev(
        &PolicySet {
            identity: &id2,
            ..set
        },
        "s3:GetObject",
    );
    assert_eq!(d.decision, DecisionKind::ExplicitDeny);
}

#[test]
fn conditionally_allowed_layers_and_keys() {
    let ctx = Context::new();
    let identity = vec![allow_all("id")];
    // The SCP allows only from the org network; the boundary denies without MFA.
    let levels = vec![vec![pol(
        "scp",
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}),
    )]];
    let boundary = pol(
        "b",
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NeedMfa", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}),
    );
    let set = PolicySet {
        identity: &identity,
        boundary: Some(&boundary),
        scp_levels: &levels,
        ..PolicySet::default()
    };
    let d = crate::eval::evaluate(&set, &Request::any("s3:GetObject", &ctx));
    assert_eq!(d.decision, U);
    assert_eq!(
        d.missing_context_keys,
        vec!["aws:MultiFactorAuthPresent", "aws:SourceIp"]
    );
    assert_eq!(d.decided_by, Some(Layer::Boundary));
    let summary: Vec<(&str, Layer, bool, Effect)> = d
        .matched_statements
        .iter()
        .map(|m| (m.policy_id.as_str(), m.layer, m.conditional, m.effect))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("scp", Layer::Scp, true, Effect::Allow),
            ("b", Layer::Boundary, false, Effect::Allow),
            ("id", Layer::Identity, false, Effect::Allow),
            ("b", Layer::Boundary, true, Effect::Deny),
        ]
    );
    // With the keys known it becomes a plain answer.
    let ok = ctx_of(
        &[
            ("aws:SourceIp", &["10.1.1.1"]),
            ("aws:MultiFactorAuthPresent", &["true"]),
        ],
        true,
    );
    assert_eq!(
        crate::eval::evaluate(&set, &Request::any("s3:GetObject", &ok)).decision,
        T
    );
    let no_mfa = ctx_of(
        &[
            ("aws:SourceIp", &["10.1.1.1"]),
            ("aws:MultiFactorAuthPresent", &["false"]),
        ],
        true,
    );
    assert_eq!(
        crate::eval::evaluate(&set, &Request::any("s3:GetObject", &no_mfa)).decision,
        DecisionKind::ExplicitDeny
    );
    let outside = ctx_of(&[("aws:SourceIp", &["8.8.8.8"])], true);
    let d = crate::eval::evaluate(&set, &Request::any("s3:GetObject", &outside));
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Scp)));
    // A True allow in a gate hides unknown allows there: no missing keys from them.
    let identity2 = vec![
        allow_all("id"),
        pol(
            "id2",
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:x": "1"}}}]}),
        ),
    ];
    let d = run(&identity2, "s3:GetObject", None, &ctx);
    assert_eq!(
        (
            d.decision,
            d.missing_context_keys.len(),
            d.matched_statements.len()
        ),
        (T, 0, 1)
    );
}

#[test]
fn decision_serialises_with_expected_names() {
    let d = run(&[allow_all("p")], "s3:GetObject", None, &Context::new());
    let v = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(
        v,
        json!({"decision": "allowed", "decided_by": "identity", "matched_statements": [
            {"policy_id": "p", "layer": "identity", "statement_index": 0, "sid": "FullAccess", "effect": "Allow", "conditional": false}],
            "missing_context_keys": []})
    );
    for (k, s) in [
        (DecisionKind::Allowed, "allowed"),
        (DecisionKind::ConditionallyAllowed, "conditionally_allowed"),
        (DecisionKind::ImplicitDeny, "implicit_deny"),
        (DecisionKind::ExplicitDeny, "explicit_deny"),
    ] {
        assert_eq!(k.as_str(), s);
        assert_eq!(serde_json::to_value(k).unwrap_or_default(), json!(s));
    }
    assert_eq!(
        serde_json::to_value(Layer::Scp).unwrap_or_default(),
        json!("scp")
    );
}

#[test]
fn trusted_principals_lists_allow_principals() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": ["123456789012", "arn:aws:iam::111122223333:role/x"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]});
    assert_eq!(
        trusted_principals(&doc),
        vec![
            "arn:aws:iam::111122223333:role/x",
            "arn:aws:iam::123456789012:root",
            "federated:cognito-identity.amazonaws.com",
            "service:ec2.amazonaws.com",
            "service:lambda.amazonaws.com",
        ]
    );
    assert_eq!(
        trusted_principals(
            &json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}})
        ),
        vec!["*"]
    );
    assert_eq!(
        trusted_principals(&json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}}})),
        vec!["*"]
    );
    assert!(trusted_principals(&json!(42)).is_empty());
}

#[test]
fn simulate_request_file() {
    let req = json!({
        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "principal_arn": "arn:aws:iam::123456789012:role/x",
        "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"], "aws:MultiFactorAuthAge": 30, "aws:SecureTransport": true},
        "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}, "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                "Bool": {"aws:SecureTransport": "true"}, "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b", "c"]},
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}}]}],
        "permissions_boundary": null,
        "scp_levels": [[{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]]
    });
    let d = simulate_request(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.decision, T);
    let mut any = req.clone();
    any["resource"] = json!("*");
    assert_eq!(simulate_request(&any).map(|d| d.decision), Ok(F));
    let mut bad = req.clone();
    bad["identity_policies"] = json!([{"Statement": []}, {"Statement": []},
        {"Statement": [{"Effect": "Allow", "Action": "*"}, {"Effect": "Allow", "Action": "*", "Condition": {"StringEqualz": {"a": "b"}}}]}]);
    assert_eq!(
        simulate_request(&bad).map_err(|e| e.to_string()),
        Err(
            "identity_policies[2]: statement 1: unknown condition operator \"StringEqualz\""
                .to_string()
        )
    );
    let mut bad = req.clone();
    bad["scp_levels"] = json!([[], [{"Statement": {"Effect": "Allow"}}]]);
    assert!(
        simulate_request(&bad)
            .map_err(|e| e.to_string())
            .unwrap_err()
            .starts_with("scp_levels[1][0]: statement 0: Action")
    );
    let mut bad = req.clone();
    bad["permissions_boundary"] = json!("nope");
    assert!(
        simulate_request(&bad)
            .map_err(|e| e.to_string())
            .unwrap_err()
            .starts_with("permissions_boundary")
    );
    let mut bad = req.clone();
    bad["context"] = json!({"k": {"x": 1}});
    assert_eq!(
        simulate_request(&bad).map_err(|e| e.to_string()),
        Err("context.k: expected a string, number, boolean or a list of them".into())
    );
    assert!(simulate_request(&json!({"resource": "x"})).is_err());
    // Missing keys are unknown by default; absent_keys_unknown: false makes them absent.
    let mut partial = req.clone();
    partial["context"] = json!({"aws:SourceIp": "10.0.0.1"});
    let d = simulate_request(&partial).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.decision, U);
    assert_eq!(
        d.missing_context_keys,
        vec![
            "aws:MultiFactorAuthAge",
            "aws:SecureTransport",
            "aws:TagKeys"
        ]
    );
    partial["absent_keys_unknown"] = json!(false);
    assert_eq!(simulate_request(&partial).map(|d| d.decision), Ok(F));
}

#[test]
fn parse_json_bytes() {
    let p = Policy::parse_json(
        "b",
        br#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    assert_eq!(p.map(|p| p.statement_count()), Ok(1));
    let e = Policy::parse_json("b", b"{nope")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("b: policy document is not valid JSON"), "{e}");
}

fn file(path: &str, doc: Value) -> (String, Value) {
    (path.to_string(), doc)
}

/// The short form (`--policy F --action A --context k=v ...`).
fn short(
    policies: &[(String, Value)],
    action: &str,
    resource: Option<&str>,
    context: &[&str],
) -> Result<SimulateRequest, String> {
    SimulateRequest::from_args(policies, None, &[], action, resource, context, None)
        .map_err(|e| e.to_string())
}

#[test]
fn simulate_short_form_context_args() {
    let ip = [file(
        "policies/ip.json",
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Office", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}}]}),
    )];
    // Without the key the IpAddress condition is unknown and the key reported missing.
    let d = short(&ip, "s3:GetObject", None, &[]).map(|r| r.evaluate());
    let d = d.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.decision, U);
    assert_eq!(d.missing_context_keys, vec!["aws:SourceIp"]);
    // With it the condition is evaluated, either way.
    let d = short(&ip, "s3:GetObject", None, &["aws:SourceIp=10.1.2.3"])
        .map(|r| r.evaluate())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.decision, T);
    assert!(d.missing_context_keys.is_empty());
    assert_eq!(d.matched_statements[0].policy_id, "policies/ip.json");
    assert_eq!(d.matched_statements[0].sid.as_deref(), Some("Office"));
    let d = short(
        &ip,
        "s3:GetObject",
        Some("*"),
        &["aws:SourceIp=192.168.0.1"],
    )
    .map(|r| r.evaluate().decision);
    assert_eq!(d, Ok(F));

    // Split at the first '='; the value is the literal string (even with '=' or spaces).
    let r = short(&ip, "s3:GetObject", None, &["k=a=b", "e=", "s= x "])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.context.get("k"), Some(&["a=b".to_string()][..]));
    assert_eq!(r.context.get("e"), Some(&[String::new()][..]));
    assert_eq!(r.context.get("s"), Some(&[" x ".to_string()][..]));
    // The same key twice (in any case) is multi-valued, in argument order.
    let tags = [file(
        "t.json",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}}]}),
    )];
    let r = short(
        &tags,
        "ec2:CreateTags",
        None,
        &["aws:TagKeys=a", "AWS:tagkeys=b"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.context.get("aws:TagKeys"),
        Some(&["a".to_string(), "b".to_string()][..])
    );
    assert_eq!(r.evaluate().decision, T);
    let r = short(
        &tags,
        "ec2:CreateTags",
        None,
        &["aws:TagKeys=a", "aws:TagKeys=c"],
    );
    assert_eq!(r.map(|r| r.evaluate().decision), Ok(F));

    // Bad arguments are named.
    assert_eq!(
        short(&ip, "s3:GetObject", None, &["aws:SourceIp"]).map(|_| ()),
        Err("--context: expected key=value, got \"aws:SourceIp\"".to_string())
    );
    assert_eq!(
        short(&ip, "s3:GetObject", None, &["=x"]).map(|_| ()),
        Err("--context: empty key in \"=x\"".to_string())
    );
    assert_eq!(
        short(&ip, "GetObject", None, &[]).map(|_| ()),
        Err("--action: expected service:action".to_string())
    );
}

#[test]
fn simulate_short_form_matches_request_file() {
    let identity = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}}]});
    let boundary =
        json!({"Statement": {"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}});
    let root = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    let ou = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]});
    let files = [file("id.json", identity.clone())];
    let b = file("boundary.json", boundary.clone());
    let scps = [file("root.json", root.clone()), file("ou.json", ou.clone())];
    let arn = "arn:aws:iam::123456789012:role/app";
    for (action, resource, want) in [
        ("s3:GetObject", Some("arn:aws:s3:::b/k"), T),
        ("s3:GetObject", Some("arn:aws:s3:::other/k"), F),
        ("s3:GetObject", None, F),
        (
            "s3:DeleteObject",
            Some("arn:aws:s3:::b/k"),
            DecisionKind::ExplicitDeny,
        ),
    ] {
        let short = SimulateRequest::from_args(
            &files,
            Some(&b),
            &scps,
            action,
            resource,
            &["aws:SourceIp=10.0.0.1"],
            Some(arn),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .evaluate();
        let long = simulate_request(&json!({
            "action": action, "resource": resource, "principal_arn": arn,
            "context": {"aws:SourceIp": "10.0.0.1"},
            "identity_policies": [identity], "permissions_boundary": boundary,
            "scp_levels": [[root], [ou]],
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(short.decision, want, "{action} {resource:?}");
        assert_eq!(short.decision, long.decision);
        assert_eq!(short.decided_by, long.decided_by);
        assert_eq!(short.missing_context_keys, long.missing_context_keys);
        assert_eq!(
            short.matched_statements.len(),
            long.matched_statements.len()
        );
    }
    // Each --scp file is its own level: an SCP that allows nothing denies on its own.
    let deny_all = file(
        "scp-empty.json",
        json!({"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}),
    );
    let r = SimulateRequest::from_args(
        &files,
        None,
        &[file("root.json", root.clone()), deny_all],
        "s3:GetObject",
        Some("arn:aws:s3:::b/k"),
        &[] as &[&str],
        Some(arn),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.scp_levels.len(), 2);
    let d = r.evaluate();
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Scp)));
    // Policy errors name the file.
    let bad = [
        file("ok.json", root.clone()),
        file("dir/bad.json", json!({"Statement": {"Effect": "Allow"}})),
    ];
    let e = SimulateRequest::from_args(&bad, None, &[], "s3:GetObject", None, &[] as &[&str], None)
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(
        e,
        Err("dir/bad.json: statement 0: Action: missing (need Action or NotAction)".to_string())
    );
    let e = SimulateRequest::from_args(
        &files,
        Some(&file("b.json", json!([]))),
        &[],
        "s3:GetObject",
        None,
        &[] as &[&str],
        None,
    )
    .map(|_| ())
    .map_err(|e| e.to_string());
    assert_eq!(
        e,
        Err("b.json: policy document is not a JSON object".to_string())
    );
    let e = SimulateRequest::from_args(
        &files,
        None,
        &[file(
            "scp/x.json",
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": 1}}),
        )],
        "s3:GetObject",
        None,
        &[] as &[&str],
        None,
    )
    .map(|_| ())
    .map_err(|e| e.to_string());
    assert!(
        e.unwrap_err()
            .starts_with("scp/x.json: statement 0: Resource")
    );
}

/// STS: GetCallerIdentity needs no permission and "you can still perform this
/// operation" under an explicit deny.
#[test]
fn get_caller_identity_is_always_allowed() {
    let ctx = Context::new();
    let deny = pol(
        "deny",
        json!({"Statement": {"Effect": "Deny", "Action": "sts:*", "Resource": "*"}}),
    );
    for identity in [vec![], vec![deny]] {
        let d = run(&identity, "STS:GetCallerIdentity", None, &ctx);
        assert_eq!(d.decision, DecisionKind::Allowed);
        assert!(d.matched_statements.is_empty());
    }
    // Other STS actions still follow the policies.
    assert_eq!(
        run(&[], "sts:GetSessionToken", None, &ctx).decision,
        DecisionKind::ImplicitDeny
    );
}

const OWN: &str = "123456789012";

/// (breadth, decision at that breadth) of `action` for a principal of `OWN`
/// holding one identity policy with `statements`.
fn breadth_of(statements: Value, action: &str) -> (Option<&'static str>, DecisionKind) {
    let p = pol(
        "p",
        json!({"Version": "2012-10-17", "Statement": statements}),
    );
    let set = PolicySet {
        identity: std::slice::from_ref(&p),
        boundary: None,
        scp_levels: &[],
        ..PolicySet::default()
    };
    let ctx = Context::for_role(OWN, "arn:aws:iam::123456789012:role/r", std::iter::empty());
    let d = crate::eval::evaluate_breadth(&set, action, &ctx, OWN);
    (d.breadth.map(|b| b.as_str()), d.breadth_decision)
}

/// The breadth of a resource list is shared by every statement listing it
/// (inline policies repeat their resources across roles), but never across
/// accounts or between `Resource` and `NotResource`: the same text is
/// `account` for its own account and only a `pattern` for another one.
#[test]
fn shared_breadth_answers_keep_account_and_negation_apart() {
    let own = json!("arn:aws:iam::123456789012:role/*");
    let doc = json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": own}]);
    let other = |account: &str| {
        let p = pol(
            "p",
            json!({"Version": "2012-10-17", "Statement": doc.clone()}),
        );
        let set = PolicySet {
            identity: std::slice::from_ref(&p),
            ..PolicySet::default()
        };
        let arn = format!("arn:aws:iam::{account}:role/r");
        let ctx = Context::for_role(account, &arn, std::iter::empty());
        let d = crate::eval::evaluate_breadth(&set, "iam:PassRole", &ctx, account);
        d.breadth.map(|b| b.as_str())
    };
    for _ in 0..2 {
        assert_eq!(other(OWN), Some("account"));
        assert_eq!(other("210987654321"), Some("pattern"));
    }
    let not_resource = json!([{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": own}]);
    // Every resource but the account's roles: some names, not `account`.
    assert_eq!(breadth_of(not_resource, "iam:PassRole").0, Some("pattern"));
}

/// Accounts share a breadth answer only where their account cannot change
/// it. Each pattern is asked by four accounts, in two orders, and every
/// answer must be the service model's worked out afresh for that account:
/// `role/*` with the own account id is `account` for every account (one
/// shared answer), while `1234*`, `*2` or `????????9999` in the account
/// segment cover some accounts and not others.
#[test]
fn shared_breadth_answers_cross_accounts_only_where_the_account_cannot_matter() {
    let model = crate::eval::ServiceModel::try_bundled().unwrap();
    let accounts = [
        "123456789012",
        "210987654321",
        "123499999999",
        "111111111111",
    ];
    let cases = [
        ("iam:PassRole", "arn:aws:iam::{a}:role/memo-*"),
        ("iam:PassRole", "arn:aws:iam::1234*:role/memo-*"),
        ("iam:PassRole", "arn:aws:iam::*2:role/memo-*"),
        ("iam:PassRole", "arn:aws:iam::????????9999:role/memo-*"),
        ("iam:PassRole", "arn:aws:iam::{a}:role/memo-{a}-*"),
        ("iam:PassRole", "arn:aws:iam::1{a}:role/memo-*"),
        (
            "iam:PassRole",
            "arn:aws:iam::${aws:PrincipalAccount}:role/memo*",
        ),
        ("iam:PassRole", "arn:aws:iam::*:role/memo-*"),
        ("iam:PassRole", "arn:aws:iam::210987654321:role/*"),
        ("iam:PassRole", "arn:aws:iam::{a}:role/*"),
        ("iam:PassRole", "arn:aws:iam::*:role/memo-v2-*"),
        ("s3:GetObject", "arn:aws:s3:::memo-logs-{a}/*"),
        ("s3:GetObject", "arn:aws:s3:::*9/*"),
        ("ssm:GetParameters", "arn:aws:ssm:*:{a}:parameter/*"),
        ("ssm:GetParameters", "arn:aws:ssm:*:{a}*"),
        ("ssm:GetParameters", "arn:aws:ssm:*:*1:parameter/*"),
    ];
    for order in [accounts.to_vec(), accounts.iter().rev().copied().collect()] {
        for (action, template) in cases {
            for account in &order {
                let resource = template.replace("{a}", account);
                let statement =
                    json!([{"Effect": "Allow", "Action": action, "Resource": resource}]);
                let p = pol(
                    "p",
                    json!({"Version": "2012-10-17", "Statement": statement}),
                );
                let set = PolicySet {
                    identity: std::slice::from_ref(&p),
                    ..PolicySet::default()
                };
                let arn = format!("arn:aws:iam::{account}:role/r");
                let ctx = Context::for_role(account, &arn, std::iter::empty());
                let asked = crate::eval::evaluate_breadth(&set, action, &ctx, account).breadth;
                let scope = crate::eval::Scope {
                    account,
                    partition: "aws",
                };
                let fresh = crate::eval::action_breadth(
                    model.action(&action.to_lowercase()).unwrap(),
                    &[resource.as_str()],
                    &scope,
                );
                assert_eq!(asked, fresh, "{resource} asked by {account}");
            }
        }
    }
}

/// Every ARN shape: empty region + account (s3), empty region (iam),
/// regional (ssm, dynamodb, kms), paths, wildcards, the principal's own
/// account against another one, NotResource, policy variables, denies.
#[test]
fn breadth_table() {
    use DecisionKind::*;
    let allow = |action: &str, resource: Value| json!([{"Effect": "Allow", "Action": action, "Resource": resource}]);
    let cases: Vec<(Value, &str, Option<&str>, DecisionKind)> = vec![
        // any: every resource everywhere
        (
            allow("iam:PassRole", json!("*")),
            "iam:PassRole",
            Some("any"),
            Allowed,
        ),
        (
            allow("iam:PassRole", json!("arn:aws:iam::*:role/*")),
            "iam:PassRole",
            Some("any"),
            Allowed,
        ),
        (
            allow("s3:GetObject", json!("arn:aws:s3:::*")),
            "s3:GetObject",
            Some("any"),
            Allowed,
        ),
        (
            allow("s3:GetObject", json!("arn:aws:s3:::*/*")),
            "s3:GetObject",
            Some("any"),
            Allowed,
        ),
        // account: every resource of the type in the own account, any region
        (
            allow("iam:PassRole", json!("arn:aws:iam::123456789012:role/*")),
            "iam:PassRole",
            Some("account"),
            Allowed,
        ),
        (
            allow("iam:PassRole", json!("arn:aws:iam::123456789012:*")),
            "iam:PassRole",
            Some("account"),
            Allowed,
        ),
        (
            allow(
                "ssm:GetParameter*",
                json!("arn:aws:ssm:*:123456789012:parameter/*"),
            ),
            "ssm:GetParameters",
            Some("account"),
            Allowed,
        ),
        (
            allow(
                "dynamodb:GetItem",
                json!("arn:aws:dynamodb:*:123456789012:table/*"),
            ),
            "dynamodb:GetItem",
            Some("account"),
            Allowed,
        ),
        (
            allow("kms:Decrypt", json!("arn:aws:kms:*:123456789012:key/*")),
            "kms:Decrypt",
            Some("account"),
            Allowed,
        ),
        (
            allow(
                "iam:PassRole",
                json!("arn:aws:iam::${aws:PrincipalAccount}:role/*"),
            ),
            "iam:PassRole",
            Some("account"),
            Allowed,
        ),
        // pattern: some names, one region, or another account's resources
        (
            allow(
                "iam:PassRole",
                json!("arn:aws:iam::123456789012:role/app-*"),
            ),
            "iam:PassRole",
            Some("pattern"),
            Allowed,
        ),
        (
            allow(
                "iam:PassRole",
                json!("arn:aws:iam::123456789012:role/service-role/*"),
            ),
            "iam:PassRole",
            Some("pattern"),
            Allowed,
        ),
        (
            allow(
                "ssm:GetParameters",
                json!("arn:aws:ssm:eu-west-1:123456789012:parameter/*"),
            ),
            "ssm:GetParameters",
            Some("pattern"),
            Allowed,
        ),
        (
            allow("iam:PassRole", json!("arn:aws:iam::999999999999:role/*")),
            "iam:PassRole",
            Some("pattern"),
            Allowed,
        ),
        (
            allow("s3:GetObject", json!("arn:aws:s3:::bucket/*")),
            "s3:GetObject",
            Some("pattern"),
            Allowed,
        ),
        (
            allow(
                "dynamodb:GetItem",
                json!("arn:aws:dynamodb:*:123456789012:table/orders*"),
            ),
            "dynamodb:GetItem",
            Some("pattern"),
            Allowed,
        ),
        // specific: named resources; a variable stands for one name
        (
            allow(
                "iam:PassRole",
                json!("arn:aws:iam::123456789012:role/deploy"),
            ),
            "iam:PassRole",
            Some("specific"),
            Allowed,
        ),
        (
            allow("s3:GetObject", json!("arn:aws:s3:::bucket/key.txt")),
            "s3:GetObject",
            Some("specific"),
            Allowed,
        ),
        (
            allow(
                "iam:PassRole",
                json!("arn:aws:iam::123456789012:role/${aws:username}"),
            ),
            "iam:PassRole",
            Some("specific"),
            Allowed,
        ),
        // does not apply: another service's ARNs
        (
            allow("iam:PassRole", json!("arn:aws:s3:::*")),
            "iam:PassRole",
            None,
            ImplicitDeny,
        ),
        // NotResource: everything but some names is account-wide; a
        // NotResource that cannot match the service's ARNs is `*`
        (
            json!([{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:iam::123456789012:role/admin"}]),
            "iam:PassRole",
            Some("account"),
            Allowed,
        ),
        (
            json!([{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:s3:::*"}]),
            "iam:PassRole",
            Some("any"),
            Allowed,
        ),
        (
            json!([{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:iam::123456789012:role/*"}]),
            "iam:PassRole",
            Some("pattern"),
            Allowed,
        ),
        // Denies: one name does not undo an account-wide grant; the whole
        // account does
        (
            json!([
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"},
                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/admin"}
            ]),
            "iam:PassRole",
            Some("account"),
            Allowed,
        ),
        (
            json!([
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}
            ]),
            "iam:PassRole",
            Some("any"),
            Allowed,
        ),
        (
            json!([
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"},
                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}
            ]),
            "iam:PassRole",
            None,
            ExplicitDeny,
        ),
        // A condition the request does not carry
        (
            json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*",
                 "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}]),
            "iam:PassRole",
            Some("account"),
            ConditionallyAllowed,
        ),
        // Nothing names the action
        (
            allow("s3:GetObject", json!("*")),
            "iam:PassRole",
            None,
            ImplicitDeny,
        ),
    ];
    for (statements, action, want_breadth, want_decision) in cases {
        let text = statements.to_string();
        assert_eq!(
            breadth_of(statements, action),
            (want_breadth, want_decision),
            "{action} with {text}"
        );
    }
}

/// The breadth never changes the decision on `*`, and a boundary or SCP
/// narrows the breadth like any other gate.
#[test]
fn breadth_respects_every_gate() {
    let identity = pol(
        "id",
        json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}),
    );
    let boundary = pol(
        "b",
        json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app-*"}}),
    );
    let ctx = Context::new();
    let set = PolicySet {
        identity: std::slice::from_ref(&identity),
        boundary: Some(&boundary),
        scp_levels: &[],
        ..PolicySet::default()
    };
    let d = crate::eval::evaluate_breadth(&set, "iam:PassRole", &ctx, OWN);
    assert_eq!(d.any.decision, DecisionKind::ImplicitDeny);
    assert_eq!(d.any.decided_by, Some(Layer::Boundary));
    assert_eq!(d.breadth.map(|b| b.as_str()), Some("pattern"));
    assert!(!d.is_risky());
}

/// The service model decides what "every resource" means for an action: a
/// wildcard-only action (no resource type) is authorized against `*` alone,
/// also through NotResource; `arn:aws:s3:::*/*` covers exactly the actions
/// whose resource type is an S3 object (AWS's Service Authorization Reference).
#[test]
fn any_resource_follows_the_service_model() {
    use DecisionKind::*;
    let cases: Vec<(Value, &str, DecisionKind)> = vec![
        (json!({"Resource": "*"}), "s3:ListAllMyBuckets", Allowed),
        (
            json!({"Resource": "arn:aws:s3:::*"}),
            "s3:ListAllMyBuckets",
            ImplicitDeny,
        ),
        (
            json!({"Resource": "arn:aws:*"}),
            "sts:GetSessionToken",
            ImplicitDeny,
        ),
        (
            json!({"NotResource": "arn:aws:s3:::bucket"}),
            "s3:ListAllMyBuckets",
            Allowed,
        ),
        (
            json!({"NotResource": "*"}),
            "s3:ListAllMyBuckets",
            ImplicitDeny,
        ),
        (
            json!({"Resource": "arn:aws:s3:::*/*"}),
            "s3:GetObjectVersion",
            Allowed,
        ),
        (
            json!({"Resource": "arn:aws:s3:::*/*"}),
            "s3:PutObjectAcl",
            Allowed,
        ),
        (
            json!({"Resource": "arn:aws:s3:::*/*"}),
            "s3:ListBucket",
            ImplicitDeny,
        ),
        (
            json!({"Resource": "arn:aws:s3:::*/*"}),
            "s3:GetBucketPolicy",
            ImplicitDeny,
        ),
        (
            json!({"Resource": "arn:aws:s3:::*"}),
            "s3:GetObject",
            Allowed,
        ),
    ];
    let ctx = Context::new();
    for (resources, action, want) in cases {
        let mut st = json!({"Effect": "Allow", "Action": action});
        for (k, v) in resources.as_object().unwrap() {
            st[k] = v.clone();
        }
        let p = pol("p", json!({"Statement": st}));
        assert_eq!(
            run(std::slice::from_ref(&p), action, None, &ctx).decision,
            want,
            "{action} with {resources}"
        );
    }
}

/// Resource control policies: the AWS Organizations example RCP for KMS ("RCPEnforceIdentityPerimeter":
/// deny `kms:*` to principals outside the organization unless AWS services), with
/// `RCPFullAWSAccess` implied at every level given.
#[test]
fn rcp_levels_gate_supported_services() {
    let perimeter = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "RCPEnforceIdentityPerimeter", "Effect": "Deny", "Principal": "*",
        "Action": "kms:*", "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "my-org-id"},
            "Bool": {"aws:PrincipalIsAWSService": "false"}}}]});
    let admin = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let ask = |action: &str, org: &str, rcps: Value| {
        simulate_request(&json!({
            "action": action, "resource": key,
            "principal_arn": "arn:aws:iam::111122223333:role/app",
            "context": {"aws:PrincipalOrgID": org, "aws:PrincipalIsAWSService": "false"},
            "identity_policies": [admin], "rcp_levels": rcps,
            // The default key policy: delegate to the account's IAM policies.
            "resource_policy": {"Statement": {"Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    // Outside the organization: the RCP's deny wins, decided by the RCP layer.
    let d = ask("kms:Decrypt", "o-other", json!([[], [perimeter]]));
    assert_eq!(d.decision, DecisionKind::ExplicitDeny);
    assert_eq!(d.decided_by, Some(Layer::Rcp));
    assert_eq!(
        d.matched_statements[0].sid.as_deref(),
        Some("RCPEnforceIdentityPerimeter")
    );
    // Inside: allowed. Each level passes through RCPFullAWSAccess (a level given empty
    // still has it), which is listed among the statements.
    let d = ask("kms:Decrypt", "my-org-id", json!([[], [perimeter]]));
    assert_eq!(d.decision, T);
    assert_eq!(
        d.matched_statements
            .iter()
            .filter(|m| m.layer == Layer::Rcp && m.policy_id == "RCPFullAWSAccess")
            .count(),
        2
    );
    // RCPs apply only to the services that support them: a deny-everything RCP does not
    // touch an EC2 action, and does deny an S3 one.
    let deny_all = json!([[{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}}]]);
    let d = ask("ec2:RunInstances", "my-org-id", deny_all.clone());
    assert_eq!(d.decision, T);
    assert!(d.matched_statements.iter().all(|m| m.layer != Layer::Rcp));
    let d = ask("s3:GetObject", "my-org-id", deny_all);
    assert_eq!(
        (d.decision, d.decided_by),
        (DecisionKind::ExplicitDeny, Some(Layer::Rcp))
    );
    // No rcp_levels: as before.
    assert_eq!(ask("kms:Decrypt", "o-other", Value::Null).decision, T);
    assert!(
        simulate_request(&json!({"action": "kms:Decrypt", "rcp_levels": [{}]}))
            .map_err(|e| e.to_string())
            .unwrap_err()
            .contains("rcp_levels[0]")
    );
}

/// The evaluator's RCP gate itself: a level without an Allow (possible only without the
/// implied RCPFullAWSAccess) denies implicitly, decided by `rcp`; for an unsupported service
/// the gate is skipped, also in the breadth question.
#[test]
fn rcp_gate_without_allow_denies_implicitly() {
    let identity = [pol(
        "id",
        json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
    )];
    let levels = vec![vec![pol(
        "only-s3-get",
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}}),
    )]];
    let set = PolicySet {
        identity: &identity,
        rcp_levels: &levels,
        ..PolicySet::default()
    };
    let ctx = Context::new();
    let ev = |a: &str| crate::eval::evaluate(&set, &Request::any(a, &ctx));
    assert_eq!(ev("s3:GetObject").decision, T);
    let d = ev("s3:PutObject");
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Rcp)));
    assert_eq!(ev("iam:PassRole").decision, T);
    let b = crate::eval::evaluate_breadth(&set, "iam:PassRole", &ctx, "123456789012");
    assert_eq!(b.breadth, Some(crate::eval::Breadth::Any));
}

/// Session policies (IAM user guide, "Session policies"): the session's permissions are the
/// intersection of the role's identity policies and the session policy; a deny in the
/// session policy wins.
#[test]
fn session_policy_is_a_gate() {
    let role = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let session = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"]},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/secret/*"}]});
    let ask = |action: &str, resource: &str, session: &Value| {
        simulate_request(&json!({
            "action": action, "resource": resource,
            "identity_policies": [role], "session_policy": session
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let d = ask(
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/a.txt",
        &session,
    );
    assert_eq!((d.decision, d.decided_by), (T, Some(Layer::Identity)));
    assert!(
        d.matched_statements
            .iter()
            .any(|m| m.layer == Layer::Session && m.sid.as_deref() == Some("OnlyRead"))
    );
    let d = ask(
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/a.txt",
        &session,
    );
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Session)));
    let d = ask(
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/secret/k",
        &session,
    );
    assert_eq!(
        (d.decision, d.decided_by),
        (DecisionKind::ExplicitDeny, Some(Layer::Session))
    );
    // The session policy grants nothing the role does not have.
    let d = simulate_request(&json!({
        "action": "s3:GetObject", "resource": "arn:aws:s3:::amzn-s3-demo-bucket/a.txt",
        "identity_policies": [], "session_policy": session
    }))
    .unwrap();
    assert_eq!((d.decision, d.decided_by), (F, Some(Layer::Identity)));
    // Without one: the role's own permissions.
    assert_eq!(
        ask("s3:PutObject", "arn:aws:s3:::b/k", &Value::Null).decision,
        T
    );
}

/// Answers a request file: (decision, decided_by, reasons).
fn sim(req: Value) -> (DecisionKind, Option<Layer>, Vec<String>) {
    let r = SimulateRequest::parse(&req).unwrap_or_else(|e| panic!("{e}"));
    let (d, reasons) = r.evaluate_explained();
    (d.decision, d.decided_by, reasons)
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/alice";
const X: DecisionKind = DecisionKind::ExplicitDeny;

/// Resource-based policies within one account (IAM user guide, "Policy evaluation for
/// requests within a single account"): identity OR resource policy; a grant to the role ARN
/// is still limited by the boundary, a grant to the session ARN is not; a grant to the
/// account only delegates to the identity policies.
#[test]
fn resource_policy_same_account() {
    let bucket = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv";
    let grant = |principal: Value| {
        doc(
            json!([{"Sid": "Grant", "Effect": "Allow", "Principal": principal,
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]),
        )
    };
    let read = doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    let only_ec2 = doc(json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]));
    let base = |principal_arn: &str, rp: Value, identity: Value, boundary: Value| {
        json!({"action": "s3:GetObject", "resource": bucket, "principal_arn": principal_arn,
               "resource_account": "111122223333", "identity_policies": identity,
               "permissions_boundary": boundary, "resource_policy": rp})
    };
    let none = json!([]);
    // (principal, resource-policy principal, identity policies, boundary, expected, decided_by)
    type Case<'a> = (&'a str, Value, Value, Value, DecisionKind, Option<Layer>);
    let cases: Vec<Case<'_>> = vec![
        // The bucket policy alone grants the role.
        (
            ROLE,
            json!({"AWS": ROLE}),
            none.clone(),
            Value::Null,
            T,
            Some(Layer::Resource),
        ),
        // ... and its sessions.
        (
            SESSION,
            json!({"AWS": ROLE}),
            none.clone(),
            Value::Null,
            T,
            Some(Layer::Resource),
        ),
        // The role ARN grant is limited by the boundary.
        (
            ROLE,
            json!({"AWS": ROLE}),
            none.clone(),
            only_ec2.clone(),
            F,
            Some(Layer::Boundary),
        ),
        (
            SESSION,
            json!({"AWS": ROLE}),
            none.clone(),
            only_ec2.clone(),
            F,
            Some(Layer::Boundary),
        ),
        // A grant to the session ARN itself is not.
        (
            SESSION,
            json!({"AWS": SESSION}),
            none.clone(),
            only_ec2.clone(),
            T,
            Some(Layer::Resource),
        ),
        // "*" grants everyone (limited like a role grant).
        (
            ROLE,
            json!("*"),
            none.clone(),
            Value::Null,
            T,
            Some(Layer::Resource),
        ),
        // The account only delegates: the identity policies must allow.
        (
            ROLE,
            json!({"AWS": "111122223333"}),
            none.clone(),
            Value::Null,
            F,
            Some(Layer::Identity),
        ),
        (
            ROLE,
            json!({"AWS": "arn:aws:iam::111122223333:root"}),
            json!([read]),
            Value::Null,
            T,
            Some(Layer::Identity),
        ),
        // Another principal named: the identity policy alone still allows (same account).
        (
            ROLE,
            json!({"AWS": "arn:aws:iam::111122223333:role/other"}),
            json!([read]),
            Value::Null,
            T,
            Some(Layer::Identity),
        ),
        (
            ROLE,
            json!({"AWS": "arn:aws:iam::111122223333:role/other"}),
            none.clone(),
            Value::Null,
            F,
            Some(Layer::Identity),
        ),
    ];
    for (i, (who, principal, identity, boundary, want, by)) in cases.into_iter().enumerate() {
        let (d, layer, reasons) = sim(base(who, grant(principal), identity, boundary));
        assert_eq!((d, layer), (want, by), "case {i}");
        assert!(reasons.is_empty(), "case {i}: {reasons:?}");
    }
    // An explicit deny in the bucket policy wins over the identity policy's allow.
    let deny = doc(json!([{"Sid": "NoOne", "Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]));
    assert_eq!(sim(base(ROLE, deny, json!([read]), Value::Null)).0, X);
    // NotPrincipal: deny everyone but the named role.
    let not_me = |p: &str| {
        doc(
            json!([{"Effect": "Deny", "NotPrincipal": {"AWS": p}, "Action": "s3:*",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]),
        )
    };
    assert_eq!(
        sim(base(ROLE, not_me(ROLE), json!([read]), Value::Null)).0,
        T
    );
    assert_eq!(
        sim(base(
            ROLE,
            not_me("arn:aws:iam::111122223333:role/admin"),
            json!([read]),
            Value::Null
        )),
        (X, Some(Layer::Resource), vec![])
    );
    // A service principal (CloudTrail writing to its bucket) is granted by the bucket policy.
    let trail = json!({"action": "s3:PutObject", "resource": bucket,
        "principal_arn": "cloudtrail.amazonaws.com", "resource_account": "111122223333",
        "resource_policy": doc(json!([{"Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]))});
    assert_eq!(sim(trail).0, T);
}

/// Cross-account (IAM user guide, "Cross-account policy evaluation logic"): the requester's
/// account must allow (identity side) and the resource's policy must allow too; an unknown
/// resource policy gives conditionally_allowed with the reason.
#[test]
fn resource_policy_cross_account() {
    let read = doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    let ask = |rp: Value, identity: Value| {
        sim(
            json!({"action": "s3:GetObject", "resource": "arn:aws:s3:::partner-bucket/k",
            "principal_arn": ROLE, "resource_account": "444455556666",
            "identity_policies": identity, "resource_policy": rp}),
        )
    };
    let grant = |p: &str| {
        doc(
            json!([{"Effect": "Allow", "Principal": {"AWS": p}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::partner-bucket/*"}]),
        )
    };
    assert_eq!(
        ask(grant("111122223333"), json!([read])),
        (T, Some(Layer::Identity), vec![])
    );
    assert_eq!(ask(grant(ROLE), json!([read])).0, T);
    // Only the resource side: not enough across accounts.
    assert_eq!(
        ask(grant(ROLE), json!([])),
        (F, Some(Layer::Identity), vec![])
    );
    // Only the identity side: the bucket policy names someone else.
    assert_eq!(
        ask(grant("arn:aws:iam::999999999999:root"), json!([read])),
        (F, Some(Layer::Resource), vec![])
    );
    // Unknown bucket policy: conditionally allowed, with the reason.
    let (d, layer, reasons) = ask(Value::Null, json!([read]));
    assert_eq!((d, layer), (U, Some(Layer::Resource)));
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains("cross-account"), "{reasons:?}");
    // The resource's account from its ARN (an SQS queue of another account).
    let (d, _, reasons) = sim(json!({"action": "sqs:SendMessage",
        "resource": "arn:aws:sqs:us-east-1:444455556666:queue1", "principal_arn": ROLE,
        "identity_policies": [doc(json!([{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]))]}));
    assert_eq!((d, reasons.len()), (U, 1));
    // Same account, no resource policy: as before.
    let (d, _, reasons) = sim(json!({"action": "sqs:SendMessage",
        "resource": "arn:aws:sqs:us-east-1:111122223333:queue1", "principal_arn": ROLE,
        "identity_policies": [doc(json!([{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]))]}));
    assert_eq!((d, reasons.len()), (T, 0));
}

/// sts:AssumeRole needs the target role's trust policy (IAM user guide, "Granting a user
/// permissions to switch roles"; the trust policy is the role's resource-based policy).
#[test]
fn assume_role_needs_the_trust_policy() {
    let target = "arn:aws:iam::444455556666:role/deploy";
    let may_assume =
        doc(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]));
    let trust = |p: &str| {
        doc(json!([{"Effect": "Allow", "Principal": {"AWS": p}, "Action": "sts:AssumeRole"}]))
    };
    let ask = |trust: Value, identity: Value, target: &str| {
        sim(
            json!({"action": "sts:AssumeRole", "resource": target, "principal_arn": ROLE,
            "identity_policies": identity, "role_trust_policy": trust}),
        )
    };
    // Cross-account: both the caller's policy and the trust policy.
    assert_eq!(ask(trust("111122223333"), json!([may_assume]), target).0, T);
    assert_eq!(ask(trust(ROLE), json!([]), target).0, F);
    assert_eq!(
        ask(
            trust("arn:aws:iam::999999999999:root"),
            json!([may_assume]),
            target
        )
        .0,
        F
    );
    let (d, layer, reasons) = ask(Value::Null, json!([may_assume]), target);
    assert_eq!((d, layer), (U, Some(Layer::Resource)));
    assert!(reasons[0].contains("trust policy"), "{reasons:?}");
    // Same account: a trust policy naming the role grants by itself; naming the account
    // delegates to the identity policies; no trust policy known: conditional.
    let local = "arn:aws:iam::111122223333:role/deploy";
    assert_eq!(ask(trust(ROLE), json!([]), local).0, T);
    assert_eq!(ask(trust("111122223333"), json!([]), local).0, F);
    let may_assume_local =
        doc(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": local}]));
    assert_eq!(
        ask(trust("111122223333"), json!([may_assume_local]), local).0,
        T
    );
    assert_eq!(ask(Value::Null, json!([may_assume_local]), local).0, U);
    assert!(
        SimulateRequest::parse(&json!({"action": "sts:AssumeRole", "resource": local,
            "resource_policy": trust(ROLE), "role_trust_policy": trust(ROLE), "principal_arn": ROLE}))
        .map_err(|e| e.to_string())
        .unwrap_err()
        .contains("role_trust_policy")
    );
}

/// KMS key policies are required (KMS developer guide, "Key policies in AWS KMS"): identity
/// policies count only when the key policy delegates to the account ("Enable IAM User
/// Permissions", principal the account root).
#[test]
fn kms_key_policy_is_required() {
    let key = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let decrypt = doc(json!([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]));
    let default_policy = doc(
        json!([{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]),
    );
    let key_users = doc(json!([{"Sid": "Allow use of the key", "Effect": "Allow",
        "Principal": {"AWS": ROLE}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]));
    let ask = |kp: Value, identity: Value| {
        sim(
            json!({"action": "kms:Decrypt", "resource": key, "principal_arn": ROLE,
            "identity_policies": identity, "resource_policy": kp}),
        )
    };
    assert_eq!(ask(default_policy, json!([decrypt])).0, T);
    // The key policy names the role: no identity policy needed.
    assert_eq!(ask(key_users.clone(), json!([])).0, T);
    // The key policy does not delegate to IAM: the identity policy grants nothing.
    let admins_only = doc(json!([{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"}, "Action": "kms:*", "Resource": "*"}]));
    assert_eq!(
        ask(admins_only, json!([decrypt])),
        (F, Some(Layer::Resource), vec![])
    );
    // Unknown key policy: conditionally allowed, with the reason.
    let (d, layer, reasons) = ask(Value::Null, json!([decrypt]));
    assert_eq!((d, layer), (U, Some(Layer::Resource)));
    assert!(reasons[0].contains("key policy"), "{reasons:?}");
    // Not a key (kms:ListKeys on *): identity policies alone, as before.
    let (d, _, reasons) = sim(json!({"action": "kms:ListKeys", "principal_arn": ROLE,
        "identity_policies": [doc(json!([{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]))]}));
    assert_eq!((d, reasons.len()), (T, 0));
    // A resource policy needs the principal to match against.
    assert!(
        SimulateRequest::parse(
            &json!({"action": "kms:Decrypt", "resource": key, "resource_policy": key_users})
        )
        .map_err(|e| e.to_string())
        .unwrap_err()
        .contains("principal_arn")
    );
}

/// AWS's fixed denials: AWS managed policies and service-linked / Identity Center reserved
/// roles cannot be changed, even by an administrator; other actions on them, and the same
/// actions on customer resources, are evaluated as usual.
#[test]
fn fixed_denials_on_aws_owned_policies_and_roles() {
    let admin = doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let ask = |action: &str, resource: &str| {
        sim(
            json!({"action": action, "resource": resource, "principal_arn": ROLE,
            "identity_policies": [admin]}),
        )
    };
    let managed = "arn:aws:iam::aws:policy/AdministratorAccess";
    let slr = "arn:aws:iam::111122223333:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing";
    let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef";
    let cases: [(&str, &str, DecisionKind); 10] = [
        ("iam:CreatePolicyVersion", managed, X),
        ("iam:DeletePolicy", managed, X),
        ("iam:SetDefaultPolicyVersion", managed, X),
        ("iam:GetPolicy", managed, T),
        (
            "iam:CreatePolicyVersion",
            "arn:aws:iam::111122223333:policy/mine",
            T,
        ),
        ("iam:UpdateAssumeRolePolicy", slr, X),
        ("iam:AttachRolePolicy", slr, X),
        ("iam:PutRolePolicy", sso, X),
        ("iam:GetRole", slr, T),
        ("iam:PutRolePolicy", "arn:aws:iam::111122223333:role/app", T),
    ];
    for (action, resource, want) in cases {
        let (d, by, reasons) = ask(action, resource);
        assert_eq!(d, want, "{action} on {resource}");
        if want == X {
            assert_eq!(by, None);
            assert!(reasons[0].contains("AWS refuses"), "{reasons:?}");
        } else {
            assert!(reasons.is_empty());
        }
    }
}

/// A resource policy deny that depends on a missing key makes an allow conditional, decided
/// by the resource policy (the S3 user guide's "deny unless HTTPS" bucket policy).
#[test]
fn resource_policy_unknown_deny_is_conditional() {
    let req = json!({"action": "s3:GetObject", "resource": "arn:aws:s3:::amzn-s3-demo-bucket/k",
        "principal_arn": ROLE, "resource_account": "111122223333",
        "identity_policies": [doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]))],
        "resource_policy": doc(json!([{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]))});
    let r = SimulateRequest::parse(&req).unwrap_or_else(|e| panic!("{e}"));
    let (d, reasons) = r.evaluate_explained();
    assert_eq!((d.decision, d.decided_by), (U, Some(Layer::Resource)));
    assert_eq!(d.missing_context_keys, ["aws:SecureTransport"]);
    assert!(reasons.is_empty());
    let mut known = req.clone();
    known["context"] = json!({"aws:SecureTransport": "false"});
    assert_eq!(sim(known.clone()).0, X);
    known["context"] = json!({"aws:SecureTransport": "true"});
    assert_eq!(sim(known).0, T);
}

/// A chunk between stars whose leading literal occurs overlapping itself: the match may
/// start at an occurrence `match_indices` skips (found by the proptest
/// `wildcard_matches_its_own_literal_expansions`: `*bb?b*` against `bbbabb`).
#[test]
fn wildcard_chunk_at_an_overlapping_occurrence() {
    for (pattern, input, want) in [
        ("*bb?b*", "bbbabb", true),
        ("*aa?a", "aaaba", true),
        ("x*aa?a*y", "xaaabay", true),
        ("*bb?b*", "bbbb", true),
        ("*bb?b*", "bbab", true),
        ("*bb?b*", "bab", false),
        ("*éé?é*", "éééxé", true),
    ] {
        assert_eq!(wildcard_match(pattern, input), want, "{pattern} {input}");
    }
}

/// A policy keeps, per action, which of its statements name it: the list is
/// in statement order, honours `NotAction` and wildcards, is the same when
/// asked again (then from the cache), and differs per action.
#[test]
fn a_policys_statements_naming_an_action_are_listed_once_per_action() {
    let p_doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObject"], "Resource": "*"},
    ]});
    let p = Policy::parse("p", &p_doc).unwrap();
    for _ in 0..2 {
        assert_eq!(&*p.statements_naming("s3:getobject"), &[0, 1, 2]);
        assert_eq!(&*p.statements_naming("iam:passrole"), &[2]);
        assert_eq!(&*p.statements_naming("ssm:getparameters"), &[1]);
    }
    // More actions than the cache keeps: answers stay right.
    for i in 0..40 {
        assert_eq!(&*p.statements_naming(&format!("ec2:action{i}")), &[1]);
    }
    assert_eq!(&*p.statements_naming("s3:getobject"), &[0, 1, 2]);

    // Threads asking a fresh policy the same actions at once (as the
    // snapshot's threads ask a shared managed policy) all get the same lists.
    let fresh = Policy::parse("p", &p_doc).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100 {
                    assert_eq!(&*fresh.statements_naming("iam:passrole"), &[2]);
                    assert_eq!(&*fresh.statements_naming("s3:getobject"), &[0, 1, 2]);
                }
            });
        }
    });

    // A policy parsed unshared remembers nothing and lists the same.
    let unshared = Policy::parse_unshared("p", &p_doc).unwrap();
    for (action, want) in [
        ("s3:getobject", &[0usize, 1, 2][..]),
        ("iam:passrole", &[2]),
        ("ssm:getparameters", &[1]),
    ] {
        for policy in [&p, &unshared] {
            let mut listed = Vec::new();
            policy.each_statement_naming(action, |i, _| listed.push(i));
            assert_eq!(listed, want, "{action}");
        }
        let indices: Vec<usize> = unshared
            .statements_naming(action)
            .iter()
            .map(|&i| i as usize)
            .collect();
        assert_eq!(indices, want, "{action}");
    }
}

/// Splitting a pattern's tokens on `:` stops after `n` segments (the rest,
/// separators included, stays in the last one), keeps wildcards in their
/// segment, and leaves empty segments empty.
#[test]
fn pattern_tokens_split_into_at_most_n_segments() {
    use crate::eval::condition::split_tokens;
    use crate::eval::wildcard::{Tok, tokenize_wild};
    let text = |seg: &[Tok]| -> String {
        seg.iter()
            .map(|t| match t {
                Tok::Lit(l) => l.as_str(),
                Tok::Star => "*",
                Tok::Q => "?",
            })
            .collect()
    };
    let split = |s: &str, n| -> Vec<String> {
        split_tokens(&tokenize_wild(s), ':', n)
            .iter()
            .map(|seg| text(seg))
            .collect()
    };
    assert_eq!(
        split("arn:aws:s3:::bucket:with:colons/*", 6),
        ["arn", "aws", "s3", "", "", "bucket:with:colons/*"]
    );
    assert_eq!(
        split("arn:aws:iam::12345678901?:role/app-*", 6),
        ["arn", "aws", "iam", "", "12345678901?", "role/app-*"]
    );
    assert_eq!(split("*:a*b:c", 2), ["*", "a*b:c"]);
    assert_eq!(split("no-separator", 6), ["no-separator"]);
    assert_eq!(split("a::", 6), ["a", "", ""]);
    // Segments hold tokens, not text: a wildcard stays a wildcard.
    let segs = split_tokens(&tokenize_wild("arn:*:iam"), ':', 6);
    assert!(matches!(segs[1].as_slice(), [Tok::Star]));
}

/// Asking several actions at once (as the snapshot does, with one buffer of
/// candidate statements) answers each exactly as asking it alone: deny,
/// conditional, boundary and SCP gates, NotResource, an always-allowed and
/// an unknown action, in any order and repeated.
#[test]
fn actions_asked_together_are_answered_as_alone() {
    let docs = [
        (
            "inline:a",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["iam:PassRole", "s3:Get*"], "Resource": "arn:aws:iam::123456789012:role/*"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
                {"Effect": "Deny", "Action": "ssm:GetParameters", "NotResource": "arn:aws:ssm:*:*:parameter/public/*"},
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
            ]}),
        ),
        (
            "managed",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:*:123456789012:table/*"},
            ]}),
        ),
    ];
    let identity = docs.clone().map(|(id, doc)| pol(id, doc));
    let boundary = pol(
        "boundary",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "iam:CreateRole", "Resource": "*"},
        ]}),
    );
    let scps = [vec![pol(
        "scp",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"},
        ]}),
    )]];
    let set = PolicySet {
        identity: &identity,
        boundary: Some(&boundary),
        scp_levels: &scps,
        ..PolicySet::default()
    };
    let ctx = Context::for_role(OWN, "arn:aws:iam::123456789012:role/r", std::iter::empty());
    let actions = [
        "iam:PassRole",
        "s3:GetObject",
        "ssm:GetParameters",
        "dynamodb:GetItem",
        "iam:CreateRole",
        "sts:AssumeRole",
        "sts:GetCallerIdentity",
        "nosuch:Action",
        "IAM:PASSROLE",
        "s3:GetObject",
    ];
    let together = crate::eval::evaluate_breadths(&set, actions, &ctx, OWN);
    assert_eq!(together.len(), actions.len());
    for (action, got) in actions.iter().zip(&together) {
        let alone = crate::eval::evaluate_breadth(&set, action, &ctx, OWN);
        assert_eq!(got, &alone, "{action}");
    }
    // The answers differ from one another: the buffer did not carry one
    // action's statements into the next.
    let kinds: std::collections::HashSet<_> = together.iter().map(|d| d.any.decision).collect();
    assert!(kinds.len() >= 3, "{kinds:?}");

    // Parsed unshared (as the snapshot parses inline policies), the same
    // policies give the same answers.
    let unshared = docs.map(|(id, doc)| Policy::parse_unshared(id, &doc).unwrap());
    let set = PolicySet {
        identity: &unshared,
        ..set
    };
    assert_eq!(
        crate::eval::evaluate_breadths(&set, actions, &ctx, OWN),
        together
    );
}
