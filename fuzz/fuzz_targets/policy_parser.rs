//! Feeds arbitrary bytes to the policy parser and, when they parse, evaluates a few fixed
//! requests against the policy in every layer. No input may panic.
#![no_main]

// Default: the evaluator as the iamlake crate exports it. With the `standalone` feature (and
// no default features) the same source files are compiled into this target directly.
#[cfg(feature = "iamlake")]
use iamlake::eval;
#[cfg(not(feature = "iamlake"))]
#[allow(dead_code, unused_imports)]
#[path = "../../src/eval/mod.rs"]
mod eval;

use eval::{
    Context, DecisionKind, Policy, PolicySet, Request, RequestResource, evaluate,
    trusted_principals,
};
use libfuzzer_sys::fuzz_target;

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "iam:PassRole",
    "ec2:RunInstances",
    "S3:ListBucket",
];
const ARNS: &[&str] = &[
    "arn:aws:s3:::bucket/key",
    "arn:aws:iam::123456789012:role/app",
    "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",
];

/// A context as the snapshot builds it, plus some request keys.
fn full_context() -> Context {
    let mut c = Context::new();
    let kv: &[(&str, &[&str])] = &[
        ("aws:PrincipalArn", &["arn:aws:iam::123456789012:role/app"]),
        ("aws:PrincipalAccount", &["123456789012"]),
        ("aws:PrincipalType", &["AssumedRole"]),
        ("aws:PrincipalTag/team", &["blue"]),
        ("aws:username", &["alice"]),
        ("aws:SourceIp", &["10.1.2.3"]),
        ("aws:CurrentTime", &["2024-05-01T12:00:00Z"]),
        ("aws:EpochTime", &["1714564800"]),
        ("aws:MultiFactorAuthAge", &["30"]),
        ("aws:SecureTransport", &["true"]),
        ("aws:TagKeys", &["a", "b"]),
        ("aws:RequestTag/env", &[]),
        ("s3:prefix", &["home/alice/"]),
        ("kms:EncryptionContext:x", &["aGVsbG8="]),
    ];
    for (k, v) in kv {
        c.insert(*k, v.iter().map(|s| s.to_string()).collect());
    }
    c.mark_complete_prefix("aws:PrincipalTag/");
    c
}

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = Policy::parse_json("fuzz", data) else {
        return;
    };
    // Accessors must not panic either.
    let _ = (policy.id(), policy.version(), policy.statement_count());
    let _ = policy.statements().count();
    if let Ok(v) = serde_json::from_slice(data) {
        let _ = trusted_principals(&v);
    }
    let contexts = [Context::new(), Context::new_complete(), full_context()];
    let levels = [vec![policy.clone()]];
    let identity = std::slice::from_ref(&policy);
    let sets = [
        PolicySet {
            identity,
            boundary: None,
            scp_levels: &[],
            ..PolicySet::default()
        },
        PolicySet {
            identity,
            boundary: Some(&policy),
            scp_levels: &levels,
            ..PolicySet::default()
        },
        // The same document as every gate: RCP level and session policy too.
        PolicySet {
            identity,
            boundary: Some(&policy),
            scp_levels: &levels,
            rcp_levels: &levels,
            session: Some(&policy),
        },
    ];
    for ctx in &contexts {
        for action in ACTIONS {
            let resources = std::iter::once(RequestResource::Any)
                .chain(ARNS.iter().map(|a| RequestResource::Arn(a.to_string())));
            for resource in resources {
                let req = Request {
                    action,
                    resource,
                    context: ctx,
                };
                for set in &sets {
                    let d = evaluate(set, &req);
                    // Missing keys are reported exactly when the answer is conditional.
                    assert_eq!(
                        d.decision == DecisionKind::ConditionallyAllowed,
                        !d.missing_context_keys.is_empty(),
                        "{d:?}"
                    );
                }
            }
            // Breadth: allowed on any resource is allowed at breadth `any`, with the
            // same decision; a breadth is reported exactly when something is allowed.
            for set in &sets {
                let b = eval::evaluate_breadth(set, action, ctx, "123456789012");
                if b.any.decision.is_allowed() {
                    assert_eq!(b.breadth, Some(eval::Breadth::Any), "{b:?}");
                    assert_eq!(b.breadth_decision, b.any.decision, "{b:?}");
                }
                assert_eq!(
                    b.breadth.is_some(),
                    b.breadth_decision.is_allowed(),
                    "{b:?}"
                );
            }
        }
    }
});
