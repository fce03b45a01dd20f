"""check-plan's OPA/conftest output, judged by a real Rego engine (rego-cpp,
through regopy) running the example policy docs/conftest/iamlake.rego: its
`deny` set is exactly iamlake's violations, `warn` its warnings and unknowns."""

import json
import subprocess
from pathlib import Path

from regopy import Interpreter

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "docs/conftest/iamlake.rego"


def check_plan(bin_path, plan, fmt, *extra):
    p = subprocess.run(
        [str(bin_path), "check-plan", "--today", "2026-11-21", "--format", fmt, "--plan", str(plan), *extra],
        capture_output=True, text=True,
    )
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


def rego(rule, document):
    interp = Interpreter()
    interp.add_module("iamlake.rego", POLICY.read_text())
    interp.set_input_term(json.dumps(document))
    out = json.loads(str(interp.query(f"data.main.{rule}")))
    return sorted(out["expressions"][0])


def test_deny_is_exactly_the_violations(iamlake_bin):
    plan = REPO / "tests/data/plan/modules.json"
    code, doc = check_plan(iamlake_bin, plan, "conftest")
    _, report = check_plan(iamlake_bin, plan, "json")
    assert code == 1, "exit codes are those of every format"
    findings = doc["iamlake"]["findings"]
    assert doc["iamlake"]["passed"] is False
    assert [f for f in findings if f["status"] == "violation"] == [
        {**v, "status": "violation", "override": None} for v in report["violations"]
    ]
    deny = rego("deny", doc)
    assert len(deny) == len(report["violations"]) > 0
    for v in report["violations"]:
        assert f"{v['address']}: {v['action']} is {v['decision']} on any resource: {v['why']}" in deny


def test_overridden_findings_do_not_deny(iamlake_bin):
    plan = REPO / "tests/data/plan/managed.json"
    code, doc = check_plan(iamlake_bin, plan, "conftest", "--overrides", str(REPO / "tests/data/plan/overrides.toml"))
    _, report = check_plan(iamlake_bin, plan, "json", "--overrides", str(REPO / "tests/data/plan/overrides.toml"))
    statuses = [f["status"] for f in doc["iamlake"]["findings"]]
    assert statuses.count("overridden") == len(report["overridden"]) > 0
    assert all(f["override"]["reason"] for f in doc["iamlake"]["findings"] if f["status"] == "overridden")
    assert len(rego("deny", doc)) == len(report["violations"])
    assert (code == 0) == (len(report["violations"]) == 0)
    unknowns = [w for w in rego("warn", doc) if ": not checked: " in w]
    assert len(unknowns) == len(report["unknowns"])


def test_already_allowed_findings_are_context_not_denied(iamlake_bin):
    # An aws_iam_policy update is judged against its old document: iam:* stays
    # (already allowed), s3:GetObject is new.
    plan = REPO / "tests/data/plan/lake_update.json"
    code, doc = check_plan(iamlake_bin, plan, "conftest")
    _, report = check_plan(iamlake_bin, plan, "json")
    assert code == 1
    findings = doc["iamlake"]["findings"]
    already = [f for f in findings if f["status"] == "already_allowed"]
    assert already == [{**f, "status": "already_allowed", "override": None} for f in report["already_allowed"]]
    assert sorted(f["action"] for f in already) == ["iam:CreateRole", "iam:PassRole"]
    assert all(f["change"] == "already_allowed" and f["before_decision"] == "allowed" for f in already)
    deny = rego("deny", doc)
    assert len(deny) == len(report["violations"]) == 2
    assert not any("iam:PassRole" in d or "iam:CreateRole" in d for d in deny)
