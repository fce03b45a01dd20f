"""The Athena views (sql/athena/queries/) run by DuckDB over the lake, with
each Athena table emulated as a DuckDB view that reads the same files the
same way: snapshot_date a string from the folder name, as partition
projection gives it. Their results must equal what `analyze` wrote.

DuckDB and Athena (Trino) SQL differ in one construct these views use;
`athena_to_duckdb` translates it and docs/WAREHOUSE.md lists it."""
import re

import duckdb
import pytest

from test_sql_ddl import FAILED_ACCOUNT as FAILED
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


ROLE_COUNTS = ("unused_roles_open, unused_roles_kept, unused_roles_to_delete, unused_roles_done, unused_roles_new, "
               "unused_roles_outside_org, unused_service_linked_roles")
FINDING_COUNTS = "access_key_unused, access_key_old, console_without_mfa, inactive_user"


def test_unused_roles_by_team_equals_team_summary(con, wh):
    got = rows(con, f"SELECT snapshot_date, owner_team, {ROLE_COUNTS} FROM unused_roles_by_team")
    want = rows(con, f"""SELECT snapshot_date, owner_team, {ROLE_COUNTS} FROM team_summary
                         WHERE greatest({ROLE_COUNTS}) > 0""")
    assert got == want
    # Every count exercised somewhere: the reviews of build_warehouse_lake
    # (keep, delete), the first date's new roles and its role trusted by an
    # account outside the organization. Not done: the delete review of the
    # deleted role is done, but review_status has no owner team for a role
    # that is gone, and analyze counts such a review in no team.
    exercised = [c for c in ROLE_COUNTS.split(", ") if c not in ("unused_roles_done", "unused_service_linked_roles")]
    for name in exercised:
        i = ROLE_COUNTS.split(", ").index(name)
        assert any(r[2 + i] > 0 for r in got), name
    done = con.execute(f"""SELECT owner_team FROM review_status
                           WHERE permission = 'role' AND status = 'done' AND snapshot_date = '{wh["latest"]}'""").fetchall()
    assert done == [(None,)]
    # The organization's unused roles are the team counts of roles still there.
    org = dict(con.execute("SELECT snapshot_date, unused_roles FROM daily_summary WHERE scope = 'organization'").fetchall())
    totals = {}
    for d, _, open_, kept, to_delete, *_ in got:
        totals[d] = totals.get(d, 0) + open_ + kept + to_delete
    assert totals == {d: n for d, n in org.items() if n > 0}


def test_credential_findings_by_account_equal_the_findings(con, wh):
    got = rows(con, f"SELECT snapshot_date, account_id, account_status, has_report, users, {FINDING_COUNTS} FROM credential_findings_by_account")
    # One row per account of daily_summary on every analyzed date.
    accounts = rows(con, "SELECT snapshot_date, account_id, account_status FROM daily_summary WHERE scope = 'account'")
    assert [r[:3] for r in got] == accounts
    # The counts: credential_findings' rows per account and kind.
    found = {(d, a): c for d, a, *c in con.execute(f"""
        SELECT snapshot_date, account_id, {", ".join(f"count(*) FILTER (WHERE finding = '{k}')" for k in FINDING_COUNTS.split(", "))}
        FROM credential_findings GROUP BY ALL""").fetchall()}
    for d, a, status, has_report, users, *counts in got:
        assert has_report, (d, a)  # the fixtures have a report for every account
        assert counts == found.get((d, a), [0, 0, 0, 0]), (d, a)
    # The failed account of the partial day is judged on its carried report.
    failed_date = wh["failed"][0][0]
    carried = [r for r in got if r[0] == failed_date and r[1] == wh["failed"][0][2]]
    assert [r[2] for r in carried] == ["carried"]
    assert carried[0][5:] == tuple(found[(failed_date, wh["failed"][0][2])])
    # Users and two findings recomputed from the credential reports themselves.
    latest = wh["latest"]
    raw = {a: (users, mfa, old) for a, users, mfa, old in con.execute(f"""
        SELECT account_id,
               count(*) FILTER (WHERE NOT is_root),
               count(*) FILTER (WHERE (is_root OR password_enabled) AND NOT mfa_active),
               count(*) FILTER (WHERE access_key_1_active AND access_key_1_last_rotated < TIMESTAMPTZ '{latest}' - INTERVAL 90 DAY)
             + count(*) FILTER (WHERE access_key_2_active AND access_key_2_last_rotated < TIMESTAMPTZ '{latest}' - INTERVAL 90 DAY)
        FROM credentials WHERE snapshot_date = '{latest}' GROUP BY ALL""").fetchall()}
    view = {a: (users, mfa, old) for d, a, _, _, users, _, old, mfa, _ in got if d == latest}
    assert view == raw
    assert all(mfa > 0 and old > 0 for _, mfa, old in raw.values())


def test_credential_findings_by_account_without_a_report_is_unknown(wh, tmp_path):
    """An account whose snapshot has no credential report (collected without
    one, or before the table existed) has has_report false and null counts,
    not zeros."""
    import shutil

    lake = tmp_path / "lake"
    shutil.copytree(wh["lake"], lake)
    latest = wh["latest"]
    part = lake / "credentials" / f"snapshot_date={latest}"
    c = duckdb.connect()
    [file] = part.glob("part-*.parquet")
    c.execute(f"""COPY (SELECT * FROM read_parquet('{file}') WHERE account_id <> '{FAILED}')
                  TO '{file}.new' (FORMAT parquet)""")
    file.unlink()
    (part / f"{file.name}.new").rename(file)
    con = athena_views(lake)
    got = rows(con, f"""SELECT account_id, has_report, users, users_with_findings, {FINDING_COUNTS}
                        FROM credential_findings_by_account WHERE snapshot_date = '{latest}'""")
    assert [r for r in got if r[0] == FAILED] == [(FAILED, False, None, None, None, None, None, None)]
    assert all(r[1] and r[2] > 0 for r in got if r[0] != FAILED)
