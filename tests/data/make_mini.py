"""Writes tests/data/mini: a tiny hand-built organization in AWS's own output
shapes, whose every decision is known by hand (see tests/snapshot.rs).

Kept as a script so the intent of each role stays readable; the JSON files it
writes are committed. Run from this folder: python3 make_mini.py
"""
import json
import os
import urllib.parse


def w(p, v):
    os.makedirs(os.path.dirname(p) or ".", exist_ok=True)
    with open(p, "w") as f:
        f.write(json.dumps(v, indent=4) + "\n")


os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mini"))

w("organization/accounts.json", {"Accounts": [
    {"Id": "111111111111", "Arn": "arn:aws:organizations::999999999999:account/o-example/111111111111", "Email": "prod@example.com", "Name": "prod-a", "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": "2020-01-01T00:00:00+00:00"},
    {"Id": "222222222222", "Arn": "arn:aws:organizations::999999999999:account/o-example/222222222222", "Email": "dev@example.com", "Name": "dev-b", "Status": "ACTIVE", "JoinedMethod": "INVITED", "JoinedTimestamp": "2021-01-01T00:00:00+00:00"},
    # Suspended: must be skipped (it has no folder at all).
    {"Id": "333333333333", "Arn": "arn:aws:organizations::999999999999:account/o-example/333333333333", "Email": "old@example.com", "Name": "closed-c", "Status": "SUSPENDED", "JoinedMethod": "CREATED", "JoinedTimestamp": "2019-01-01T00:00:00+00:00"}]})
w("organization/tree.json", {
    "Roots": [{"Id": "r-root", "Arn": "arn:aws:organizations::999999999999:root/o-example/r-root", "Name": "Root"}],
    "OrganizationalUnits": [{"Id": "ou-root-prod", "Arn": "arn:aws:organizations::999999999999:ou/o-example/ou-root-prod", "Name": "Production", "ParentId": "r-root"}],
    "Accounts": [{"Id": "111111111111", "ParentId": "ou-root-prod"}, {"Id": "222222222222", "ParentId": "r-root"}]})
full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
w("organization/scps/p-FullAWSAccess.json", {
    "Policy": {"PolicySummary": {"Id": "p-FullAWSAccess", "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", "Name": "FullAWSAccess", "Description": "Allows access to every operation", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}, "Content": json.dumps(full)},
    "Targets": [{"TargetId": "r-root", "Arn": "arn:aws:organizations::999999999999:root/o-example/r-root", "Name": "Root", "Type": "ROOT"},
                {"TargetId": "ou-root-prod", "Arn": "arn:aws:organizations::999999999999:ou/o-example/ou-root-prod", "Name": "Production", "Type": "ORGANIZATIONAL_UNIT"},
                {"TargetId": "111111111111", "Arn": "arn:aws:organizations::999999999999:account/o-example/111111111111", "Name": "prod-a", "Type": "ACCOUNT"},
                {"TargetId": "222222222222", "Arn": "arn:aws:organizations::999999999999:account/o-example/222222222222", "Name": "dev-b", "Type": "ACCOUNT"}]})
# Production OU: nobody creates roles (so prod-a's admin gets explicit_deny by scp).
deny = {"Version": "2012-10-17", "Statement": [{"Sid": "NoNewRoles", "Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*"}]}
w("organization/scps/p-denycreaterole.json", {
    "Policy": {"PolicySummary": {"Id": "p-denycreaterole", "Arn": "arn:aws:organizations::999999999999:policy/o-example/service_control_policy/p-denycreaterole", "Name": "DenyCreateRole", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}, "Content": json.dumps(deny)},
    "Targets": [{"TargetId": "ou-root-prod", "Arn": "arn:aws:organizations::999999999999:ou/o-example/ou-root-prod", "Name": "Production", "Type": "ORGANIZATIONAL_UNIT"}]})

trust_lambda = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
trust_admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
admin_doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
iam_all = {"Version": "2012-10-17", "Statement": [{"Sid": "AllIam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
boundary = {"Version": "2012-10-17", "Statement": [{"Sid": "OnlyS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
app_inline = {"Version": "2012-10-17", "Statement": [
    # One bucket only: not "any resource".
    {"Sid": "OneBucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-bucket/*"},
    # Any table, but only from one VPC: the snapshot cannot know the VPC.
    {"Sid": "TableInVpc", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1234"}}},
    # Only for team payments: the role has no team tag, so this never applies.
    {"Sid": "TeamParams", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "payments"}}}]}


def pol(name, arn, doc, pid, encoded=False):
    d = urllib.parse.quote(json.dumps(doc, separators=(",", ":")), safe="") if encoded else doc
    return {"PolicyName": name, "PolicyId": pid, "Arn": arn, "Path": "/", "DefaultVersionId": "v2", "AttachmentCount": 1,
            "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": "2022-01-01T00:00:00+00:00", "UpdateDate": "2022-02-01T00:00:00+00:00",
            "PolicyVersionList": [
                {"Document": d, "VersionId": "v2", "IsDefaultVersion": True, "CreateDate": "2022-02-01T00:00:00+00:00"},
                # A non-default version that denies everything: must be ignored.
                {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": False, "CreateDate": "2022-01-01T00:00:00+00:00"}]}


w("111111111111/authorization-details.json", {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [
    {"Path": "/", "RoleName": "admin", "RoleId": "AROA111111111111ADMIN", "Arn": "arn:aws:iam::111111111111:role/admin", "CreateDate": "2023-05-01T10:00:00+00:00",
     "AssumeRolePolicyDocument": trust_admin, "InstanceProfileList": [], "RolePolicyList": [],
     "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
     "Tags": [{"Key": "team", "Value": "security"}], "RoleLastUsed": {"LastUsedDate": "2026-09-30T08:00:00+00:00", "Region": "us-east-1"}},
    {"Path": "/service-role/", "RoleName": "app", "RoleId": "AROA1111111111111APP", "Arn": "arn:aws:iam::111111111111:role/service-role/app", "CreateDate": "2024-01-15T12:30:00Z",
     "AssumeRolePolicyDocument": urllib.parse.quote(json.dumps(trust_lambda), safe=""), "InstanceProfileList": [],
     "RolePolicyList": [{"PolicyName": "app-access", "PolicyDocument": app_inline}], "AttachedManagedPolicies": [],
     "Tags": [{"Key": "Owner", "Value": "payments@example.com"}, {"Key": "env", "Value": "prod"}], "RoleLastUsed": {}},
    {"Path": "/", "RoleName": "bounded", "RoleId": "AROA111111111BOUNDED", "Arn": "arn:aws:iam::111111111111:role/bounded", "CreateDate": "2025-03-03T03:03:03+00:00",
     "AssumeRolePolicyDocument": trust_lambda, "InstanceProfileList": [], "RolePolicyList": [],
     "AttachedManagedPolicies": [{"PolicyName": "iam-all", "PolicyArn": "arn:aws:iam::111111111111:policy/iam-all"}],
     "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::111111111111:policy/only-s3"}, "Tags": []}],
    "Policies": [pol("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess", admin_doc, "ANPAIWMBCKSKIEE64ZLYK", encoded=True),
                 pol("iam-all", "arn:aws:iam::111111111111:policy/iam-all", iam_all, "ANPA1111111111IAMALL"),
                 pol("only-s3", "arn:aws:iam::111111111111:policy/only-s3", boundary, "ANPA11111111111ONLYS3")]})
w("111111111111/roles.json", {"Roles": [
    {"Path": "/", "RoleName": "admin", "RoleId": "AROA111111111111ADMIN", "Arn": "arn:aws:iam::111111111111:role/admin", "CreateDate": "2023-05-01T10:00:00+00:00", "AssumeRolePolicyDocument": trust_admin, "Description": "Break-glass administrator", "MaxSessionDuration": 3600},
    {"Path": "/service-role/", "RoleName": "app", "RoleId": "AROA1111111111111APP", "Arn": "arn:aws:iam::111111111111:role/service-role/app", "CreateDate": "2024-01-15T12:30:00Z", "AssumeRolePolicyDocument": trust_lambda, "MaxSessionDuration": 7200}]})
w("111111111111/last-accessed/app.json", {"JobStatus": "COMPLETED", "JobType": "ACTION_LEVEL", "JobCreationDate": "2026-10-01T00:00:00+00:00", "ServicesLastAccessed": [
    {"ServiceName": "Amazon S3", "LastAuthenticated": "2026-09-20T10:00:00+00:00", "ServiceNamespace": "s3", "LastAuthenticatedEntity": "arn:aws:iam::111111111111:role/service-role/app", "LastAuthenticatedRegion": "eu-west-1", "TotalAuthenticatedEntities": 1,
     "TrackedActionsLastAccessed": [{"ActionName": "GetObject", "LastAccessedEntity": "arn:aws:iam::111111111111:role/service-role/app", "LastAccessedTime": "2026-09-20T10:00:00+00:00", "LastAccessedRegion": "eu-west-1"}, {"ActionName": "PutObject"}]},
    {"ServiceName": "Amazon DynamoDB", "ServiceNamespace": "dynamodb", "TotalAuthenticatedEntities": 0},
    {"ServiceName": "AWS Systems Manager", "LastAuthenticated": "2026-03-01T00:00:00+00:00", "ServiceNamespace": "ssm", "LastAuthenticatedEntity": "arn:aws:iam::111111111111:role/service-role/app", "LastAuthenticatedRegion": "us-east-1", "TotalAuthenticatedEntities": 1}],
    "JobCompletionDate": "2026-10-01T00:00:05+00:00", "IsTruncated": False})

ci_inline = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["ssm:GetParameter*", "sts:AssumeRole"], "Resource": "*"}}
trust_gh = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
                                                    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:example/*"}}}]}
# Saved as a list of two pages, as paginated calls return it.
w("222222222222/authorization-details.json", [
    {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [
        {"Path": "/ci/", "RoleName": "ci", "RoleId": "AROA22222222222222CI", "Arn": "arn:aws:iam::222222222222:role/ci/ci", "CreateDate": "2026-08-01T00:00:00+00:00",
         "AssumeRolePolicyDocument": trust_gh, "InstanceProfileList": [],
         "RolePolicyList": [{"PolicyName": "deploy", "PolicyDocument": json.dumps(ci_inline)}], "AttachedManagedPolicies": [],
         "Tags": [{"Key": "team", "Value": "web"}], "RoleLastUsed": {"LastUsedDate": "2026-09-29T23:59:59+00:00", "Region": "eu-central-1"}}],
     "Policies": [], "IsTruncated": True, "Marker": "page2"},
    {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [
        {"Path": "/", "RoleName": "reader", "RoleId": "AROA2222222222READER", "Arn": "arn:aws:iam::222222222222:role/reader", "CreateDate": "2022-12-31T23:59:59+00:00",
         "AssumeRolePolicyDocument": trust_lambda, "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []}],
     "Policies": [], "IsTruncated": False}])
w("222222222222/last-accessed/ci.json", {"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL", "JobCreationDate": "2026-10-01T00:00:00+00:00", "ServicesLastAccessed": [
    {"ServiceName": "AWS Systems Manager", "LastAuthenticated": "2026-09-29T23:00:00+00:00", "ServiceNamespace": "ssm", "LastAuthenticatedEntity": "arn:aws:iam::222222222222:role/ci/ci", "LastAuthenticatedRegion": "eu-central-1", "TotalAuthenticatedEntities": 1},
    {"ServiceName": "AWS Security Token Service", "ServiceNamespace": "sts", "TotalAuthenticatedEntities": 0}],
    "JobCompletionDate": "2026-10-01T00:00:03+00:00", "IsTruncated": False})
