"""The committed warehouse SQL (sql/, docs/WAREHOUSE.md) against the lake
itself, plus the lake the Athena and Snowflake query tests share: the bundled
30-day series, with reviews on the latest date and one account failed (a
partial day) on the second.

The generated DDL (sql/*/tables.sql) must declare every column of every file
with the type the file has; the hand-written views must restrict the
partition key so the warehouse reads only the dates they need."""
import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from partial_lake import fail_account, manifest_path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SQL = REPO / "sql"
# In creation order: the others read account_data_dates and simulation_breadth.
QUERIES = ["account_data_dates", "simulation_breadth", "risky_roles_trend", "team_counts", "new_unused_permissions", "review_progress", "failed_accounts",
           "unused_roles_by_team", "credential_findings_by_account"]
LAKE_TABLES = ["roles", "role_policies", "simulations", "last_accessed", "scps", "rcps", "credentials", "users", "policy_lints", "unused_permissions", "unused_roles", "credential_findings", "unused_deltas",
               "team_summary", "daily_summary", "passrole_grants", "review_status", "alert_ledger",
               "role_owners", "alert_deliveries"]
FAILED_ACCOUNT = "770696721453"


def build_warehouse_lake(iamlake_bin: Path, default_lake: Path, dest: Path) -> dict:
    """Copies the demo lake, turns its second date into a partial day (one
    account failed, its rows removed: see partial_lake.py) and analyzes that
    date and every later one again, the latest with reviews (keep / delete on
    unused permissions). iamlake's fixture source never fails an account, so
    that edit is the only synthetic part."""
    lake = dest / "lake"
    shutil.copytree(default_lake, lake)
    dates = sorted(p.name.split("=", 1)[1] for p in (lake / "_manifests").glob("snapshot_date=*"))
    latest = dates[-1]
    failed_date = dates[1]
    before = fail_account(lake, failed_date, FAILED_ACCOUNT)
    reason = next(a["reason"] for a in json.loads(manifest_path(lake, failed_date).read_text())["accounts"]
                  if a["account_id"] == FAILED_ACCOUNT)
    for d in dates[1:-1]:
        proc = subprocess.run([str(iamlake_bin), "analyze", "--quiet", "--lake", str(lake), "--date", d],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    con = duckdb.connect()
    unused = con.execute(f"""
        SELECT account_id, role_name, permission FROM read_parquet('{lake}/unused_permissions/snapshot_date={latest}/*.parquet')
        ORDER BY account_id, role_name, permission""").fetchall()
    assert len(unused) >= 12
    roles = con.execute(f"""
        SELECT account_id, role_name FROM read_parquet('{lake}/unused_roles/snapshot_date={latest}/*.parquet')
        WHERE NOT service_linked ORDER BY account_id, role_name""").fetchall()
    assert len(roles) >= 2
    deleted_role = con.execute(f"""
        SELECT account_id, role_name FROM read_parquet('{lake}/unused_deltas/*/*.parquet', hive_partitioning = true)
        WHERE granularity = 'role' AND resolution = 'role_deleted' ORDER BY snapshot_date DESC, role_name LIMIT 1""").fetchone()
    assert deleted_role, "the bundled series deletes no unused role"
    reviews = dest / "reviews.csv"
    with reviews.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["account", "role", "permission", "decision", "reason", "reviewer", "date"])
        for i, (acct, role, perm) in enumerate(unused[::4][:6]):
            if i % 2 == 0:
                w.writerow([acct, role, perm, "keep", "needed for the yearly audit", "alice", latest])
            else:
                w.writerow([acct, role, perm, "delete", "", "bob", latest])
        # A delete review of a permission the role does not have (gone).
        acct, role, _ = unused[1]
        w.writerow([acct, role, "kinesis:PutRecord", "delete", "", "bob", latest])
        # Reviews of whole unused roles: keep one, delete another that is
        # still there, and delete one deleted since it was found unused (done).
        (acct, role), (acct2, role2) = roles[:2]
        w.writerow([acct, role, "role", "keep", "disaster recovery", "alice", latest])
        w.writerow([acct2, role2, "role", "delete", "", "bob", latest])
        w.writerow([*deleted_role, "role", "delete", "", "bob", latest])
    proc = subprocess.run([str(iamlake_bin), "analyze", "--quiet", "--lake", str(lake), "--date", latest,
                           "--reviews", str(reviews)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {"lake": lake, "dates": dates, "latest": latest,
            "failed": [(failed_date, "partial", FAILED_ACCOUNT, before["account_name"], reason)]}


def query_sql(dialect: str, name: str) -> str:
    return (SQL / dialect / "queries" / f"{name}.sql").read_text()


def ddl_columns(dialect: str) -> dict:
    """{table: [(column, type)]} parsed from the generated DDL."""
    text = (SQL / dialect / "tables.sql").read_text()
    out = {}
    if dialect == "athena":
        for m in re.finditer(r"CREATE EXTERNAL TABLE IF NOT EXISTS (\w+) \(\n(.*?)\n\)", text, re.S):
            out[m.group(1)] = re.findall(r"^  `(\w+)` (\S+) COMMENT ", m.group(2), re.M)
    else:
        for m in re.finditer(r"CREATE OR REPLACE EXTERNAL TABLE (\w+) \(\n(.*?)\n\)\nPARTITION BY", text, re.S):
            out[m.group(1)] = re.findall(r'^    ("?\w+"?) (\S+) AS \((.*?)\),? -- ', m.group(2), re.M)
    return out


def duck_to_athena(t: str) -> str:
    t = t.replace('"', "")
    simple = {"VARCHAR": "string", "INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double", "BOOLEAN": "boolean",
              "DATE": "date", "TIMESTAMP WITH TIME ZONE": "timestamp"}
    if t in simple:
        return simple[t]
    if t.endswith("[]"):
        return f"array<{duck_to_athena(t[:-2])}>"
    if t == "MAP(VARCHAR, VARCHAR)":
        return "map<string,string>"
    if t.startswith("STRUCT(") and t.endswith(")"):
        fields = re.findall(r"(\w+) (VARCHAR|INTEGER|BIGINT|DOUBLE|BOOLEAN|DATE)", t)
        return "struct<" + ",".join(f"{n}:{duck_to_athena(ty)}" for n, ty in fields) + ">"
    raise AssertionError(f"unmapped {t}")


def test_athena_ddl_matches_the_files(default_lake):
    """Every lake table's Athena columns are, in order, the columns and types
    of its Parquet files (DuckDB's view of them, spelled the Athena way)."""
    cols = ddl_columns("athena")
    assert sorted(cols) == sorted(LAKE_TABLES + ["snapshot_manifests", "analyze_manifests"])
    con = duckdb.connect()
    for t in LAKE_TABLES:
        files = sorted((default_lake / t).glob("snapshot_date=*/part-*.parquet"))
        assert files, t
        got = [(n, duck_to_athena(ty)) for n, ty, *_ in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{files[-1]}', hive_partitioning = false)").fetchall()]
        assert cols[t] == got, t
        # Athena maps Parquet int32/int64 by the physical type: no silent widening.
        schema = pq.read_schema(files[-1])
        for name, ty in cols[t]:
            if ty == "timestamp":
                assert str(schema.field(name).type) == "timestamp[us, tz=UTC]"


def test_snowflake_ddl_declares_the_same_columns():
    athena = ddl_columns("athena")
    snowflake = ddl_columns("snowflake")
    assert sorted(athena) == sorted(snowflake)
    for t, cols in snowflake.items():
        assert cols[0][0] == "snapshot_date" and cols[0][1] == "DATE"
        assert "METADATA$FILENAME" in cols[0][2]
        names = [n.strip('"').lower() for n, _, _ in cols[1:]]
        assert names == [n for n, _ in athena[t]], t
        for (n, ty, expr), (name, _) in zip(cols[1:], athena[t]):
            assert expr == f"value:{name}::{ty}", (t, n)


def test_every_view_restricts_the_partition_key():
    """The provided views read only the dates they need: each filters
    snapshot_date (pruned by partition projection on Athena, by the
    PARTITION BY column on Snowflake) rather than scanning the whole lake.
    account_data_dates reads only snapshot_manifests (one small JSON per
    date), all of it: an account's last good snapshot can be older than any
    window. The views reading data through it filter on its dates.
    simulation_breadth is a row-by-row projection of simulations (roles'
    rows), filtered by its readers."""
    for dialect in ["athena", "snowflake"]:
        for q in QUERIES:
            sql = query_sql(dialect, q)
            assert f"CREATE OR REPLACE VIEW {q} AS" in sql
            body = re.sub(r"--[^\n]*", "", sql)
            if q == "account_data_dates":
                read = set(re.findall(r"(?:FROM|JOIN) (\w+)", body)) - {"UNNEST", "entries", "sourced"}
                assert read == {"snapshot_manifests"}, (dialect, read)
                continue
            if q == "simulation_breadth":
                # A projection of every row; its readers filter the dates.
                read = set(re.findall(r"(?:FROM|JOIN) (\w+)", body))
                assert read == {"simulations", "normalized"}, (dialect, read)
                # Its one filter keeps roles' rows (users' carry principal_type user).
                roles_only = "WHERE coalesce(principal_type, 'role') = 'role'"
                assert body.count(roles_only) == 1, dialect
                body = body.replace(roles_only, "")
                assert "WHERE" not in body and "GROUP BY" not in body, dialect
                continue
            assert re.search(r"snapshot_date( AS date\))? (IN \(SELECT|>)", body), (dialect, q)


def test_warehouse_doc_names_every_query_and_table():
    doc = (REPO / "docs/WAREHOUSE.md").read_text()
    for q in QUERIES:
        assert f"{q}.sql" in doc, q
    for t in LAKE_TABLES + ["snapshot_manifests", "analyze_manifests"]:
        assert t in doc, t
