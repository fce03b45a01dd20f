"""Round trip through independent readers: the lake iamlake writes, read back
by DuckDB and pyarrow, must match the fixture JSON parsed here in Python
(not by iamlake's own code)."""
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
TABLES = ["roles", "role_policies", "simulations", "last_accessed"]
SENSITIVE = 7


def load(path: Path):
    return json.loads(path.read_text())


def pages(value):
    return value if isinstance(value, list) else [value]


def ts(text):
    """AWS timestamp text -> aware datetime (UTC)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def decode(doc):
    if isinstance(doc, dict):
        return doc
    return json.loads(doc if doc.lstrip().startswith("{") else unquote(doc))


def fixture_day(day_dir: Path):
    """Expected rows of one fixture day, computed from the raw JSON."""
    accounts = [a for p in pages(load(day_dir / "organization/accounts.json")) for a in p["Accounts"]
                if a.get("State", a.get("Status", "ACTIVE")) == "ACTIVE"]
    roles, last_accessed = {}, 0
    users = {"users": 0, "last_accessed": 0, "policies": 0}

    def access_rows(la):
        n = 0
        if la.exists():
            for p in pages(load(la)):
                for svc in p["ServicesLastAccessed"]:
                    n += 1 + len(svc.get("TrackedActionsLastAccessed", []))
        return n

    for acct in accounts:
        adir = day_dir / acct["Id"]
        details = list(pages(load(adir / "authorization-details.json")))
        groups = {g["GroupName"]: g for page in details for g in page.get("GroupDetailList", [])}
        for page in details:
            for r in page["RoleDetailList"]:
                roles[r["Arn"]] = r
                last_accessed += access_rows(adir / "last-accessed" / f"{r['RoleName']}.json")
            # A user's policy rows: its own, its boundary, and each of its groups'.
            for u in page.get("UserDetailList", []):
                users["users"] += 1
                users["last_accessed"] += access_rows(adir / "last-accessed" / "users" / f"{u['UserName']}.json")
                users["policies"] += len(u["UserPolicyList"]) + len(u["AttachedManagedPolicies"]) + ("PermissionsBoundary" in u)
                for g in u["GroupList"]:
                    users["policies"] += len(groups[g]["GroupPolicyList"]) + len(groups[g]["AttachedManagedPolicies"])
    return roles, last_accessed, users


def test_default_lake_row_counts_match_fixture_json(default_lake):
    days = load(REPO / "fixtures/default/fixture.json")["days"]
    con = duckdb.connect()
    counts = {t: dict(con.execute(
        f"select snapshot_date::varchar, count(*) from read_parquet('{default_lake}/{t}/*/*.parquet', hive_partitioning=true) group by 1"
    ).fetchall()) for t in TABLES}
    # Users' rows of the tables roles and users share, per day.
    of_users = {t: dict(con.execute(
        f"""select snapshot_date::varchar, count(*) from read_parquet('{default_lake}/{t}/*/*.parquet', hive_partitioning=true)
            where principal_type = 'user' group by 1"""
    ).fetchall()) for t in ["role_policies", "simulations", "last_accessed"]}
    for day in days:
        roles, la, users = fixture_day(REPO / "fixtures/default" / day)
        assert users["users"] > 0, day
        assert counts["roles"][day] == len(roles), day
        assert counts["simulations"][day] == (len(roles) + users["users"]) * SENSITIVE, day
        assert of_users["simulations"][day] == users["users"] * SENSITIVE, day
        assert counts["last_accessed"][day] == la + users["last_accessed"], day
        assert of_users["last_accessed"][day] == users["last_accessed"], day
        assert of_users["role_policies"][day] == users["policies"], day
        manifest = load(default_lake / "_manifests" / f"snapshot_date={day}" / "manifest.json")
        for t in TABLES:
            assert manifest["tables"][t]["rows"] == counts[t].get(day, 0), (day, t)


def test_default_lake_sampled_values_match_fixture_json(default_lake):
    days = load(REPO / "fixtures/default/fixture.json")["days"]
    for day in (days[0], days[-1]):
        roles, _, _ = fixture_day(REPO / "fixtures/default" / day)
        table = pq.read_table(default_lake / "roles" / f"snapshot_date={day}")
        rows = {r["arn"]: r for r in table.to_pylist()}
        assert set(rows) == set(roles)
        for arn in sorted(roles)[:: max(1, len(roles) // 25)]:
            want, got = roles[arn], rows[arn]
            assert got["role_id"] == want["RoleId"]
            assert got["role_name"] == want["RoleName"]
            assert got["path"] == want["Path"]
            assert got["create_date"] == ts(want["CreateDate"])
            assert dict(got["tags"]) == {t["Key"]: t["Value"] for t in want.get("Tags", [])}
            assert got["managed_policy_arns"] == [p["PolicyArn"] for p in want.get("AttachedManagedPolicies", [])]
            assert got["inline_policy_names"] == [p["PolicyName"] for p in want.get("RolePolicyList", [])]
            assert json.loads(got["trust_policy"]) == decode(want["AssumeRolePolicyDocument"])
            used = (want.get("RoleLastUsed") or {}).get("LastUsedDate")
            assert got["last_used_at"] == (ts(used) if used else None)


def test_pyarrow_dataset_reads_every_table_with_hive_partitions(default_lake):
    for t in TABLES:
        dataset = ds.dataset(default_lake / t, format="parquet", partitioning="hive")
        table = dataset.to_table()
        assert table.num_rows > 0, t
        for field in dataset.schema:
            assert not pa.types.is_unsigned_integer(field.type), (t, field)
            if pa.types.is_timestamp(field.type):
                assert field.type.unit == "us" and field.type.tz == "UTC", (t, field)
            assert field.name == field.name.lower(), (t, field)


def test_parquet_files_follow_warehouse_conventions(default_lake):
    for t in TABLES:
        for f in (default_lake / t).glob("*/*"):
            assert f.suffix == ".parquet", f
            meta = pq.ParquetFile(f)
            for i in range(meta.metadata.num_columns):
                assert meta.metadata.row_group(0).column(i).compression == "SNAPPY", f
            # Standard 3-level list naming (element), as Athena expects.
            text = str(meta.schema)
            if "list" in text.lower():
                assert "element" in text, (f, text)


def test_policy_documents_are_plain_and_names_dictionary_encoded(default_lake):
    """Policy documents are written without a dictionary (long texts that
    would overflow it on a large account); short repeated columns keep one.
    Both read back to the same text either way."""
    for t in ["role_policies", "scps"]:
        files = sorted((default_lake / t).glob("*/*.parquet"))
        assert files, t
        for f in files:
            meta = pq.ParquetFile(f).metadata
            names = [meta.schema.column(i).name for i in range(meta.num_columns)]
            for rg in range(meta.num_row_groups):
                chunk = lambda name: meta.row_group(rg).column(names.index(name))
                assert not chunk("document").has_dictionary_page, f
                assert "PLAIN" in chunk("document").encodings, f
                assert chunk("account_id").has_dictionary_page, f
    docs = pq.read_table(files[0], columns=["document"]).column("document").to_pylist()
    assert all(json.loads(d) for d in docs)


def test_mini_decisions_via_duckdb(mini_lake):
    con = duckdb.connect()
    rows = con.execute(f"""
        select role_name, action, decision, decided_by
        from read_parquet('{mini_lake}/simulations/*/*.parquet', hive_partitioning=true)
        where role_name in ('admin', 'bounded') and action in ('iam:CreateRole', 'iam:PassRole')
        order by 1, 2""").fetchall()
    assert rows == [
        ("admin", "iam:CreateRole", "explicit_deny", "scp"),
        ("admin", "iam:PassRole", "allowed", "identity"),
        ("bounded", "iam:CreateRole", "explicit_deny", "scp"),
        ("bounded", "iam:PassRole", "implicit_deny", "boundary"),
    ]
    # Nested columns are queryable: the statements behind a decision.
    sids = con.execute(f"""
        select list_transform(matched_statements, lambda s: s.sid)
        from read_parquet('{mini_lake}/simulations/*/*.parquet')
        where role_name = 'app' and action = 'dynamodb:GetItem'""").fetchone()[0]
    assert "TableInVpc" in sids
    # Timestamps arrive as UTC instants.
    created = con.execute(f"""
        select epoch_us(create_date) from read_parquet('{mini_lake}/roles/*/*.parquet')
        where role_name = 'app'""").fetchone()[0]
    assert created == 1_705_321_800_000_000


def test_rcps_and_their_decisions_via_duckdb_and_pyarrow(iamlake_bin, tmp_path):
    """tests/data/mini with one resource control policy on account
    111111111111 (AWS's sample identity perimeter, and an outright deny of
    object reads): the `rcps` table lists it after RCPFullAWSAccess, and
    only the outright deny changes a decision of the organization's roles."""
    import shutil
    import subprocess

    src = tmp_path / "org"
    shutil.copytree(REPO / "tests/data/mini", src)
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Perimeter", "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sts:*"], "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
        {"Sid": "NoReads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    (src / "organization/rcps").mkdir()
    (src / "organization/rcps/p-perimeter.json").write_text(json.dumps({
        "Policy": {"PolicySummary": {"Id": "p-perimeter", "Type": "RESOURCE_CONTROL_POLICY"},
                   "Content": json.dumps(doc)},
        "Targets": [{"TargetId": "111111111111", "Type": "ACCOUNT"}]}))
    lake = tmp_path / "lake"
    proc = subprocess.run([str(iamlake_bin), "snapshot", "--quiet", "--source", f"fixtures:{src}", "--lake", str(lake),
                           "--date", "2026-10-01"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect()
    rcps = con.execute(f"""
        select account_id, level, policy_id, json_extract_string(document, '$.Statement[1].Sid')
        from read_parquet('{lake}/rcps/*/*.parquet', hive_partitioning=true) order by policy_id""").fetchall()
    assert rcps == [("111111111111", 0, "p-RCPFullAWSAccess", None), ("111111111111", 0, "p-perimeter", "NoReads")]
    assert ds.dataset(lake / "rcps", format="parquet", partitioning="hive").to_table().num_rows == 2
    rows = con.execute(f"""
        select action, decision, decided_by
        from read_parquet('{lake}/simulations/*/*.parquet', hive_partitioning=true)
        where role_name = 'admin' and action in ('s3:GetObject', 'sts:AssumeRole')
        order by 1""").fetchall()
    assert rows == [("s3:GetObject", "explicit_deny", "rcp"), ("sts:AssumeRole", "allowed", "identity")]


ALL_TABLES = TABLES + ["credentials", "users", "unused_permissions", "unused_roles", "credential_findings", "unused_deltas", "team_summary", "daily_summary",
                       "passrole_grants", "review_status", "alert_ledger"]


def test_every_table_loads_in_duckdb_pyarrow_and_polars_without_casts(default_lake):
    import polars as pl
    con = duckdb.connect()
    for t in ALL_TABLES:
        glob = f"{default_lake}/{t}/*/*.parquet"
        n_duck = con.execute(f"select count(*) from read_parquet('{glob}', hive_partitioning=true)").fetchone()[0]
        n_arrow = ds.dataset(default_lake / t, format="parquet", partitioning="hive").to_table().num_rows
        frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
        assert n_duck == n_arrow == frame.height, t
        # The generated series has no IAM users in its authorization details.
        assert n_duck > 0 or t in ("review_status", "users"), t
        # The warehouse types survive as they are: UTC microsecond
        # timestamps, dates, nested lists/structs; no column needs a cast.
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Datetime):
                assert dtype.time_unit == "us" and dtype.time_zone == "UTC", (t, name, dtype)
            assert not dtype.is_unsigned_integer(), (t, name, dtype)


def report_value(text):
    """A credential report field as Python reads it: a time, a flag, or None."""
    if text in ("N/A", "no_information", "not_supported"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":
        return ts(text)
    return text


def test_credential_reports_round_trip_through_duckdb_and_pyarrow(default_lake):
    """Every line of every account's credential_report.csv (parsed here with
    Python's csv module) is one credentials row, every column equal, read by
    pyarrow and by DuckDB alike."""
    import csv
    days = load(REPO / "fixtures/default/fixture.json")["days"]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for day in (days[0], days[-1]):
        want = {}
        for f in sorted((REPO / "fixtures/default" / day).glob("*/credential_report.csv")):
            with f.open(newline="") as fh:
                for line in csv.DictReader(fh):
                    want[(f.parent.name, line["user"])] = {k: report_value(v) for k, v in line.items()}
        assert len(want) > 10
        table = pq.read_table(default_lake / "credentials" / f"snapshot_date={day}")
        got = {(r["account_id"], r["user"]): r for r in table.to_pylist()}
        assert set(got) == set(want), day
        for key, line in want.items():
            row = got[key]
            assert row["is_root"] == (key[1] == "<root_account>")
            for column, value in line.items():
                assert row[column] == value, (day, key, column)
        duck = con.execute(f"""select account_id, "user", access_key_1_last_used_date, mfa_active
                               from read_parquet('{default_lake}/credentials/snapshot_date={day}/*.parquet')""").fetchall()
        assert {(a, u): (t, m) for a, u, t, m in duck} == {
            k: (v["access_key_1_last_used_date"], v["mfa_active"]) for k, v in want.items()}


def test_user_rows_read_back_by_pyarrow_and_duckdb_alike(default_lake):
    """Users' rows of the shared tables (principal_type user) hold the user's
    ARN in role_arn; both readers see the same rows; every user's decisions
    are there, and a group's policies name the group (via_group)."""
    day = load(REPO / "fixtures/default/fixture.json")["days"][-1]
    sims = pq.read_table(default_lake / "simulations" / f"snapshot_date={day}").to_pylist()
    users = pq.read_table(default_lake / "users" / f"snapshot_date={day}").to_pylist()
    assert {r["principal_type"] for r in sims} == {"role", "user"}
    user_sims = [r for r in sims if r["principal_type"] == "user"]
    assert {r["role_arn"] for r in user_sims} == {u["arn"] for u in users}
    assert all(":user/" in r["role_arn"] and r["role_id"].startswith("AIDA") for r in user_sims)
    assert len(user_sims) == len(users) * SENSITIVE
    con = duckdb.connect()
    got = con.execute(f"""select role_arn, action, decision, breadth from read_parquet('{default_lake}/simulations/*/*.parquet',
                          hive_partitioning=true) where snapshot_date = '{day}' and principal_type = 'user'""").fetchall()
    assert sorted(got) == sorted((r["role_arn"], r["action"], r["decision"], r["breadth"]) for r in user_sims)
    policies = pq.read_table(default_lake / "role_policies" / f"snapshot_date={day}").to_pylist()
    via = {(p["role_name"], p["via_group"]) for p in policies if p["principal_type"] == "user" and p["via_group"]}
    want = {(u["user_name"], g) for u in users for g in u["groups"]}
    assert via == want
    assert all(p["via_group"] is None for p in policies if p["principal_type"] == "role")
