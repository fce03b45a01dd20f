"""Grant breadth (schema version 3) read back by independent readers, and
lakes written before it.

- pyarrow reads `simulations.breadth` / `breadth_decision` as the binary
  wrote them, and the bundled organization has account-wide grants that the
  decision on `*` does not count.
- A lake whose earlier dates are version 2 (no breadth columns: rewritten
  here the way that version wrote them) is still analyzed: those dates read
  as breadth `any` where the decision on `*` allows, and the
  simulation_breadth view (sql/*/queries) says the same in DuckDB.
"""
import json
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import run
from partial_lake import manifest_path
from test_sql_athena import athena_to_duckdb
from test_sql_ddl import query_sql


def sims(lake: Path, date: str):
    """Roles' decisions (users' rows say principal_type user)."""
    rows = pq.ParquetDataset(str(lake / "simulations" / f"snapshot_date={date}")).read().to_pylist()
    return [r for r in rows if r.get("principal_type") in (None, "role")]


def dates_of(lake: Path) -> list[str]:
    return sorted(p.name.split("=", 1)[1] for p in (lake / "_manifests").glob("snapshot_date=*"))


def test_breadth_columns_read_back_by_pyarrow(default_lake):
    last = dates_of(default_lake)[-1]
    rows = sims(default_lake, last)
    assert {r["breadth"] for r in rows} == {"any", "account", "pattern", "specific", None}
    for r in rows:
        allowed = r["breadth_decision"] in ("allowed", "conditionally_allowed")
        assert allowed == (r["breadth"] is not None), r
        if r["decision"] in ("allowed", "conditionally_allowed"):
            # Allowed on `*` is allowed at breadth any, with the same decision.
            assert (r["breadth"], r["breadth_decision"]) == ("any", r["decision"]), r
    # The bundled organization's account-wide grants: risky, not allowed on `*`.
    account_wide = [r for r in rows if r["breadth"] == "account" and r["breadth_decision"] == "allowed"]
    assert account_wide and all(r["decision"] == "implicit_deny" for r in account_wide)
    assert any(r["action"] == "iam:PassRole" for r in account_wide)


def _downgrade_to_v2(lake: Path, date: str) -> None:
    """Rewrites `date` as schema version 2 wrote it: no simulations.breadth /
    breadth_decision, no roles.scp_exempt; manifest sizes updated."""
    path = manifest_path(lake, date)
    manifest = json.loads(path.read_text())
    drop = {"simulations": ["breadth", "breadth_decision"], "roles": ["scp_exempt"]}
    for table, columns in drop.items():
        for file in manifest["tables"][table]["files"]:
            p = lake / file["path"]
            t = pq.read_table(p).drop_columns(columns)
            tmp = p.with_name(p.name + ".tmp")
            pq.write_table(t, tmp, compression="snappy")
            os.replace(tmp, p)
            file["bytes"] = p.stat().st_size
    manifest["schema_version"] = 2
    path.write_text(json.dumps(manifest, indent=2) + "\n")


@pytest.fixture(scope="module")
def mixed_lake(default_lake, iamlake_bin, tmp_path_factory):
    """The demo lake with its first two dates rewritten as version 2, the
    second analyzed again on top of the first."""
    lake = tmp_path_factory.mktemp("mixed") / "lake"
    shutil.copytree(default_lake, lake)
    first, second = dates_of(lake)[:2]
    for d in (first, second):
        _downgrade_to_v2(lake, d)
    shutil.rmtree(lake / "_manifests" / "analyze", ignore_errors=True)
    for table in ["daily_summary", "team_summary"]:
        shutil.rmtree(lake / table, ignore_errors=True)
    for d in (first, second):
        run(iamlake_bin, "analyze", "--quiet", "--lake", str(lake), "--date", d)
    return lake, second


def test_version_2_dates_read_as_breadth_any_where_star_allows(mixed_lake):
    lake, date = mixed_lake
    rows = sims(lake, date)
    assert "breadth" not in rows[0]
    on_star = {r["role_id"] for r in rows if r["decision"] == "allowed"}
    daily = pq.ParquetDataset(str(lake / "daily_summary" / f"snapshot_date={date}")).read().to_pylist()
    [org] = [r for r in daily if r["scope"] == "organization"]
    # Before version 3 the only question was `*`: both counts are that one.
    assert org["risky_roles"] == len(on_star) == org["risky_roles_on_any_resource"]
    for a in org["risky_by_action"]:
        n = sum(1 for r in rows if r["action"] == a["action"] and r["decision"] == "allowed")
        assert (a["allowed"], a["allowed_on_any_resource"]) == (n, n), a


def test_simulation_breadth_view_reads_every_version(mixed_lake):
    """The view over a lake whose dates have either layout (DuckDB's
    union_by_name gives the old files null breadth columns, as Athena and
    Snowflake external tables do)."""
    lake, old_date = mixed_lake
    new_date = dates_of(lake)[-1]
    con = duckdb.connect()
    con.execute(f"""CREATE VIEW simulations AS SELECT * FROM read_parquet('{lake}/simulations/*/*.parquet',
                    hive_partitioning = true, union_by_name = true)""")
    con.execute(athena_to_duckdb(query_sql("athena", "simulation_breadth")))
    got = con.execute(f"""SELECT breadth, breadth_decision, decision, account_or_wider FROM simulation_breadth
                          WHERE CAST(snapshot_date AS VARCHAR) = '{old_date}'""").fetchall()
    for breadth, breadth_decision, decision, wide in got:
        assert breadth_decision == decision
        assert breadth == ("any" if decision in ("allowed", "conditionally_allowed") else None)
        assert wide == (breadth == "any")
    new = con.execute(f"""SELECT count(*) FILTER (WHERE account_or_wider AND breadth_decision = 'allowed'),
                                 count(*) FILTER (WHERE decision = 'allowed')
                          FROM simulation_breadth WHERE CAST(snapshot_date AS VARCHAR) = '{new_date}'""").fetchone()
    assert new[0] > new[1]
