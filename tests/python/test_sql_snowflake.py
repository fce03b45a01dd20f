"""The Snowflake DDL expressions and views (sql/snowflake/) run by fakesnow
(Snowflake SQL translated onto DuckDB) over the lake. Their results must
equal what `analyze` wrote.

fakesnow cannot create stages over S3 or external tables, so each external
table is emulated from the generated DDL itself:

- `<table>_files (value VARIANT, filename VARCHAR)`: every data file loaded
  with `COPY INTO ... FROM 'file://<lake>/<table>/snapshot_date=D'
  FILE_FORMAT = (TYPE = PARQUET)` (JSON for the manifests), one row per
  record in the single VARIANT column, as an external table's VALUE; the
  file's path is kept next to it because fakesnow has no METADATA$FILENAME.
- `<table>`: a view selecting exactly the column expressions of
  sql/snowflake/tables.sql (`value:col::TYPE`, and the snapshot_date
  expression over the path), with METADATA$FILENAME replaced by that column.

The views then run unchanged (docs/WAREHOUSE.md, "Testing")."""
import re
import warnings

import pytest

from test_sql_ddl import LAKE_TABLES, QUERIES, build_warehouse_lake, ddl_columns, query_sql

fakesnow = pytest.importorskip("fakesnow")
snowflake_connector = pytest.importorskip("snowflake.connector")

FOLDERS = {t: t for t in LAKE_TABLES} | {"snapshot_manifests": "_manifests", "analyze_manifests": "_manifests/analyze"}


@pytest.fixture(scope="module")
def wh(iamlake_bin, default_lake, tmp_path_factory):
    return build_warehouse_lake(iamlake_bin, default_lake, tmp_path_factory.mktemp("snowflake"))


def load_snowflake(c, lake) -> None:
    """Emulates every external table of sql/snowflake/tables.sql over `lake`
    on the fakesnow cursor `c`, then creates every view of
    sql/snowflake/queries/."""
    for table, cols in ddl_columns("snowflake").items():
        folder = lake / FOLDERS[table]
        json = table.endswith("_manifests")
        c.execute(f"CREATE TABLE {table}_load (value VARIANT)")
        c.execute(f"CREATE TABLE {table}_files (value VARIANT, filename VARCHAR)")
        for d in sorted(folder.glob("snapshot_date=*")):
            file = next(d.glob("manifest.json" if json else "part-*.parquet"))
            rel = str(file.relative_to(lake))
            if json:
                # fakesnow's JSON COPY expands top-level keys into columns
                # instead of one VARIANT: parse the document instead.
                c.execute(f"INSERT INTO {table}_files SELECT PARSE_JSON(%s), %s", (file.read_text(), rel))
                continue
            c.execute(f"COPY INTO {table}_load FROM 'file://{d}' FILE_FORMAT = (TYPE = PARQUET)")
            c.execute(f"INSERT INTO {table}_files SELECT value, '{rel}' FROM {table}_load")
            c.execute(f"DELETE FROM {table}_load")
        select = ",\n    ".join(f"{expr.replace('METADATA$FILENAME', 'filename')} AS {name}" for name, _, expr in cols)
        c.execute(f"CREATE VIEW {table} AS SELECT\n    {select}\nFROM {table}_files")
    for q in QUERIES:
        c.execute(query_sql("snowflake", q))


@pytest.fixture(scope="module")
def cur(wh):
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    with fakesnow.patch():
        conn = snowflake_connector.connect(database="iamlake", schema="public")
        c = conn.cursor()
        load_snowflake(c, wh["lake"])
        yield c
        conn.close()


def rows(cur, sql):
    return sorted((tuple(r) for r in cur.execute(sql).fetchall()), key=repr)


def test_external_table_columns_read_the_files(cur, wh):
    """The generated expressions give back every scalar value of the files,
    with its type: text, NUMBER, FLOAT, DATE, TIMESTAMP_TZ (same instant)."""
    import datetime

    import duckdb
    latest = wh["latest"]
    scalar = {"roles": "account_id, role_id, create_date, max_session_duration, owner_team, last_used_at",
              "unused_permissions": "role_id, permission, last_used_at, days_unused, first_seen, alerted_on, review_status",
              "team_summary": "owner_team, roles, review_progress",
              "simulations": "role_id, action, decision, decided_by"}
    dc = duckdb.connect()
    dc.execute("SET TimeZone = 'UTC'")
    for table, cols in scalar.items():
        got = rows(cur, f"SELECT {cols}, snapshot_date FROM {table} WHERE snapshot_date = '{latest}'")
        want = rows(dc, f"""SELECT {cols}, DATE '{latest}' FROM read_parquet('{wh["lake"]}/{table}/snapshot_date={latest}/*.parquet',
                            hive_partitioning = false)""")
        assert len(got) > 0 and got == want, table
    ts = cur.execute("SELECT create_date FROM roles LIMIT 1").fetchone()[0]
    assert isinstance(ts, datetime.datetime) and ts.utcoffset() == datetime.timedelta(0)


def test_risky_roles_trend_equals_daily_summary(cur, wh):
    got = rows(cur, "SELECT snapshot_date, action, allowed, conditionally_allowed, allowed_on_any_resource FROM risky_roles_trend")
    want = rows(cur, """SELECT d.snapshot_date, r.value:action::VARCHAR, r.value:allowed::NUMBER, r.value:conditionally_allowed::NUMBER,
                               r.value:allowed_on_any_resource::NUMBER
                        FROM daily_summary d, LATERAL FLATTEN(input => d.risky_by_action) r WHERE d.scope = 'organization'""")
    assert len({r[0] for r in got}) == len(wh["dates"])
    assert got == want


def test_team_counts_equal_team_summary(cur):
    got = rows(cur, "SELECT snapshot_date, owner_team, roles, risky_roles, risky_roles_on_any_resource, passrole_roles, unused_open FROM team_counts")
    want = rows(cur, "SELECT snapshot_date, owner_team, roles, risky_roles, risky_roles_on_any_resource, passrole_roles, unused_open FROM team_summary")
    assert len(got) > 100
    assert got == want


def test_new_unused_permissions_on_the_latest_date(cur, wh):
    latest = wh["latest"]
    got = rows(cur, "SELECT snapshot_date, owner_team, account_id, role_name, permission, change FROM new_unused_permissions")
    want = rows(cur, f"""SELECT snapshot_date, owner_team, account_id, role_name, permission, change FROM unused_deltas
                         WHERE snapshot_date = '{latest}' AND change IN ('new', 'reappeared')""")
    assert got and got == want
    org = cur.execute(f"SELECT unused_new FROM daily_summary WHERE scope = 'organization' AND snapshot_date = '{latest}'").fetchone()[0]
    assert len(got) == org


def test_review_progress_equals_team_summary(cur, wh):
    cols = "snapshot_date, owner_team, unused_open, unused_kept, unused_to_delete, unused_done, review_progress"
    got = rows(cur, f"SELECT {cols} FROM review_progress")
    want = rows(cur, f"""SELECT {cols} FROM team_summary
                         WHERE unused_open + unused_kept + unused_to_delete + unused_done > 0""")
    assert got == want
    assert any(r[3] > 0 for r in got) and any(r[4] > 0 for r in got)


def test_failed_accounts_from_the_manifests(cur, wh):
    got = rows(cur, "SELECT snapshot_date, snapshot_status, account_id, account_name, reason FROM failed_accounts")
    assert [(str(d), *rest) for d, *rest in got] == wh["failed"]


ROLE_COUNTS = ("unused_roles_open, unused_roles_kept, unused_roles_to_delete, unused_roles_done, unused_roles_new, "
               "unused_roles_outside_org, unused_service_linked_roles")
FINDINGS = ["access_key_unused", "access_key_old", "console_without_mfa", "inactive_user"]


def test_unused_roles_by_team_equals_team_summary(cur):
    got = rows(cur, f"SELECT snapshot_date, owner_team, {ROLE_COUNTS} FROM unused_roles_by_team")
    want = rows(cur, f"""SELECT snapshot_date, owner_team, {ROLE_COUNTS} FROM team_summary
                         WHERE GREATEST({ROLE_COUNTS}) > 0""")
    assert got == want
    # open, kept, to delete, new and outside the organization all occur.
    for i in (2, 3, 4, 6, 7):
        assert any(r[i] > 0 for r in got), ROLE_COUNTS.split(", ")[i - 2]


def test_credential_findings_by_account_equal_the_findings(cur, wh):
    got = rows(cur, f"""SELECT snapshot_date, account_id, account_status, has_report, users, {", ".join(FINDINGS)}
                        FROM credential_findings_by_account""")
    accounts = rows(cur, "SELECT snapshot_date, account_id, account_status FROM daily_summary WHERE scope = 'account'")
    assert [r[:3] for r in got] == accounts
    found = {}
    for d, a, f in cur.execute("SELECT snapshot_date, account_id, finding FROM credential_findings").fetchall():
        counts = found.setdefault((d, a), [0, 0, 0, 0])
        counts[FINDINGS.index(f)] += 1
    assert found
    for d, a, status, has_report, users, *counts in got:
        assert has_report and users > 0, (d, a)
        assert counts == found.get((d, a), [0, 0, 0, 0]), (d, a)
    failed_date, _, failed_account, *_ = wh["failed"][0]
    assert [r[2] for r in got if str(r[0]) == failed_date and r[1] == failed_account] == ["carried"]
