//! AWS's own documentation examples, evaluated through the `simulate --request` path
//! ([`SimulateRequest`]): each test takes the policies a documentation page prints and checks
//! the answer the page gives, citing the page. Where the page states a rule without an
//! example, the test uses the page's example ARNs and says which sentence it checks.

use serde_json::{Value, json};

use crate::eval::{DecisionKind, Layer, SimulateRequest};

const ALLOWED: DecisionKind = DecisionKind::Allowed;
const IMPLICIT: DecisionKind = DecisionKind::ImplicitDeny;
const EXPLICIT: DecisionKind = DecisionKind::ExplicitDeny;
const CONDITIONAL: DecisionKind = DecisionKind::ConditionallyAllowed;

/// (decision, decided_by, reasons) of a request file.
fn ask(req: &Value) -> (DecisionKind, Option<Layer>, Vec<String>) {
    let r = SimulateRequest::parse(req).unwrap_or_else(|e| panic!("{e}: {req}"));
    let (d, reasons) = r.evaluate_explained();
    (d.decision, d.decided_by, reasons)
}

fn decision(req: &Value) -> DecisionKind {
    ask(req).0
}

/// `base` with the fields of `extra` set (or replaced).
fn with(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    for (k, v) in extra.as_object().expect("an object") {
        out[k] = v.clone();
    }
    out
}

/// IAM user guide, "Policy evaluation logic", example "Example identity-based and
/// resource-based policy evaluation" (Carlos and the `carlossalazar` buckets):
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policies_evaluation_example>
/// (source: awsdocs/iam-user-guide, doc_source/reference_policies_evaluation-logic.md).
#[test]
fn same_account_carlos_example() {
    let carlos = "arn:aws:iam::123456789012:user/carlossalazar";
    let identity = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow",
         "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock",
                    "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
         "Resource": "arn:aws:s3:::*"},
        {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
         "Resource": "arn:aws:s3:::*log*"}]});
    // Attached to the `carlossalazar` bucket.
    let bucket_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
         "Action": "s3:*",
         "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]}]});

    // "Carlos is denied access": saving to carlossalazar-logs hits DenyS3Logs (no bucket
    // policy on that bucket).
    let to_logs = json!({"action": "s3:PutObject", "resource": "arn:aws:s3:::carlossalazar-logs/report.txt",
        "principal_arn": carlos, "resource_account": "123456789012",
        "identity_policies": [identity]});
    assert_eq!(ask(&to_logs), (EXPLICIT, Some(Layer::Identity), vec![]));

    // "Both the identity-based policy and the resource-based policy allow the request.
    // Therefore, AWS allows the request."
    let to_own = json!({"action": "s3:PutObject", "resource": "arn:aws:s3:::carlossalazar/report.txt",
        "principal_arn": carlos, "resource_account": "123456789012",
        "identity_policies": [identity], "resource_policy": bucket_policy});
    assert_eq!(ask(&to_own), (ALLOWED, Some(Layer::Identity), vec![]));

    // "If one of the policy types allows the request and the other doesn't, the request is
    // still allowed": each side alone.
    let identity_only = with(&to_own, json!({"resource_policy": null}));
    assert_eq!(decision(&identity_only), ALLOWED);
    let resource_only = with(&to_own, json!({"identity_policies": []}));
    assert_eq!(
        ask(&resource_only),
        (ALLOWED, Some(Layer::Resource), vec![])
    );
    // "If either of them explicitly denied the statement, the request would have been
    // denied": a Deny in the bucket policy.
    let denied = with(
        &to_own,
        json!({"resource_policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::carlossalazar/*"}]}}),
    );
    assert_eq!(ask(&denied), (EXPLICIT, Some(Layer::Resource), vec![]));
}

/// IAM user guide, "Policy evaluation logic", step "Resource-based policies" of "Determining
/// whether a request is allowed or denied within an account": which principal the resource
/// policy names decides which implicit denies still apply, with the page's example ARNs
/// (`examplerole`, `examplerolesessionname`, `exampleuser`):
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow>.
#[test]
fn same_account_principal_kinds_and_implicit_denies() {
    let role = "arn:aws:iam::111122223333:role/examplerole";
    let session = "arn:aws:sts::111122223333:assumed-role/examplerole/examplerolesessionname";
    let user = "arn:aws:iam::111122223333:user/exampleuser";
    let grant = |principal: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": principal}, "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:111122223333:queue1"}]})
    };
    // A boundary and a session policy that both leave SQS out, and no identity policy.
    let only_ec2 = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]});
    let req = |requester: &str, named: &str, extra: Value| {
        with(
            &json!({"action": "sqs:SendMessage",
                "resource": "arn:aws:sqs:us-east-1:111122223333:queue1",
                "principal_arn": requester, "identity_policies": [],
                "resource_policy": grant(named)}),
            extra,
        )
    };
    // "Resource-based policies that grant permissions to an IAM role ARN are limited by an
    // implicit deny in a permissions boundary or session policy."
    assert_eq!(
        ask(&req(session, role, json!({}))),
        (ALLOWED, Some(Layer::Resource), vec![])
    );
    assert_eq!(
        ask(&req(
            session,
            role,
            json!({"permissions_boundary": only_ec2.clone()})
        ))
        .0,
        IMPLICIT
    );
    assert_eq!(
        ask(&req(
            session,
            role,
            json!({"session_policy": only_ec2.clone()})
        )),
        (IMPLICIT, Some(Layer::Session), vec![])
    );
    // "Permissions granted directly to a session are not limited by an implicit deny in an
    // identity-based policy, a permissions boundary, or session policy."
    assert_eq!(
        decision(&req(
            session,
            session,
            json!({"permissions_boundary": only_ec2.clone(), "session_policy": only_ec2.clone()})
        )),
        ALLOWED
    );
    // "Resource-based policies that grant permissions to an IAM user ARN ... are not limited
    // by an implicit deny in an identity-based policy or permissions boundary."
    assert_eq!(
        ask(&req(user, user, json!({"permissions_boundary": only_ec2}))),
        (ALLOWED, Some(Layer::Resource), vec![])
    );
}

/// IAM user guide, "Cross-account policy evaluation logic", "Example cross-account policy
/// evaluation" (Carlos in 111111111111, the `Production` bucket in 222222222222):
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>
/// (source: awsdocs/iam-user-guide, doc_source/reference_policies_evaluation-logic-cross-account.md).
#[test]
fn cross_account_carlos_example() {
    let carlos = "arn:aws:iam::111111111111:user/carlossalazar";
    let identity = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Sid": "AllowS3ProductionObjectActions", "Effect": "Allow", "Action": "s3:*Object*",
         "Resource": "arn:aws:s3:::Production/*"},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"]}]});
    let production_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Action": ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
         "Principal": {"AWS": "arn:aws:iam::111111111111:user/carlossalazar"},
         "Resource": "arn:aws:s3:::Production/*"}]});

    // "Because the request is explicitly denied within one of the accounts, the final
    // decision is to deny the request." (Production-logs has no bucket policy.)
    let to_logs = json!({"action": "s3:PutObject", "resource": "arn:aws:s3:::Production-logs/f.txt",
        "principal_arn": carlos, "resource_account": "222222222222",
        "identity_policies": [identity]});
    assert_eq!(ask(&to_logs), (EXPLICIT, Some(Layer::Identity), vec![]));

    // "Because both accounts allow the request, the final decision is to allow the request."
    let to_production = json!({"action": "s3:PutObject", "resource": "arn:aws:s3:::Production/f.txt",
        "principal_arn": carlos, "resource_account": "222222222222",
        "identity_policies": [identity], "resource_policy": production_policy});
    assert_eq!(
        ask(&to_production),
        (ALLOWED, Some(Layer::Identity), vec![])
    );

    // "He can create and edit, but not delete the objects in the bucket": his own policy
    // allows s3:DeleteObject (s3:*Object*), the bucket policy does not.
    let delete = with(&to_production, json!({"action": "s3:DeleteObject"}));
    assert_eq!(ask(&delete), (IMPLICIT, Some(Layer::Resource), vec![]));
    // "The request is allowed only if both evaluations return a decision of Allow": the
    // bucket policy alone does not do it across accounts.
    let no_identity = with(&to_production, json!({"identity_policies": []}));
    assert_eq!(decision(&no_identity), IMPLICIT);
    // Without the bucket policy the trusting account's answer is unknown.
    let (d, by, reasons) = ask(&with(&to_production, json!({"resource_policy": null})));
    assert_eq!((d, by), (CONDITIONAL, Some(Layer::Resource)));
    assert_eq!(reasons.len(), 1, "{reasons:?}");
}

/// IAM user guide, "Policies and permissions in IAM", "Examples of JSON policy syntax": a
/// bucket policy naming only the account ("Because the policy grants trust only to the
/// account, individual users in the account must still be granted permissions"):
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies-syntax-examples>.
#[test]
fn account_principal_only_delegates() {
    let account_policy = json!({"Version": "2012-10-17", "Id": "S3-Account-Permissions",
        "Statement": [{"Sid": "1", "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": "s3:*",
            "Resource": ["arn:aws:s3:::mybucket", "arn:aws:s3:::mybucket/*"]}]});
    let base = json!({"action": "s3:GetObject", "resource": "arn:aws:s3:::mybucket/k",
        "principal_arn": "arn:aws:iam::111122223333:user/bob",
        "resource_account": "111122223333", "resource_policy": account_policy});
    assert_eq!(decision(&base), IMPLICIT);
    let granted = with(
        &base,
        json!({"identity_policies": [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mybucket/*"}]}]}),
    );
    assert_eq!(decision(&granted), ALLOWED);
    // A principal of another account is not named by it: its own policy is not enough.
    let other = with(
        &granted,
        json!({"principal_arn": "arn:aws:iam::444455556666:user/bob"}),
    );
    assert_eq!(ask(&other), (IMPLICIT, Some(Layer::Resource), vec![]));
}

/// IAM user guide, "Session policies": with a resource policy naming the role, "the
/// resulting session's permissions are the intersection of the session policies and either
/// the resource-based policy or the identity-based policy"; naming the session, "the
/// resulting session has all the permissions of the resource-based policy plus the
/// intersection of the identity-based policy and the session policy"; with a boundary,
/// "the intersection of the session policy, the permissions boundary, and the
/// identity-based policy":
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session>
/// (source: awsdocs/iam-user-guide, doc_source/access_policies.md).
#[test]
fn session_policy_examples() {
    let role = "arn:aws:iam::111122223333:role/examplerole";
    let session = "arn:aws:sts::111122223333:assumed-role/examplerole/alice";
    let bucket = |principal: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": principal}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]})
    };
    let allow = |action: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": action, "Resource": "*"}]})
    };
    let req = |action: &str, extra: Value| {
        with(
            &json!({"action": action, "resource": "arn:aws:s3:::amzn-s3-demo-bucket/k",
                "resource_account": "111122223333", "principal_arn": session,
                "identity_policies": []}),
            extra,
        )
    };
    // Role ARN named: session policy ∩ (resource policy ∪ identity policy).
    let read_session = allow("s3:GetObject");
    assert_eq!(
        decision(&req(
            "s3:GetObject",
            json!({"resource_policy": bucket(role), "session_policy": read_session})
        )),
        ALLOWED
    );
    assert_eq!(
        ask(&req(
            "s3:GetObject",
            json!({"resource_policy": bucket(role), "session_policy": allow("s3:PutObject")})
        ))
        .0,
        IMPLICIT
    );
    // The identity side of the union, intersected with the session policy.
    let put_role = allow("s3:PutObject");
    assert_eq!(
        decision(&req(
            "s3:PutObject",
            json!({"resource_policy": bucket(role), "identity_policies": [put_role],
                   "session_policy": allow("s3:*")})
        )),
        ALLOWED
    );
    assert_eq!(
        ask(&req(
            "s3:PutObject",
            json!({"resource_policy": bucket(role), "identity_policies": [put_role],
                   "session_policy": allow("s3:GetObject")})
        )),
        (IMPLICIT, Some(Layer::Session), vec![])
    );
    // Session ARN named: the resource policy's permissions are not limited by the session
    // policy.
    assert_eq!(
        decision(&req(
            "s3:GetObject",
            json!({"resource_policy": bucket(session), "session_policy": allow("ec2:*")})
        )),
        ALLOWED
    );
    // Session policy, boundary and identity policy: all three must allow.
    let three = |boundary: &str| {
        req(
            "s3:PutObject",
            json!({"identity_policies": [put_role], "session_policy": allow("s3:*"),
                   "permissions_boundary": allow(boundary)}),
        )
    };
    assert_eq!(decision(&three("s3:*")), ALLOWED);
    assert_eq!(
        ask(&three("s3:GetObject")),
        (IMPLICIT, Some(Layer::Boundary), vec![])
    );
}

/// KMS developer guide, "Default key policy" and "Key policies in AWS KMS": the key policy
/// is required ("Unless the key policy explicitly allows it, you cannot use IAM policies to
/// allow access to a KMS key"); the account principal statement ("Enable IAM policies")
/// delegates to IAM policies and gives no IAM user or role permission by itself; IAM denies
/// are effective even without it; the console's key administrators statement grants
/// `KMSAdminRole` management but not cryptographic use:
/// <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html>,
/// <https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html>
/// (source: awsdocs/aws-kms-developer-guide, doc_source/key-policy-default.md).
#[test]
fn kms_key_policy_examples() {
    let key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let enable_iam = json!({"Sid": "Enable IAM policies", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"});
    let admins = json!({"Sid": "Allow access for Key Administrators", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:user/KMSAdminUser",
                              "arn:aws:iam::111122223333:role/KMSAdminRole"]},
        "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                   "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                   "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                   "kms:CancelKeyDeletion"],
        "Resource": "*"});
    let key_policy = |statements: Value| json!({"Version": "2012-10-17", "Statement": statements});
    let iam = |effect: &str, action: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Action": action, "Resource": key}]})
    };
    let req = |who: &str, action: &str, kp: Value, identity: Value| {
        json!({"action": action, "resource": key, "principal_arn": who,
            "identity_policies": identity, "resource_policy": kp})
    };
    let app = "arn:aws:iam::111122223333:role/app";
    let admin = "arn:aws:iam::111122223333:role/KMSAdminRole";

    // The programmatic default key policy (one statement): IAM policies decide.
    let default = key_policy(json!([enable_iam]));
    assert_eq!(
        decision(&req(
            app,
            "kms:Decrypt",
            default.clone(),
            json!([iam("Allow", "kms:Decrypt")])
        )),
        ALLOWED
    );
    // "the policy statement doesn't give any IAM users or roles permission to use the KMS key"
    assert_eq!(
        ask(&req(app, "kms:Decrypt", default.clone(), json!([]))),
        (IMPLICIT, Some(Layer::Identity), vec![])
    );
    // Without that statement: "IAM policies that allow access to the key are ineffective,
    // although IAM policies that deny access to the key are still effective."
    let admins_only = key_policy(json!([admins]));
    assert_eq!(
        ask(&req(
            app,
            "kms:Decrypt",
            admins_only.clone(),
            json!([iam("Allow", "kms:*")])
        )),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    assert_eq!(
        ask(&req(
            admin,
            "kms:ScheduleKeyDeletion",
            admins_only.clone(),
            json!([iam("Deny", "kms:ScheduleKeyDeletion")])
        ))
        .0,
        EXPLICIT
    );
    // Key administrators: they manage the key (by the key policy alone) but "do not have
    // permissions to use the KMS key in cryptographic operations"; "kms:Delete* does not
    // allow key administrators to delete the KMS key", the explicit ScheduleKeyDeletion does.
    for (action, want) in [
        ("kms:DescribeKey", ALLOWED),
        ("kms:PutKeyPolicy", ALLOWED),
        ("kms:ScheduleKeyDeletion", ALLOWED),
        ("kms:Decrypt", IMPLICIT),
        ("kms:GenerateDataKey", IMPLICIT),
    ] {
        assert_eq!(
            decision(&req(admin, action, admins_only.clone(), json!([]))),
            want,
            "{action}"
        );
    }
    let deletes_only = key_policy(json!([{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSAdminRole"},
        "Action": "kms:Delete*", "Resource": "*"}]));
    assert_eq!(
        decision(&req(
            admin,
            "kms:ScheduleKeyDeletion",
            deletes_only,
            json!([])
        )),
        IMPLICIT
    );
    // The key policy unknown: only conditionally allowed, with the reason.
    let (d, by, reasons) = ask(&req(
        app,
        "kms:Decrypt",
        Value::Null,
        json!([iam("Allow", "kms:Decrypt")]),
    ));
    assert_eq!((d, by), (CONDITIONAL, Some(Layer::Resource)));
    assert!(reasons[0].contains("key policy"), "{reasons:?}");
}

/// IAM user guide: role trust policies are required resource policies ("IAM role trust
/// policies and KMS key policies are exceptions to this logic, because they must
/// explicitly allow access for principals",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow>),
/// and "Granting a user permissions to switch roles": the trusting account's role names the
/// trusted account as `Principal` ("That allows potentially any user in the trusted account
/// to assume the role"), and the user's policy allows `sts:AssumeRole` on roles whose name
/// begins with `Test` in that one account
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html>,
/// source: awsdocs/iam-user-guide, doc_source/id_roles_use_permissions-to-switch.md).
#[test]
fn trust_policy_examples() {
    let user = "arn:aws:iam::111122223333:user/david";
    let trust = |principal: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})
    };
    // The guide's policy, ACCOUNT-ID-WITHOUT-HYPHENS = 444455556666.
    let may_switch = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::444455556666:role/Test*"}});
    let switch = |role: &str, trust_policy: Value, identity: Value| {
        json!({"action": "sts:AssumeRole", "resource": role, "principal_arn": user,
            "identity_policies": identity, "role_trust_policy": trust_policy})
    };
    let test_role = "arn:aws:iam::444455556666:role/TestApp";
    let trusted = trust("arn:aws:iam::111122223333:root");
    assert_eq!(
        ask(&switch(test_role, trusted.clone(), json!([may_switch]))),
        (ALLOWED, Some(Layer::Identity), vec![])
    );
    // "the user can switch to a role only if the role name begins with the letters Test".
    assert_eq!(
        ask(&switch(
            "arn:aws:iam::444455556666:role/ProdApp",
            trusted.clone(),
            json!([may_switch])
        )),
        (IMPLICIT, Some(Layer::Identity), vec![])
    );
    // The trust policy must name the trusted account (or the user): another account's
    // trust does not do.
    assert_eq!(
        ask(&switch(
            test_role,
            trust("arn:aws:iam::999988887777:root"),
            json!([may_switch])
        )),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    // Trust alone is half: the trusted account must also allow.
    assert_eq!(ask(&switch(test_role, trust(user), json!([]))).0, IMPLICIT);
    // The trust policy not given: conditional, with the reason.
    let (d, by, reasons) = ask(&switch(test_role, Value::Null, json!([may_switch])));
    assert_eq!((d, by), (CONDITIONAL, Some(Layer::Resource)));
    assert!(reasons[0].contains("trust policy"), "{reasons:?}");
    // Within one account the trust policy is still required: an identity policy allowing
    // sts:AssumeRole on every role cannot assume one whose trust names someone else.
    let local = "arn:aws:iam::111122223333:role/TestApp";
    let everything = json!([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}]);
    assert_eq!(
        ask(&switch(
            local,
            trust("arn:aws:iam::111122223333:role/ci"),
            everything.clone()
        )),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    assert_eq!(
        decision(&switch(
            local,
            trust("arn:aws:iam::111122223333:root"),
            everything
        )),
        ALLOWED
    );
}

/// AWS Organizations guide, "Resource control policies (RCPs)", "RCP syntax" and "Resource
/// control policy examples": RCPFullAWSAccess is attached at every level and "does not grant
/// access"; an RCP restricts by its Deny statements, only for the services that support
/// RCPs. The deny is AWS's sample "Restrict access to only HTTPS connections to your
/// resources" (aws-samples/resource-control-policy-examples):
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html>,
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html>,
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_examples.html>.
#[test]
fn rcp_examples() {
    let https_only = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*", "sts:*", "kms:*", "sqs:*", "secretsmanager:*", "cognito-identity:*",
                   "cognito-idp:*", "logs:*", "dynamodb:*", "ecr:*", "aoss:*"],
        "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]});
    let admin = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let base = json!({"action": "s3:GetObject", "resource": "arn:aws:s3:::amzn-s3-demo-bucket/k",
        "principal_arn": "arn:aws:iam::111122223333:role/app", "resource_account": "111122223333",
        "identity_policies": [admin], "rcp_levels": [[], [https_only]]});
    let over = |secure: &str| with(&base, json!({"context": {"aws:SecureTransport": secure}}));
    assert_eq!(ask(&over("false")), (EXPLICIT, Some(Layer::Rcp), vec![]));
    assert_eq!(decision(&over("true")), ALLOWED);
    // Transport unknown: the deny may apply.
    assert_eq!(ask(&base), (CONDITIONAL, Some(Layer::Rcp), vec![]));
    // RCPFullAWSAccess alone "does not grant access": no identity policy, no allow.
    let bare = with(
        &base,
        json!({"identity_policies": [], "rcp_levels": [[]], "context": {"aws:SecureTransport": "true"}}),
    );
    assert_eq!(ask(&bare), (IMPLICIT, Some(Layer::Identity), vec![]));
    // A deny-everything RCP does not touch a service RCPs do not support (EC2).
    let deny_all = json!([[{"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}]]);
    let ec2 = with(
        &base,
        json!({"action": "ec2:TerminateInstances",
            "resource": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", "resource_account": null,
            "rcp_levels": deny_all}),
    );
    assert_eq!(decision(&ec2), ALLOWED);
}

/// STS API reference, GetCallerIdentity: "No permissions are required to perform this
/// operation. If an administrator attaches a policy to your identity that explicitly denies
/// access to the sts:GetCallerIdentity action, you can still perform this operation":
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>.
#[test]
fn get_caller_identity_example() {
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "sts:GetCallerIdentity", "Resource": "*"}]});
    let req = json!({"action": "sts:GetCallerIdentity",
        "principal_arn": "arn:aws:iam::111122223333:role/app",
        "identity_policies": [deny], "scp_levels": [[deny]], "session_policy": deny});
    assert_eq!(ask(&req), (ALLOWED, None, vec![]));
}

/// AWS's fixed denials. IAM user guide, "AWS managed policies": "You cannot change the
/// permissions defined in AWS managed policies"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies>);
/// "Using service-linked roles": the service defines the role's trust and permissions and
/// "you can't modify" them; the guide's example role `AWSServiceRoleForElasticLoadBalancing`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html>).
#[test]
fn fixed_denial_examples() {
    let admin = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let ask_admin = |action: &str, resource: &str| {
        ask(&json!({"action": action, "resource": resource,
            "principal_arn": "arn:aws:iam::111122223333:role/admin", "identity_policies": [admin]}))
    };
    let (d, by, reasons) = ask_admin(
        "iam:CreatePolicyVersion",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    );
    assert_eq!((d, by), (EXPLICIT, None));
    assert!(reasons[0].contains("AWS managed policy"), "{reasons:?}");
    let slr = "arn:aws:iam::111122223333:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing";
    for action in [
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:UpdateAssumeRolePolicy",
    ] {
        assert_eq!(ask_admin(action, slr).0, EXPLICIT, "{action}");
    }
    // Reading them is evaluated as usual.
    assert_eq!(ask_admin("iam:GetRole", slr).0, ALLOWED);
}

/// Federated principals. IAM user guide, "Creating a role for OpenID Connect federation",
/// GitHub's example trust policy ("limits access to the defined GitHub organization,
/// repository, and branch",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html>,
/// source: awsdocs/iam-user-guide), and "AWS JSON policy elements: Principal", web identity
/// and SAML session principals (`{"Federated": "accounts.google.com"}`,
/// `{"Federated": "arn:aws:iam::AWS-account-ID:saml-provider/provider-name"}`,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity>).
/// The caller of `AssumeRoleWith*` is not an AWS identity: only the trust policy grants.
#[test]
fn federated_principal_examples() {
    let github = "arn:aws:iam::012345678910:oidc-provider/token.actions.githubusercontent.com";
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": github}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"}}}]});
    let base = json!({"action": "sts:AssumeRoleWithWebIdentity",
        "resource": "arn:aws:iam::012345678910:role/GitHubDeploy",
        "principal_federated": github, "role_trust_policy": trust});
    let token = |sub: &str| {
        with(
            &base,
            json!({"context": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                           "token.actions.githubusercontent.com:sub": sub}}),
        )
    };
    assert_eq!(
        ask(&token(
            "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"
        )),
        (ALLOWED, Some(Layer::Resource), vec![])
    );
    // Another repository's token.
    assert_eq!(
        ask(&token("repo:Attacker/Repo:ref:refs/heads/main")),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    // The token's claims not given: only conditionally allowed, on exactly those keys.
    let r = SimulateRequest::parse(&base).unwrap();
    let d = r.evaluate();
    assert_eq!(d.decision, CONDITIONAL);
    assert_eq!(
        d.missing_context_keys,
        [
            "token.actions.githubusercontent.com:aud",
            "token.actions.githubusercontent.com:sub"
        ]
    );
    // Another provider is not named.
    let other = with(
        &token("repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"),
        json!({"principal_federated": "arn:aws:iam::012345678910:oidc-provider/gitlab.com"}),
    );
    assert_eq!(decision(&other), IMPLICIT);

    // Web identity and SAML providers as the Principal page writes them; a Federated entry
    // is not a Service entry even when the names are equal (Cognito).
    let trust_of = |principal: Value, action: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": principal, "Action": action}]})
    };
    let saml = "arn:aws:iam::111122223333:saml-provider/ExampleOrgSSOProvider";
    let web = "sts:AssumeRoleWithWebIdentity";
    let with_saml = "sts:AssumeRoleWithSAML";
    // (trust policy principal, caller's provider, action the trust allows, action asked)
    let cases: [(Value, &str, &str, &str, DecisionKind); 7] = [
        (
            json!({"Federated": "accounts.google.com"}),
            "Accounts.Google.com",
            web,
            web,
            ALLOWED,
        ),
        (
            json!({"Federated": "cognito-identity.amazonaws.com"}),
            "cognito-identity.amazonaws.com",
            web,
            web,
            ALLOWED,
        ),
        (
            json!({"Service": "cognito-identity.amazonaws.com"}),
            "cognito-identity.amazonaws.com",
            web,
            web,
            IMPLICIT,
        ),
        (
            json!({"Federated": saml}),
            saml,
            with_saml,
            with_saml,
            ALLOWED,
        ),
        // Provider ARNs are case-sensitive.
        (
            json!({"Federated": saml}),
            "arn:aws:iam::111122223333:saml-provider/exampleorgssoprovider",
            with_saml,
            with_saml,
            IMPLICIT,
        ),
        // The trust allows SAML, not web identity.
        (json!({"Federated": saml}), saml, with_saml, web, IMPLICIT),
        // An AWS principal never names a federated caller.
        (
            json!({"AWS": "arn:aws:iam::111122223333:root"}),
            saml,
            with_saml,
            with_saml,
            IMPLICIT,
        ),
    ];
    for (principal, provider, allows, action, want) in cases {
        let text = principal.to_string();
        let req = json!({"action": action, "resource": "arn:aws:iam::111122223333:role/Federated",
            "principal_federated": provider, "role_trust_policy": trust_of(principal, allows)});
        assert_eq!(decision(&req), want, "{text} for {provider} ({action})");
    }
    // A NotPrincipal deny naming the provider spares it; everyone else is denied.
    let guarded = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithSAML"},
        {"Effect": "Deny", "NotPrincipal": {"Federated": saml}, "Action": "sts:AssumeRoleWithSAML"}]});
    let req = |provider: &str| {
        json!({"action": "sts:AssumeRoleWithSAML", "resource": "arn:aws:iam::111122223333:role/Federated",
            "principal_federated": provider, "role_trust_policy": guarded})
    };
    assert_eq!(decision(&req(saml)), ALLOWED);
    assert_eq!(
        ask(&req("arn:aws:iam::111122223333:saml-provider/Other")),
        (EXPLICIT, Some(Layer::Resource), vec![])
    );
    // A federated caller has no IAM policies to give, nor can it also be an ARN.
    for extra in [
        json!({"identity_policies": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]}),
        json!({"principal_arn": "arn:aws:iam::111122223333:role/x"}),
    ] {
        let e = SimulateRequest::parse(&with(&base, extra.clone()))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("federated"), "{extra}: {e}");
    }
}

/// Canonical-user principals. CloudFront developer guide, "Restricting access to an Amazon
/// S3 origin": "You can also specify an OAI as the Principal by using its Amazon S3
/// canonical ID" (`{"CanonicalUser": "79a59df9…"}`), and "Amazon S3 canonical IDs can refer
/// to different kinds of AWS identities"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html>);
/// IAM user guide, "AWS JSON policy elements: Principal": S3 lets you specify a canonical
/// user id
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
/// An identity known only by its canonical id (the OAI) is granted directly; a canonical id
/// given with `principal_arn` is that principal's account's, and names the account.
#[test]
fn canonical_user_examples() {
    let oai = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
    let other_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let bucket_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"CanonicalUser": oai}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]});
    let base = json!({"action": "s3:GetObject", "resource": "arn:aws:s3:::amzn-s3-demo-bucket/index.html",
        "resource_account": "111122223333", "principal_canonical_user": oai,
        "resource_policy": bucket_policy});
    assert_eq!(ask(&base), (ALLOWED, Some(Layer::Resource), vec![]));
    assert_eq!(
        decision(&with(&base, json!({"action": "s3:PutObject"}))),
        IMPLICIT
    );
    assert_eq!(
        ask(&with(&base, json!({"principal_canonical_user": other_id}))),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    // The canonical id of a role's account names the account: across accounts the role's
    // own policy must allow too; an AWS entry of that account works the same way.
    let read = json!([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]);
    let role = with(
        &base,
        json!({"principal_arn": "arn:aws:iam::444455556666:role/reader",
            "identity_policies": read}),
    );
    assert_eq!(decision(&role), ALLOWED);
    assert_eq!(
        decision(&with(&role, json!({"identity_policies": []}))),
        IMPLICIT
    );
    assert_eq!(
        ask(&with(&role, json!({"principal_canonical_user": other_id}))),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    assert_eq!(
        ask(&with(&role, json!({"principal_canonical_user": null}))),
        (IMPLICIT, Some(Layer::Resource), vec![])
    );
    // Not a canonical id.
    let e = SimulateRequest::parse(&with(&base, json!({"principal_canonical_user": "alice"})))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("principal_canonical_user"), "{e}");
}

/// A service principal keeps its old handling: identity policies may be given with it (they
/// are evaluated as before), and only Federated / CanonicalUser callers are refused them.
#[test]
fn service_principal_accepts_identity_policies_as_before() {
    let req = json!({"action": "s3:PutObject", "resource": "arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/x",
        "principal_arn": "cloudtrail.amazonaws.com", "resource_account": "111122223333",
        "identity_policies": [],
        "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/*"}]}});
    assert_eq!(ask(&req), (ALLOWED, Some(Layer::Resource), vec![]));
    let not_named = with(
        &req,
        json!({"principal_arn": "delivery.logs.amazonaws.com"}),
    );
    assert_eq!(ask(&not_named), (IMPLICIT, Some(Layer::Identity), vec![]));
}
