"""The Athena views (sql/athena/queries/) run by DuckDB over the lake, with
each Athena table emulated as a DuckDB view that reads the same files the
same way: snapshot_date a string from the folder name, as partition
projection gives it. Their results must equal what `analyze` wrote.

DuckDB and Athena (Trino) SQL differ in one construct these views use;
`athena_to_duckdb` translates it and docs/WAREHOUSE.md lists it."""
import re

import duckdb
import pytest

from test_sql_ddl import LAKE_TABLES, QUERIES, build_warehouse_lake, ddl_columns, query_sql


def athena_to_duckdb(sql: str) -> str:
    """The documented dialect differences, and nothing else:
    1. Trino's UNNEST of an array of rows expands the row's fields into
       columns named by the alias list (`AS a (f1, f2, ...)`); DuckDB's gives
       one struct column, so the alias list becomes a recursive unnest."""
    sql, n = re.subn(r"CROSS JOIN UNNEST\((\w+\.\w+)\) AS (\w+) \([\w, ]+\)",
                     r"CROSS JOIN (SELECT UNNEST(\1, recursive := true)) AS \2", sql)
    return sql


@pytest.fixture(scope="module")
def wh(iamlake_bin, default_lake, tmp_path_factory):
    return build_warehouse_lake(iamlake_bin, default_lake, tmp_path_factory.mktemp("athena"))


def athena_views(lake) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with every Athena table emulated over `lake` and
    every view of sql/athena/queries/ created (after the translation)."""
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    for t in LAKE_TABLES:
        c.execute(f"""CREATE VIEW {t} AS SELECT * FROM read_parquet('{lake}/{t}/*/*.parquet',
                      hive_partitioning = true, hive_types = {{'snapshot_date': VARCHAR}})""")
    for t, folder in [("snapshot_manifests", "_manifests"), ("analyze_manifests", "_manifests/analyze")]:
        # snapshot_date from the folder name, as the partition key; the copy
        # inside the JSON is not declared in the Athena table.
        c.execute(f"""CREATE VIEW {t} AS SELECT * EXCLUDE (snapshot_date, filename),
                      regexp_extract(filename, 'snapshot_date=([^/]+)/', 1) AS snapshot_date
                      FROM read_json('{lake}/{folder}/snapshot_date=*/manifest.json', filename = true)""")
    for q in QUERIES:
        c.execute(athena_to_duckdb(query_sql("athena", q)))
    return c


@pytest.fixture(scope="module")
def con(wh):
    return athena_views(wh["lake"])


def rows(con, sql):
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_only_documented_translations():
    changed = [q for q in QUERIES if athena_to_duckdb(query_sql("athena", q)) != query_sql("athena", q)]
    assert changed == ["account_data_dates"]


def test_unnest_aliases_name_the_struct_fields_in_order():
    """Trino names the fields of an unnested row by position, from the alias
    list; DuckDB (after the translation) by the names in the data. So the
    alias list must be the struct's fields in the order the DDL declares
    them, or Athena would read one field under another's name."""
    types = {name: ty for cols in ddl_columns("athena").values() for name, ty in cols}
    seen = 0
    for q in QUERIES:
        for col, aliases in re.findall(r"CROSS JOIN UNNEST\(\w+\.(\w+)\) AS \w+ \(([\w, ]+)\)", query_sql("athena", q)):
            fields = re.findall(r"(\w+):", types[col].removeprefix("array<struct<"))
            assert [a.strip() for a in aliases.split(",")] == fields, (q, col)
            seen += 1
    assert seen > 0


def test_risky_roles_trend_equals_daily_summary(con, wh):
    got = rows(con, "SELECT snapshot_date, action, allowed, conditionally_allowed, allowed_on_any_resource FROM risky_roles_trend")
    want = rows(con, """SELECT snapshot_date, r.action, r.allowed, r.conditionally_allowed, r.allowed_on_any_resource
                        FROM daily_summary, unnest(risky_by_action) AS u(r) WHERE scope = 'organization'""")
    assert len({d for d, *_ in got}) == len(wh["dates"])
    assert any(a > 0 for *_, a, _, _ in got) and any(c > 0 for *_, c, _ in got)
    # The bundled organization has account-wide grants: risky exceeds `*`.
    assert any(a > anyres for *_, a, _, anyres in got)
    assert got == want


def test_team_counts_equal_team_summary(con, wh):
    got = rows(con, "SELECT snapshot_date, owner_team, roles, risky_roles, risky_roles_on_any_resource, passrole_roles, unused_open FROM team_counts")
    want = rows(con, "SELECT snapshot_date, owner_team, roles, risky_roles, risky_roles_on_any_resource, passrole_roles, unused_open FROM team_summary")
    assert len(got) > 100
    assert got == want


def test_new_unused_permissions_on_the_latest_date(con, wh):
    latest = wh["latest"]
    got = rows(con, "SELECT snapshot_date, owner_team, account_id, role_name, permission, change FROM new_unused_permissions")
    assert {r[0] for r in got} == {latest}
    want = rows(con, f"""SELECT snapshot_date, owner_team, account_id, role_name, permission, change FROM unused_deltas
                         WHERE snapshot_date = '{latest}' AND change IN ('new', 'reappeared')""")
    assert got == want
    org = con.execute(f"SELECT unused_new FROM daily_summary WHERE scope = 'organization' AND snapshot_date = '{latest}'").fetchone()[0]
    assert len(got) == org
    per_team = rows(con, "SELECT owner_team, count(*) FROM new_unused_permissions GROUP BY ALL")
    assert per_team == rows(con, f"SELECT owner_team, unused_new FROM team_summary WHERE snapshot_date = '{latest}' AND unused_new > 0")


def test_review_progress_equals_team_summary(con, wh):
    cols = "snapshot_date, owner_team, unused_open, unused_kept, unused_to_delete, unused_done, review_progress"
    got = rows(con, f"SELECT {cols} FROM review_progress")
    want = rows(con, f"""SELECT {cols} FROM team_summary
                         WHERE unused_open + unused_kept + unused_to_delete + unused_done > 0""")
    assert got == want
    latest = [r for r in got if r[0] == wh["latest"]]
    assert sum(r[3] for r in latest) > 0 and sum(r[4] for r in latest) > 0, "the reviews must be exercised"


def test_failed_accounts_from_the_manifests(con, wh):
    got = rows(con, "SELECT snapshot_date, snapshot_status, account_id, account_name, reason FROM failed_accounts")
    assert got == wh["failed"]
