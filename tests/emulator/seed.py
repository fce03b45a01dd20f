#!/usr/bin/env python3
"""Seeds the loopback emulator (front.py) with an organization to collect.

  seed.py --endpoint http://127.0.0.1:PORT --out manifest.json [--big-roles 300]
  seed.py ... --members 4:300     # benchmarks: 4 member accounts of 300 roles

Creates, through the endpoint (never AWS: the script refuses any endpoint
that is not on 127.0.0.1/localhost):
  - an organization (management account 123456789012) with OUs
    root > workloads > prod, and SCPs on the workloads OU and on one account;
  - member accounts: big (--big-roles roles, under prod), small-a (under
    workloads), small-b and denied (under the root); or, with --members N:R,
    N accounts member-1 … member-N of R roles each, under prod (which then
    carries the SCP meant for small-a);
  - in every account, management included: the member role `iamlake-reader`
    (trust policy with sts:ExternalId), customer managed policies, and roles
    with inline policies, attached customer and AWS managed policies, tags,
    descriptions, session durations, some with a permissions boundary;
  - Access Advisor data for every role, posted to front.py's control endpoint.

Writes a manifest of what it created (accounts, role names per account, a
sampled role's policies) for the tests to compare with.
"""

import argparse
import json
import urllib.parse
import urllib.request

import boto3

MEMBER_ROLE = "iamlake-reader"
EXTERNAL_ID = "iamlake-test-external-id"
MANAGEMENT = "123456789012"
REGION = "us-east-1"


def session_kwargs(endpoint, creds=None):
    kw = {"endpoint_url": endpoint, "region_name": REGION}
    if creds:
        kw.update(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"])
    else:
        kw.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    return kw


def trust(principal_account, external_id=None):
    stmt = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{principal_account}:root"},
            "Action": "sts:AssumeRole"}
    if external_id:
        stmt["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def doc(actions, resource="*", effect="Allow"):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": effect, "Action": actions, "Resource": resource}]})


SERVICES = [("Amazon S3", "s3", ["GetObject", "PutObject", "ListBucket"]),
            ("Amazon DynamoDB", "dynamodb", ["GetItem", "Query"]),
            ("AWS Lambda", "lambda", ["InvokeFunction"]),
            ("Amazon SQS", "sqs", ["SendMessage", "ReceiveMessage"]),
            ("AWS Key Management Service", "kms", ["Decrypt"]),
            ("Amazon EC2", "ec2", ["DescribeInstances"])]


def advisor_services(account, i):
    """Deterministic Access Advisor answer for role i: some used, some not."""
    out = []
    n = 1 + i % len(SERVICES)
    for k in range(n):
        name, ns, actions = SERVICES[(i + k) % len(SERVICES)]
        used = (i + k) % 3 != 0
        svc = {"ServiceName": name, "ServiceNamespace": ns, "TotalAuthenticatedEntities": 1 if used else 0,
               "TrackedActionsLastAccessed": []}
        if used:
            day = 1 + (i + k) % 28
            svc.update(LastAuthenticated=f"2024-05-{day:02d}T10:00:00Z",
                       LastAuthenticatedEntity=f"arn:aws:iam::{account}:role/role-{i:04d}",
                       LastAuthenticatedRegion="eu-west-1")
            for a in actions:
                svc["TrackedActionsLastAccessed"].append(
                    {"ActionName": a, "LastAccessedEntity": f"arn:aws:iam::{account}:role/role-{i:04d}",
                     "LastAccessedTime": f"2024-05-{day:02d}T09:00:00Z", "LastAccessedRegion": "eu-west-1"})
        else:
            svc["TrackedActionsLastAccessed"] = [{"ActionName": a} for a in actions]
        out.append(svc)
    return out


def seed_account(endpoint, sts, account, n_roles, advisor, manifest):
    if account == MANAGEMENT:
        kw = session_kwargs(endpoint)
    else:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="seed")["Credentials"]
        kw = session_kwargs(endpoint, creds)
    iam = boto3.client("iam", **kw)
    iam.create_role(RoleName=MEMBER_ROLE, AssumeRolePolicyDocument=trust(MANAGEMENT, EXTERNAL_ID),
                    Description="iamlake collector", MaxSessionDuration=3600)
    iam.put_role_policy(RoleName=MEMBER_ROLE, PolicyName="read",
                        PolicyDocument=doc(["iam:GetAccountAuthorizationDetails", "iam:ListRoles",
                                            "iam:GenerateServiceLastAccessedDetails",
                                            "iam:GetServiceLastAccessedDetails",
                                            "iam:GenerateCredentialReport", "iam:GetCredentialReport"]))
    names = [MEMBER_ROLE]
    advisor[f"arn:aws:iam::{account}:role/{MEMBER_ROLE}"] = []
    local = []
    for p in range(3):
        arn = iam.create_policy(PolicyName=f"app-policy-{p}",
                                PolicyDocument=doc([f"s3:GetObject", f"sqs:SendMessage"] if p % 2 == 0
                                                   else ["dynamodb:*"], "*"))["Policy"]["Arn"]
        local.append(arn)
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=doc(["s3:*", "dynamodb:*", "sqs:*"]))
    boundary = boundary["Policy"]["Arn"]
    sample = None
    for i in range(n_roles):
        name = f"role-{i:04d}"
        kwargs = dict(RoleName=name, AssumeRolePolicyDocument=trust(account),
                      Path="/app/" if i % 4 == 0 else "/",
                      MaxSessionDuration=3600 + 3600 * (i % 3),
                      Tags=[{"Key": "team", "Value": f"team-{i % 5}"}])
        if i % 2 == 0:
            kwargs["Description"] = f"role number {i}"
        if i % 10 == 0:
            kwargs["PermissionsBoundary"] = boundary
        iam.create_role(**kwargs)
        inline, managed = [], []
        if i % 3 != 2:
            iam.put_role_policy(RoleName=name, PolicyName=f"inline-{i}",
                                PolicyDocument=doc(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::bucket-{i}/*"))
            inline.append(f"inline-{i}")
        if i % 2 == 1:
            iam.put_role_policy(RoleName=name, PolicyName="deny-iam", PolicyDocument=doc("iam:*", "*", "Deny"))
            inline.append("deny-iam")
        if i % 3 != 1:
            iam.attach_role_policy(RoleName=name, PolicyArn=local[i % len(local)])
            managed.append(local[i % len(local)])
        if i % 5 == 0:
            arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            managed.append(arn)
        names.append(name)
        advisor[f"arn:aws:iam::{account}:role{kwargs['Path']}{name}"] = advisor_services(account, i)
        if i == 5 or (sample is None and i == n_roles - 1):
            sample = {"account": account, "role_name": name, "inline": sorted(inline),
                      "managed": sorted(managed), "description": kwargs.get("Description"),
                      "max_session_duration": kwargs["MaxSessionDuration"],
                      "path": kwargs["Path"],
                      "services": [s["ServiceNamespace"] for s in advisor_services(account, i)]}
    # IAM users for the credential report: a console user without MFA and
    # one active key, a user with an active and an inactive key, and one
    # with no credentials at all.
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-1")
    iam.create_access_key(UserName="alice")
    iam.create_user(UserName="bob", Path="/ci/")
    iam.create_access_key(UserName="bob")
    second = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="bob", AccessKeyId=second, Status="Inactive")
    iam.create_user(UserName="carol")
    # A group with an inline and a managed policy; alice is in it.
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="devs-read", PolicyDocument=doc(["s3:GetObject"]))
    iam.attach_group_policy(GroupName="devs", PolicyArn=local[0])
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    manifest["groups"][account] = {"devs": {"members": ["alice"], "inline": ["devs-read"], "managed": [local[0]]}}
    manifest["users"][account] = {
        "alice": {"password": True, "keys": [True, False]},
        "bob": {"password": False, "keys": [True, False]},
        "carol": {"password": False, "keys": [False, False]},
    }
    # Access Advisor for users (jobs on user ARNs, as for roles): alice used
    # S3 and never SQS; bob's and carol's jobs complete with no services.
    alice = f"arn:aws:iam::{account}:user/alice"
    advisor[alice] = [
        {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "TotalAuthenticatedEntities": 1,
         "LastAuthenticated": "2024-05-03T10:00:00Z", "LastAuthenticatedEntity": alice,
         "LastAuthenticatedRegion": "eu-west-1", "TrackedActionsLastAccessed": []},
        {"ServiceName": "Amazon SQS", "ServiceNamespace": "sqs", "TotalAuthenticatedEntities": 0,
         "TrackedActionsLastAccessed": []},
    ]
    manifest["users"][account]["alice"]["services"] = ["s3", "sqs"]
    # The truth is what the account holds, roles moto made itself included
    # (OrganizationAccountAccessRole in created accounts).
    listed = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    assert set(names) <= set(listed), (account, set(names) - set(listed))
    manifest["roles"][account] = sorted(listed)
    if sample:
        manifest["samples"].append(sample)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--big-roles", type=int, default=300)
    ap.add_argument("--members", metavar="N:ROLES",
                    help="instead of the four test members, N member accounts of ROLES roles each")
    args = ap.parse_args()
    host = urllib.parse.urlparse(args.endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to seed {args.endpoint}: loopback endpoints only")

    kw = session_kwargs(args.endpoint)
    org = boto3.client("organizations", **kw)
    sts = boto3.client("sts", **kw)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    try:
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    except Exception:
        pass  # moto may have it enabled already
    workloads = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    prod = org.create_organizational_unit(ParentId=workloads, Name="prod")["OrganizationalUnit"]["Id"]

    if args.members:
        n, roles = (int(x) for x in args.members.split(":"))
        plan = [(f"member-{i + 1}", roles, prod) for i in range(n)]
    else:
        plan = [("big", args.big_roles, prod), ("small-a", 40, workloads), ("small-b", 25, None),
                ("denied", 12, None)]
    accounts = {}
    for name, _, _ in plan:
        st = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        accounts[name] = st["AccountId"]
    for name, _, parent in plan:
        if parent:
            org.move_account(AccountId=accounts[name], SourceParentId=root, DestinationParentId=parent)

    deny_regions = org.create_policy(
        Name="deny-regions", Type="SERVICE_CONTROL_POLICY", Description="test",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}}]}),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=deny_regions, TargetId=workloads)
    deny_leave = org.create_policy(
        Name="deny-leave", Type="SERVICE_CONTROL_POLICY", Description="test",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=deny_leave, TargetId=accounts.get("small-a", prod))
    # RCPs: AWS attaches RCPFullAWSAccess to the root when the type is enabled
    # (moto only creates it), and one deny on the prod OU, on an action no
    # test asks about, so the other tests' decisions stay as they are.
    try:
        org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    except Exception:
        pass  # enabled already
    org.attach_policy(PolicyId="p-RCPFullAWSAccess", TargetId=root)
    deny_queue_deletes = org.create_policy(
        Name="deny-queue-deletes", Type="RESOURCE_CONTROL_POLICY", Description="test",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "sqs:DeleteQueue", "Resource": "*"}]}),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=deny_queue_deletes, TargetId=prod)

    manifest = {"management": MANAGEMENT, "accounts": {MANAGEMENT: "management"}, "roles": {}, "users": {}, "groups": {}, "samples": [],
                "member_role": MEMBER_ROLE, "external_id": EXTERNAL_ID, "root": root,
                "ous": {"workloads": workloads, "prod": prod},
                "scps": {"deny-regions": deny_regions, "deny-leave": deny_leave},
                "rcps": {"deny-queue-deletes": deny_queue_deletes}}
    for name, acct in accounts.items():
        manifest["accounts"][acct] = name
    advisor = {}
    seed_account(args.endpoint, sts, MANAGEMENT, 8, advisor, manifest)
    for name, n, _ in plan:
        seed_account(args.endpoint, sts, accounts[name], n, advisor, manifest)

    req = urllib.request.Request(args.endpoint.rstrip("/") + "/__control/advisor",
                                 data=json.dumps(advisor).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=60).read()
    urllib.request.urlopen(urllib.request.Request(args.endpoint.rstrip("/") + "/__control/reset",
                                                  data=b"{}", method="POST"), timeout=60).read()
    with open(args.out, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
