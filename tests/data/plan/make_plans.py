#!/usr/bin/env python3
"""Writes the hand-built Terraform plans (terraform show -json format) used by the check-plan
tests. The JSON files are committed; rerun this after editing it:
python3 tests/data/plan/make_plans.py"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(actions, resources="*", effect="Allow", sid=None, condition=None):
    s = {"Effect": effect, "Action": actions, "Resource": resources}
    if sid:
        s["Sid"] = sid
    if condition:
        s["Condition"] = condition
    return s


def change(address, rtype, name, actions, after, after_unknown=None, before=None, index=None,
           module=None, mode="managed"):
    rc = {
        "address": address,
        "mode": mode,
        "type": rtype,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown or {},
            "before_sensitive": False if before is None else {},
            "after_sensitive": False if after is None else {},
        },
    }
    if index is not None:
        rc["index"] = index
    if module:
        rc["module_address"] = module
    return rc


def planned(rc):
    """The planned_values entry of a resource change (unknown values omitted, as Terraform does)."""
    after = rc["change"]["after"]
    if after is None:
        return None
    unknown = rc["change"]["after_unknown"]
    values = {k: v for k, v in after.items() if unknown.get(k) is not True}
    r = {k: rc[k] for k in ("address", "mode", "type", "name", "provider_name") if k in rc}
    if "index" in rc:
        r["index"] = rc["index"]
    r["schema_version"] = 0
    r["values"] = values
    r["sensitive_values"] = {}
    return r


def cfg_res(address, rtype, name, expressions, mode="managed"):
    return {"address": address, "mode": mode, "type": rtype, "name": name,
            "provider_config_key": "aws", "expressions": expressions, "schema_version": 0}


def ref(*refs):
    return {"references": list(refs)}


def const(v):
    return {"constant_value": v}


def plan(changes, config_root, extra_planned=(), prior_data=()):
    root = {"resources": [], "child_modules": []}
    modules = {}
    for rc in list(changes):
        p = planned(rc)
        if p is None:
            continue
        mod = rc.get("module_address")
        if mod:
            m = modules.setdefault(mod, {"address": mod, "resources": []})
            m["resources"].append(p)
        else:
            root["resources"].append(p)
    for p in extra_planned:
        root["resources"].append(p)
    root["child_modules"] = list(modules.values())
    out = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": root},
        "resource_changes": list(changes),
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                          "root_module": config_root},
        "timestamp": "2026-05-01T12:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    if prior_data:
        out["prior_state"] = {"format_version": "1.0", "terraform_version": "1.9.5",
                              "values": {"root_module": {"resources": list(prior_data)}}}
    return out


def role_after(name, inline=None, managed=None, boundary=None):
    after = {"name": name, "assume_role_policy": doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                       "Principal": {"Service": "ecs-tasks.amazonaws.com"}}),
             "path": "/", "tags": None, "permissions_boundary": boundary, "max_session_duration": 3600}
    unknown = {"arn": True, "id": True, "unique_id": True, "create_date": True}
    if inline is None:
        unknown["inline_policy"] = True
    else:
        after["inline_policy"] = [{"name": n, "policy": p} for n, p in inline]
    if managed is None:
        unknown["managed_policy_arns"] = True
    else:
        after["managed_policy_arns"] = managed
    return after, unknown


def write(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# --- modules, count / for_each, no-op and delete -------------------------------------------
def modules_plan():
    changes = []
    ra, ru = role_after("deployer")
    changes.append(change('module.ci.aws_iam_role.deployer', "aws_iam_role", "deployer", ["create"],
                          ra, ru, module="module.ci"))
    # Risky only through the wildcard action iam:Pass*.
    changes.append(change('module.ci.aws_iam_role_policy.pass', "aws_iam_role_policy", "pass", ["create"],
                          {"name": "pass", "role": "deployer",
                           "policy": doc(stmt(["iam:Pass*", "ecs:RunTask"], "*", sid="DeployEcs"))},
                          {"id": True}, module="module.ci"))
    changes.append(change('aws_iam_policy.readers["logs"]', "aws_iam_policy", "readers", ["create"],
                          {"name": "readers-logs", "path": "/", "description": None,
                           "policy": doc(stmt("s3:GetObject", "arn:aws:s3:::logs-bucket/*"))},
                          {"arn": True, "id": True, "policy_id": True}, index="logs"))
    changes.append(change('aws_iam_policy.readers["all"]', "aws_iam_policy", "readers", ["create"],
                          {"name": "readers-all", "path": "/", "description": None,
                           "policy": doc(stmt(["s3:GetObject", "s3:ListBucket"], "*", sid="ReadAll"))},
                          {"arn": True, "id": True, "policy_id": True}, index="all"))
    w0, w0u = role_after("worker-0", inline=[("ssm", doc(stmt("ssm:GetParameter", "*")))],
                         managed=[READONLY])
    changes.append(change("aws_iam_role.workers[0]", "aws_iam_role", "workers", ["create"], w0, w0u, index=0))
    # Unchanged: its inline policy grants ssm:GetParameter on *, but it is not re-flagged.
    w1, _ = role_after("worker-1", inline=[("ssm", doc(stmt("ssm:GetParameter", "*")))], managed=[])
    w1["arn"] = "arn:aws:iam::123456789012:role/worker-1"
    changes.append(change("aws_iam_role.workers[1]", "aws_iam_role", "workers", ["no-op"], w1, {},
                          before=w1, index=1))
    # Deleted: never flagged.
    old = {"name": "old", "role": "worker-1", "policy": doc(stmt("*", "*"))}
    changes.append(change("aws_iam_role_policy.old", "aws_iam_role_policy", "old", ["delete"], None, {},
                          before=old))
    # Replaced role (create before destroy) with an inline sts:AssumeRole on *.
    rep, repu = role_after("replaced", inline=[("assume", doc(stmt("sts:AssumeRole", "*", sid="Hop")))],
                           managed=[])
    changes.append(change("aws_iam_role.replaced", "aws_iam_role", "replaced", ["create", "delete"], rep, repu,
                          before=dict(rep, inline_policy=[])))
    config = {
        "resources": [
            cfg_res('aws_iam_policy.readers', "aws_iam_policy", "readers", {"policy": ref("each.value")}),
            cfg_res('aws_iam_role.workers', "aws_iam_role", "workers",
                    {"name": ref("count.index"), "inline_policy": [{"name": const("ssm"), "policy": const("...")}],
                     "managed_policy_arns": const([READONLY])}),
            cfg_res('aws_iam_role.replaced', "aws_iam_role", "replaced",
                    {"name": const("replaced"), "inline_policy": [{"name": const("assume")}],
                     "managed_policy_arns": const([])}),
        ],
        "module_calls": {"ci": {"source": "./modules/ci", "module": {"resources": [
            cfg_res("aws_iam_role.deployer", "aws_iam_role", "deployer", {"name": const("deployer")}),
            cfg_res("aws_iam_role_policy.pass", "aws_iam_role_policy", "pass",
                    {"role": ref("aws_iam_role.deployer.name", "aws_iam_role.deployer"), "policy": const("...")}),
        ]}}},
    }
    return plan(changes, config)


# --- AWS managed policies, boundaries, denies, conditions ---------------------------------
def managed_plan():
    changes = []
    a, au = role_after("admin")
    changes.append(change("aws_iam_role.admin", "aws_iam_role", "admin", ["create"], a, au))
    changes.append(change("aws_iam_role_policy_attachment.admin", "aws_iam_role_policy_attachment", "admin",
                          ["create"], {"role": "admin", "policy_arn": ADMIN}, {"id": True}))
    r, ru = role_after("reader")
    changes.append(change("aws_iam_role.reader", "aws_iam_role", "reader", ["create"], r, ru))
    changes.append(change("aws_iam_policy_attachment.readers", "aws_iam_policy_attachment", "readers",
                          ["create"], {"name": "readers", "roles": ["reader"], "users": None, "groups": None,
                                       "policy_arn": READONLY}, {"id": True}))
    # Administrator, but a permissions boundary (created in this plan) only allows one bucket.
    b, bu = role_after("bounded", managed=[ADMIN], boundary=None)
    del b["permissions_boundary"]
    bu["permissions_boundary"] = True
    changes.append(change("aws_iam_role.bounded", "aws_iam_role", "bounded", ["create"], b, bu))
    changes.append(change("aws_iam_policy.boundary", "aws_iam_policy", "boundary", ["create"],
                          {"name": "boundary", "path": "/",
                           "policy": doc(stmt("s3:*", "arn:aws:s3:::team-bucket/*"))},
                          {"arn": True, "id": True, "policy_id": True}))
    # Administrator with an inline explicit deny of iam:PassRole and a conditional sts:AssumeRole.
    d, du = role_after("guarded", inline=[
        ("deny-pass", doc(stmt("iam:PassRole", "*", effect="Deny", sid="NoPass"))),
    ], managed=[])
    changes.append(change("aws_iam_role.guarded", "aws_iam_role", "guarded", ["create"], d, du))
    changes.append(change("aws_iam_role_policy.guarded_admin", "aws_iam_role_policy", "guarded_admin",
                          ["create"], {"name": "admin", "role": "guarded",
                                       "policy": doc(stmt("iam:*", "*", sid="IamAdmin"))}, {"id": True}))
    changes.append(change("aws_iam_role_policy.guarded_assume", "aws_iam_role_policy", "guarded_assume",
                          ["create"], {"name": "assume", "role": "guarded",
                                       "policy": doc(stmt("sts:AssumeRole", "*", sid="OrgOnly", condition={
                                           "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))},
                          {"id": True}))
    config = {"resources": [
        cfg_res("aws_iam_role.admin", "aws_iam_role", "admin", {"name": const("admin")}),
        cfg_res("aws_iam_role_policy_attachment.admin", "aws_iam_role_policy_attachment", "admin",
                {"role": ref("aws_iam_role.admin.name", "aws_iam_role.admin"), "policy_arn": const(ADMIN)}),
        cfg_res("aws_iam_role.reader", "aws_iam_role", "reader", {"name": const("reader")}),
        cfg_res("aws_iam_policy_attachment.readers", "aws_iam_policy_attachment", "readers",
                {"roles": ref("aws_iam_role.reader.name", "aws_iam_role.reader"), "policy_arn": const(READONLY)}),
        cfg_res("aws_iam_role.bounded", "aws_iam_role", "bounded",
                {"name": const("bounded"), "managed_policy_arns": const([ADMIN]),
                 "permissions_boundary": ref("aws_iam_policy.boundary.arn", "aws_iam_policy.boundary")}),
        cfg_res("aws_iam_policy.boundary", "aws_iam_policy", "boundary", {"policy": const("...")}),
        cfg_res("aws_iam_role.guarded", "aws_iam_role", "guarded",
                {"name": const("guarded"), "inline_policy": [{"name": const("deny-pass")}],
                 "managed_policy_arns": const([])}),
    ]}
    return plan(changes, config)


# --- values unknown until apply, references, unresolvable ARNs -----------------------------
def unknown_plan():
    changes = []
    # Policy built from a bucket created in the same apply: unknown.
    changes.append(change("aws_iam_policy.dynamic", "aws_iam_policy", "dynamic", ["create"],
                          {"name": "dynamic", "path": "/"}, {"arn": True, "id": True, "policy": True}))
    # Policy from a policy-document data source read during apply.
    changes.append(change("data.aws_iam_policy_document.deferred", "aws_iam_policy_document", "deferred",
                          ["read"], {"statement": None}, {"json": True, "id": True}, mode="data"))
    changes.append(change("aws_iam_role_policy.deferred", "aws_iam_role_policy", "deferred", ["create"],
                          {"name": "deferred", "role": "legacy"}, {"id": True, "policy": True}))
    # Role + customer policy created together; the attachment's policy_arn is unknown and is
    # resolved through configuration references.
    r, ru = role_after("app")
    changes.append(change("aws_iam_role.app", "aws_iam_role", "app", ["create"], r, ru))
    changes.append(change("aws_iam_policy.app", "aws_iam_policy", "app", ["create"],
                          {"name": "app", "path": "/", "policy": None},
                          {"arn": True, "id": True, "policy_id": True, "policy": True}))
    changes.append(change("aws_iam_role_policy_attachment.app", "aws_iam_role_policy_attachment", "app",
                          ["create"], {"role": "app"}, {"id": True, "policy_arn": True}))
    changes.append(change("aws_iam_role_policy_attachment.customer", "aws_iam_role_policy_attachment",
                          "customer", ["create"],
                          {"role": "legacy", "policy_arn": "arn:aws:iam::123456789012:policy/elsewhere"},
                          {"id": True}))
    changes.append(change("aws_iam_role_policy_attachment.missing", "aws_iam_role_policy_attachment",
                          "missing", ["create"],
                          {"role": "legacy", "policy_arn": "arn:aws:iam::aws:policy/NoSuchPolicyForTests"},
                          {"id": True}))
    # A role whose name is known only after apply (name_prefix).
    changes.append(change("aws_iam_role_policy.to_prefixed", "aws_iam_role_policy", "to_prefixed", ["create"],
                          {"name": "p", "policy": doc(stmt("iam:CreateRole", "*"))},
                          {"id": True, "role": True}))
    # Rendered data source read at plan time (in planned_values and prior_state, mode "data").
    rendered = doc(stmt("ssm:GetParameters", "*", sid="Params"))
    data = {"address": "data.aws_iam_policy_document.app", "mode": "data", "type": "aws_iam_policy_document",
            "name": "app", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": {"id": "1234", "json": rendered}, "sensitive_values": {}}
    config = {"resources": [
        cfg_res("aws_iam_policy.dynamic", "aws_iam_policy", "dynamic",
                {"policy": ref("aws_s3_bucket.b.arn", "aws_s3_bucket.b")}),
        cfg_res("aws_iam_role_policy.deferred", "aws_iam_role_policy", "deferred",
                {"role": const("legacy"), "policy": ref("data.aws_iam_policy_document.deferred.json",
                                                         "data.aws_iam_policy_document.deferred")}),
        cfg_res("aws_iam_role.app", "aws_iam_role", "app", {"name": const("app")}),
        cfg_res("aws_iam_policy.app", "aws_iam_policy", "app",
                {"policy": ref("data.aws_iam_policy_document.app.json", "data.aws_iam_policy_document.app")}),
        cfg_res("aws_iam_role_policy_attachment.app", "aws_iam_role_policy_attachment", "app",
                {"role": ref("aws_iam_role.app.name", "aws_iam_role.app"),
                 "policy_arn": ref("aws_iam_policy.app.arn", "aws_iam_policy.app")}),
        cfg_res("aws_iam_role_policy.to_prefixed", "aws_iam_role_policy", "to_prefixed",
                {"role": ref("aws_iam_role.prefixed.id", "aws_iam_role.prefixed"), "policy": const("...")}),
        cfg_res("data.aws_iam_policy_document.app", "aws_iam_policy_document", "app",
                {"statement": [{}]}, mode="data"),
    ]}
    return plan(changes, config, extra_planned=[data], prior_data=[data])


# --- changes to roles that exist outside the plan (check-plan --lake on tests/data/mini) ----
SSM_READONLY = "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"
MINI = "111111111111"


def attachment(name, role, arn, actions=("create",), before=None):
    after = None if actions == ["delete"] else {"role": role, "policy_arn": arn, "id": f"{role}-{name}"}
    return change(f"aws_iam_role_policy_attachment.{name}", "aws_iam_role_policy_attachment", name,
                  list(actions), after, {"id": True} if actions == ("create",) else {}, before=before)


def lake_attach_plan():
    """Attachments and an inline policy for the mini organization's roles admin, app and bounded
    (account 111111111111, whose OU's SCP denies iam:CreateRole). No ARN names the account."""
    changes = [
        attachment("app_ssm", "app", SSM_READONLY),
        attachment("admin_readonly", "admin", READONLY),
        change("aws_iam_role_policy.admin_roles", "aws_iam_role_policy", "admin_roles", ["create"],
               {"role": "admin", "name": "create-roles",
                "policy": doc(stmt("iam:CreateRole", sid="MakeRoles"))}, {"id": True}),
        attachment("bounded_admin", "bounded", ADMIN),
    ]
    config = {"resources": [
        cfg_res(rc["address"], rc["type"], rc["name"],
                {k: const(v) for k, v in rc["change"]["after"].items() if k != "id"})
        for rc in changes]}
    return plan(changes, config)


def lake_update_plan():
    """Changes to deployed policies of account 111111111111: the customer policy iam-all (attached
    to bounded) gains s3:GetObject, admin loses AdministratorAccess, and app's inline policy
    app-access drops the condition on ssm:GetParameter."""
    iam_all = f"arn:aws:iam::{MINI}:policy/iam-all"
    app_before = doc(
        stmt("s3:GetObject", "arn:aws:s3:::app-bucket/*", sid="OneBucket"),
        stmt("dynamodb:GetItem", sid="TableInVpc", condition={"StringEquals": {"aws:SourceVpc": "vpc-1234"}}),
        stmt("ssm:GetParameter", sid="TeamParams",
             condition={"StringEquals": {"aws:PrincipalTag/team": "payments"}}))
    app_after = doc(
        stmt("s3:GetObject", "arn:aws:s3:::app-bucket/*", sid="OneBucket"),
        stmt("dynamodb:GetItem", sid="TableInVpc", condition={"StringEquals": {"aws:SourceVpc": "vpc-1234"}}),
        stmt("ssm:GetParameter", sid="TeamParams"))
    changes = [
        change("aws_iam_policy.iam_all", "aws_iam_policy", "iam_all", ["update"],
               {"name": "iam-all", "arn": iam_all, "id": iam_all, "path": "/",
                "policy": doc(stmt("iam:*", sid="AllIam"), stmt("s3:GetObject", sid="Objects"))},
               {}, before={"name": "iam-all", "arn": iam_all, "id": iam_all, "path": "/",
                           "policy": doc(stmt("iam:*", sid="AllIam"))}),
        attachment("admin_full", "admin", ADMIN, actions=["delete"],
                   before={"role": "admin", "policy_arn": ADMIN, "id": "admin-full"}),
        change("aws_iam_role_policy.app_access", "aws_iam_role_policy", "app_access", ["update"],
               {"role": "app", "name": "app-access", "id": "app:app-access", "policy": app_after}, {},
               before={"role": "app", "name": "app-access", "id": "app:app-access", "policy": app_before}),
    ]
    config = {"resources": [
        cfg_res("aws_iam_policy.iam_all", "aws_iam_policy", "iam_all", {"name": const("iam-all")}),
        cfg_res("aws_iam_role_policy.app_access", "aws_iam_role_policy", "app_access",
                {"role": const("app"), "name": const("app-access")}),
    ]}
    return plan(changes, config)


def lake_exclusive_plan():
    """Provider 5.x exclusive resources on deployed roles of account 111111111111: app keeps only
    the new inline policy "extra" (app-access goes), admin only AmazonSSMReadOnlyAccess
    (AdministratorAccess goes)."""
    changes = [
        change("aws_iam_role_policies_exclusive.app", "aws_iam_role_policies_exclusive", "app", ["create"],
               {"role_name": "app", "policy_names": ["extra"]}, {}),
        change("aws_iam_role_policy.app_extra", "aws_iam_role_policy", "app_extra", ["create"],
               {"role": "app", "name": "extra", "policy": doc(
                   stmt("dynamodb:GetItem", sid="AnyTable"),
                   stmt("ssm:GetParameter", "arn:aws:ssm:eu-west-1:111111111111:parameter/app/*", sid="AppParams"))},
               {"id": True}),
        change("aws_iam_role_policy_attachments_exclusive.admin", "aws_iam_role_policy_attachments_exclusive",
               "admin", ["create"], {"role_name": "admin", "policy_arns": [SSM_READONLY]}, {}),
        attachment("admin_ssm", "admin", SSM_READONLY),
    ]
    config = {"resources": [
        cfg_res(rc["address"], rc["type"], rc["name"],
                {k: const(v) for k, v in rc["change"]["after"].items() if k != "id"})
        for rc in changes]}
    return plan(changes, config)


# --- users, groups, memberships -----------------------------------------------------------
def users_groups_plan():
    """alice and the group deployers are created; bob, carol, dave and the group ops exist
    outside the plan."""
    def res(rtype, name, actions, after, unknown=None, before=None):
        return change(f"{rtype}.{name}", rtype, name, actions, after, unknown or {}, before=before)
    changes = [
        res("aws_iam_user", "alice", ["create"], {"name": "alice", "path": "/", "permissions_boundary": None,
                                                  "force_destroy": False, "tags": None},
            {"arn": True, "id": True, "unique_id": True}),
        res("aws_iam_group", "deployers", ["create"], {"name": "deployers", "path": "/"},
            {"arn": True, "id": True, "unique_id": True}),
        res("aws_iam_group_policy", "deployers_pass", ["create"],
            {"group": "deployers", "name": "pass", "policy": doc(stmt("iam:PassRole", sid="PassAny"))},
            {"id": True}),
        res("aws_iam_group_membership", "deployers", ["create"],
            {"name": "deployers-members", "group": "deployers", "users": ["alice", "bob"]}, {"id": True}),
        res("aws_iam_user_policy", "bob_params", ["create"],
            {"user": "bob", "name": "params", "policy": doc(stmt("ssm:GetParameter", sid="Params"))},
            {"id": True}),
        res("aws_iam_user_policy_attachment", "alice_ro", ["create"],
            {"user": "alice", "policy_arn": READONLY}, {"id": True}),
        res("aws_iam_user_group_membership", "carol", ["update"],
            {"user": "carol", "groups": ["readers", "deployers"], "id": "carol-groups"}, {},
            before={"user": "carol", "groups": ["readers"], "id": "carol-groups"}),
        res("aws_iam_group_policy_attachment", "ops_admin", ["create"],
            {"group": "ops", "policy_arn": ADMIN}, {"id": True}),
        res("aws_iam_policy_attachment", "legacy", ["create"],
            {"name": "legacy", "users": ["dave"], "roles": [], "groups": [], "policy_arn": SSM_READONLY},
            {"id": True}),
    ]
    config = {"resources": [
        cfg_res("aws_iam_user.alice", "aws_iam_user", "alice", {"name": const("alice")}),
        cfg_res("aws_iam_group.deployers", "aws_iam_group", "deployers", {"name": const("deployers")}),
        cfg_res("aws_iam_group_policy.deployers_pass", "aws_iam_group_policy", "deployers_pass",
                {"group": ref("aws_iam_group.deployers.name", "aws_iam_group.deployers")}),
        cfg_res("aws_iam_group_membership.deployers", "aws_iam_group_membership", "deployers",
                {"group": ref("aws_iam_group.deployers.name", "aws_iam_group.deployers"),
                 "users": ref("aws_iam_user.alice.name", "aws_iam_user.alice")}),
        cfg_res("aws_iam_user_policy_attachment.alice_ro", "aws_iam_user_policy_attachment", "alice_ro",
                {"user": ref("aws_iam_user.alice.name", "aws_iam_user.alice"), "policy_arn": const(READONLY)}),
    ]}
    return plan(changes, config)


# --- one plan per JSON format version, in the shapes each Terraform release writes ----------
# format_version 0.1: Terraform 0.12-0.14 (provider_name "aws", no *_sensitive, references to
# whole resources only); 0.2: 0.15 (before_sensitive / after_sensitive, registry provider
# names); 1.0: 1.0-1.1 (resource_drift); 1.1: 1.2-1.5 (relevant_attributes, action_reason,
# replace_paths, previous_address); 1.2: 1.6+ (timestamp, applyable / complete / errored,
# checks, importing, the "forget" action).
def versioned(fv, tf, changes, config_root, planned_root, prior=None, extra=None):
    out = {"format_version": fv, "terraform_version": tf, "planned_values": {"root_module": planned_root},
           "resource_changes": changes, "configuration": {"root_module": config_root}}
    if prior is not None:
        out["prior_state"] = {"format_version": fv, "terraform_version": tf,
                              "values": {"root_module": prior}}
    out.update(extra or {})
    return out


def rc_v(address, rtype, name, actions, before, after, after_unknown, provider, sensitive,
         module=None, index=None, mode="managed", **more):
    change = {"actions": actions, "before": before, "after": after, "after_unknown": after_unknown}
    if sensitive:
        change["before_sensitive"] = False if before is None else {}
        change["after_sensitive"] = False if after is None else {}
    rc = {"address": address, "mode": mode, "type": rtype, "name": name, "provider_name": provider,
          "change": change}
    if module:
        rc["module_address"] = module
    if index is not None:
        rc["index"] = index
    rc.update(more)
    return rc


def pv(address, rtype, name, values, provider, index=None, mode="managed"):
    r = {"address": address, "mode": mode, "type": rtype, "name": name, "provider_name": provider,
         "schema_version": 0, "values": values}
    if index is not None:
        r["index"] = index
    return r


def v0_1_plan():
    """Terraform 0.12: a child module with count; the inline policies render a policy-document data
    source read during refresh (in prior_state), so their JSON is known at plan time; references
    name whole resources."""
    prov = "aws"
    pass_doc = doc(stmt("iam:PassRole", sid="PassAny"))
    scoped = doc(stmt("iam:PassRole", "arn:aws:iam::123456789012:role/app", sid="PassApp"))
    data = pv("module.iam.data.aws_iam_policy_document.pass", "aws_iam_policy_document", "pass",
              {"json": pass_doc, "id": "1234"}, prov, mode="data")
    changes, planned = [], []

    def add(address, rtype, name, after, unknown, index=None):
        changes.append(rc_v(address, rtype, name, ["create"], None, after, unknown, prov, False,
                            module="module.iam", index=index))
        planned.append(pv(address, rtype, name, after, prov, index=index))
    for i in (0, 1):
        add(f"module.iam.aws_iam_role.ci[{i}]", "aws_iam_role", "ci",
            {"name": f"ci-{i}", "assume_role_policy": doc({"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "codebuild.amazonaws.com"}}), "path": "/", "description": None,
             "force_detach_policies": False, "max_session_duration": 3600, "permissions_boundary": None,
             "tags": None}, {"arn": True, "create_date": True, "id": True, "unique_id": True}, index=i)
        add(f"module.iam.aws_iam_role_policy.pass[{i}]", "aws_iam_role_policy", "pass",
            {"name": "pass", "name_prefix": None, "role": f"ci-{i}", "policy": pass_doc}, {"id": True}, index=i)
    add("module.iam.aws_iam_role_policy.app", "aws_iam_role_policy", "app",
        {"name": "app", "name_prefix": None, "role": "ci-1", "policy": scoped}, {"id": True})
    module_cfg = {"resources": [
        {"address": "aws_iam_role.ci", "mode": "managed", "type": "aws_iam_role", "name": "ci",
         "provider_config_key": "iam:aws", "expressions": {"name": {"references": ["count.index"]}},
         "schema_version": 0, "count_expression": {"constant_value": 2}},
        {"address": "aws_iam_role_policy.pass", "mode": "managed", "type": "aws_iam_role_policy", "name": "pass",
         "provider_config_key": "iam:aws",
         "expressions": {"role": {"references": ["aws_iam_role.ci", "count.index"]},
                         "policy": {"references": ["data.aws_iam_policy_document.pass"]}},
         "schema_version": 0, "count_expression": {"constant_value": 2}},
        {"address": "aws_iam_role_policy.app", "mode": "managed", "type": "aws_iam_role_policy", "name": "app",
         "provider_config_key": "iam:aws", "expressions": {"role": {"references": ["aws_iam_role.ci"]},
                                                          "policy": {"references": ["var.scoped"]}},
         "schema_version": 0},
        {"address": "data.aws_iam_policy_document.pass", "mode": "data", "type": "aws_iam_policy_document",
         "name": "pass", "provider_config_key": "iam:aws", "expressions": {"statement": [{}]},
         "schema_version": 0}]}
    out = versioned(
        "0.1", "0.12.31", changes, {"module_calls": {"iam": {"source": "./iam", "module": module_cfg}}},
        {"child_modules": [{"resources": planned, "address": "module.iam"}]},
        prior={"child_modules": [{"resources": [data], "address": "module.iam"}]})
    out["configuration"]["provider_config"] = {
        "aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}}
    return out


def v0_2_plan():
    """Terraform 0.15: for_each with string keys, sensitive markers, registry provider names;
    the attachment's role is known at plan time."""
    prov = "registry.terraform.io/hashicorp/aws"
    changes, planned = [], []
    for key, arn in (("api", SSM_READONLY), ("worker", "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy")):
        after = {"role": f"svc-{key}", "policy_arn": arn}
        changes.append(rc_v(f'aws_iam_role_policy_attachment.svc["{key}"]', "aws_iam_role_policy_attachment",
                            "svc", ["create"], None, after, {"id": True}, prov, True, index=key))
        planned.append(pv(f'aws_iam_role_policy_attachment.svc["{key}"]', "aws_iam_role_policy_attachment",
                          "svc", after, prov, index=key))
    cfg = {"resources": [dict(
        cfg_res("aws_iam_role_policy_attachment.svc", "aws_iam_role_policy_attachment", "svc",
                {"role": ref("each.key"), "policy_arn": ref("each.value")}),
        for_each_expression=ref("local.services"))]}
    return versioned("0.2", "0.15.5", changes, cfg, {"resources": planned})


def v1_0_plan():
    """Terraform 1.0: an in-place update of a role's inline_policy block, with resource_drift."""
    prov = "registry.terraform.io/hashicorp/aws"
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}})
    base = {"name": "deployer", "arn": "arn:aws:iam::123456789012:role/deployer", "id": "deployer",
            "assume_role_policy": trust, "path": "/", "managed_policy_arns": [], "permissions_boundary": None,
            "unique_id": "AROAEXAMPLE", "max_session_duration": 3600, "tags": {}, "tags_all": {}}
    before = dict(base, inline_policy=[{"name": "deploy", "policy": doc(
        stmt("iam:PassRole", "arn:aws:iam::123456789012:role/task", sid="PassTask"))}])
    after = dict(base, inline_policy=[{"name": "deploy", "policy": doc(stmt("iam:PassRole", sid="PassTask"))}])
    changes = [rc_v("aws_iam_role.deployer", "aws_iam_role", "deployer", ["update"], before, after,
                    {"inline_policy": [{}], "managed_policy_arns": [], "tags": {}, "tags_all": {}}, prov, True)]
    drift = [rc_v("aws_iam_role.deployer", "aws_iam_role", "deployer", ["update"], dict(base, tags={"a": "b"},
                  inline_policy=before["inline_policy"]), before, {}, prov, True)]
    cfg = {"resources": [cfg_res("aws_iam_role.deployer", "aws_iam_role", "deployer", {
        "name": const("deployer"), "inline_policy": [{"name": const("deploy"), "policy": ref("local.deploy")}]})]}
    return versioned("1.0", "1.0.11", changes, cfg,
                     {"resources": [pv("aws_iam_role.deployer", "aws_iam_role", "deployer", after, prov)]},
                     prior={"resources": [pv("aws_iam_role.deployer", "aws_iam_role", "deployer", before, prov)]},
                     extra={"resource_drift": drift})


def v1_1_plan():
    """Terraform 1.3: a role replaced because its name changes (action_reason, replace_paths), a
    policy moved to a new address (previous_address), relevant_attributes."""
    prov = "registry.terraform.io/hashicorp/aws"
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "batch.amazonaws.com"}})
    old = {"name": "batch-old", "arn": "arn:aws:iam::123456789012:role/batch-old", "id": "batch-old",
           "assume_role_policy": trust, "path": "/", "inline_policy": [], "managed_policy_arns": [ADMIN],
           "permissions_boundary": None, "unique_id": "AROAOLD", "max_session_duration": 3600,
           "tags": None, "tags_all": {}}
    new = {"name": "batch", "assume_role_policy": trust, "path": "/", "inline_policy": [],
           "managed_policy_arns": [ADMIN], "permissions_boundary": None, "max_session_duration": 3600,
           "tags": None, "tags_all": {}}
    moved_doc = doc(stmt(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::reports/*", sid="Reports"))
    moved = {"name": "reports", "arn": "arn:aws:iam::123456789012:policy/reports", "id":
             "arn:aws:iam::123456789012:policy/reports", "path": "/", "policy": moved_doc, "tags": None}
    changes = [
        rc_v("aws_iam_role.batch", "aws_iam_role", "batch", ["delete", "create"], old, new,
             {"arn": True, "id": True, "unique_id": True, "create_date": True, "inline_policy": [],
              "managed_policy_arns": [False]}, prov, True, action_reason="replace_because_cannot_update",
             replace_paths=[["name"]]),
        rc_v("aws_iam_policy.reports", "aws_iam_policy", "reports", ["no-op"], moved, moved, {}, prov, True,
             previous_address="aws_iam_policy.old_reports"),
    ]
    cfg = {"resources": [
        cfg_res("aws_iam_role.batch", "aws_iam_role", "batch",
                {"name": const("batch"), "managed_policy_arns": const([ADMIN])}),
        cfg_res("aws_iam_policy.reports", "aws_iam_policy", "reports", {"name": const("reports")})]}
    return versioned("1.1", "1.3.9", changes, cfg,
                     {"resources": [pv("aws_iam_role.batch", "aws_iam_role", "batch", new, prov),
                                    pv("aws_iam_policy.reports", "aws_iam_policy", "reports", moved, prov)]},
                     prior={"resources": [pv("aws_iam_role.batch", "aws_iam_role", "batch", old, prov)]},
                     extra={"relevant_attributes": [{"resource": "aws_iam_role.batch", "attribute": ["name"]}]})


def v1_2_plan():
    """Terraform 1.9: an imported role (no-op with importing), a role policy forgotten by a removed
    block ("forget"), a deposed object, and a new user with an inline policy."""
    prov = "registry.terraform.io/hashicorp/aws"
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}})
    imported = {"name": "legacy-admin", "arn": "arn:aws:iam::123456789012:role/legacy-admin", "id": "legacy-admin",
                "assume_role_policy": trust, "path": "/", "inline_policy": [], "managed_policy_arns": [ADMIN],
                "permissions_boundary": None, "unique_id": "AROALEGACY", "max_session_duration": 3600,
                "tags": {}, "tags_all": {}}
    forgotten = {"role": "legacy-admin", "name": "everything", "id": "legacy-admin:everything",
                 "policy": doc(stmt("*"))}
    user = {"name": "release-bot", "path": "/bots/", "permissions_boundary": None, "force_destroy": False,
            "tags": None}
    user_policy = {"user": "release-bot", "name": "assume", "policy": doc(stmt("sts:AssumeRole", sid="AnyRole"))}
    changes = [
        rc_v("aws_iam_role.legacy", "aws_iam_role", "legacy", ["no-op"], imported, imported, {}, prov, True),
        rc_v("aws_iam_role_policy.everything", "aws_iam_role_policy", "everything", ["forget"], forgotten, None,
             {}, prov, True, action_reason="delete_because_no_resource_config"),
        rc_v("aws_iam_role_policy.rotated", "aws_iam_role_policy", "rotated", ["delete"], forgotten, None,
             {}, prov, True, deposed="00000001"),
        rc_v("aws_iam_user.release", "aws_iam_user", "release", ["create"], None, user,
             {"arn": True, "id": True, "unique_id": True, "tags_all": True}, prov, True),
        rc_v("aws_iam_user_policy.release", "aws_iam_user_policy", "release", ["create"], None, user_policy,
             {"id": True}, prov, True),
    ]
    changes[0]["change"]["importing"] = {"id": "legacy-admin"}
    cfg = {"resources": [
        cfg_res("aws_iam_user.release", "aws_iam_user", "release", {"name": const("release-bot")}),
        cfg_res("aws_iam_user_policy.release", "aws_iam_user_policy", "release",
                {"user": ref("aws_iam_user.release.name", "aws_iam_user.release")}),
        cfg_res("aws_iam_role.legacy", "aws_iam_role", "legacy", {"name": const("legacy-admin")})]}
    return versioned("1.2", "1.9.5", changes, cfg,
                     {"resources": [pv("aws_iam_role.legacy", "aws_iam_role", "legacy", imported, prov),
                                    pv("aws_iam_user.release", "aws_iam_user", "release", user, prov),
                                    pv("aws_iam_user_policy.release", "aws_iam_user_policy", "release",
                                       user_policy, prov)]},
                     prior={"resources": [pv("aws_iam_role.legacy", "aws_iam_role", "legacy", imported, prov)]},
                     extra={"timestamp": "2026-05-01T12:00:00Z", "applyable": True, "complete": True,
                            "errored": False,
                            "checks": [{"address": {"kind": "resource", "mode": "managed", "type": "aws_iam_user",
                                                    "name": "release", "to_display": "aws_iam_user.release"},
                                        "status": "unknown"}]})


write("modules.json", modules_plan())
write("managed.json", managed_plan())
write("unknowns.json", unknown_plan())
write("lake_attach.json", lake_attach_plan())
write("lake_update.json", lake_update_plan())
write("lake_exclusive.json", lake_exclusive_plan())
write("users_groups.json", users_groups_plan())
for fv, make in (("0_1", v0_1_plan), ("0_2", v0_2_plan), ("1_0", v1_0_plan), ("1_1", v1_1_plan),
                 ("1_2", v1_2_plan)):
    write(f"format_v{fv}.json", make())
