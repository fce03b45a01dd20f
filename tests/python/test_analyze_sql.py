"""Every analyze output table, cross-checked against the same rules written
independently in SQL (analyze_reference.sql) and run by DuckDB on the same
lake: the bundled 30-day series, analyzed day by day by `iamlake demo`."""
import json
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def con(default_lake):
    days = json.loads((REPO / "fixtures/default/fixture.json").read_text())["days"]
    complete = [d for d in days if (default_lake / "_manifests" / f"snapshot_date={d}" / "manifest.json").exists()]
    assert complete == days
    sql = (HERE / "analyze_reference.sql").read_text()
    sql = (sql.replace("{lake}", str(default_lake)).replace("{unused_days}", "90").replace("{key_max_age_days}", "90")
              .replace("{dates}", ", ".join(f"DATE '{d}'" for d in complete)))
    c = duckdb.connect()
    c.execute(sql)
    for t in ["unused_permissions", "unused_roles", "credential_findings", "unused_deltas", "team_summary", "daily_summary", "passrole_grants",
              "alert_ledger"]:
        c.execute(f"""CREATE VIEW out_{t} AS SELECT * FROM read_parquet('{default_lake}/{t}/*/*.parquet',
                      hive_partitioning = true, hive_types = {{'snapshot_date': DATE}})""")
    return c


def rows(con, sql):
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_unused_permissions_match_sql(con):
    want = rows(con, "SELECT snapshot_date, role_id, permission, granularity, last_used_at, days_unused FROM unused")
    got = rows(con, "SELECT snapshot_date, role_id, permission, granularity, last_used_at, days_unused FROM out_unused_permissions")
    assert len(want) > 100, "the fixture series must exercise the rule"
    assert got == want
    # Owners without an owners file: the tag owner, else unowned; all open.
    bad = con.execute("""SELECT count(*) FROM out_unused_permissions u JOIN owned o USING (snapshot_date, role_id)
                         WHERE u.owner_team <> o.owner_team OR u.review_status <> 'open'""").fetchone()[0]
    assert bad == 0


def test_unused_deltas_match_sql(con):
    want = rows(con, "SELECT snapshot_date, role_id, permission, change, resolution FROM deltas")
    got = rows(con, "SELECT snapshot_date, role_id, permission, change, resolution FROM out_unused_deltas")
    assert got == want
    changes = {c for (_, _, _, c, _) in want}
    assert {"new", "resolved"} <= changes, changes
    role_changes = {(c, r) for (_, _, p, c, r) in want if p == "role"}
    assert {("new", None), ("resolved", "used"), ("resolved", "role_deleted")} <= role_changes, role_changes


def test_unused_roles_match_sql(con):
    cols = "snapshot_date, role_id, service_linked, last_used_at, days_unused"
    want = rows(con, f"SELECT {cols} FROM unused_roles")
    got = rows(con, f"SELECT {cols} FROM out_unused_roles")
    assert len(want) > 100, "the fixture series must exercise the rule"
    assert got == want
    want = rows(con, "SELECT snapshot_date, role_id, trusted_accounts, external_accounts FROM unused_roles_trust")
    got = rows(con, """SELECT snapshot_date, role_id, trusted_accounts, external_accounts FROM out_unused_roles""")
    assert got == want
    # trusts_outside_org is external_accounts not empty; the series has one.
    bad = con.execute("""SELECT count(*) FROM out_unused_roles
                         WHERE trusts_outside_org <> (len(external_accounts) > 0)""").fetchone()[0]
    assert bad == 0
    assert con.execute("SELECT count(*) FROM out_unused_roles WHERE trusts_outside_org").fetchone()[0] > 0
    # Without reviews every role is open; first_seen from the ledger.
    bad = con.execute("""SELECT count(*) FROM out_unused_roles u JOIN owned o USING (snapshot_date, role_id)
                         WHERE u.owner_team <> o.owner_team OR u.review_status <> 'open'""").fetchone()[0]
    assert bad == 0


def test_unused_role_counts_match_sql(con):
    cols = "snapshot_date, unused_roles, unused_service_linked_roles, unused_roles_new, unused_roles_resolved"
    want = rows(con, f"SELECT {cols} FROM daily_roles")
    got = rows(con, f"SELECT {cols} FROM out_daily_summary WHERE scope = 'organization'")
    assert got == want
    want = rows(con, "SELECT snapshot_date, owner_team, unused_roles_open, unused_service_linked_roles FROM teams_roles")
    got = rows(con, "SELECT snapshot_date, owner_team, unused_roles_open, unused_service_linked_roles FROM out_team_summary")
    assert got == want


def test_passrole_grants_match_sql(con):
    assert rows(con, "SELECT snapshot_date, role_id FROM passrole") == rows(
        con, "SELECT snapshot_date, role_id FROM out_passrole_grants")


def test_daily_summary_matches_sql(con):
    want = rows(con, """SELECT snapshot_date, roles, risky_roles, risky_roles_on_any_resource, unused_permissions, unused_new, unused_resolved, unowned_roles,
                               risky_users FROM daily""")
    got = rows(con, """SELECT snapshot_date, roles, risky_roles, risky_roles_on_any_resource, unused_permissions, unused_new, unused_resolved, unowned_roles,
                              risky_users FROM out_daily_summary WHERE scope = 'organization'""")
    assert got == want
    assert all(r[-1] > 0 for r in want), "the demo's users include risky ones: this check would prove nothing"
    # Per-account rows add up to the organization row.
    mismatch = con.execute("""SELECT count(*) FROM (
        SELECT snapshot_date, sum(roles) FILTER (WHERE scope = 'account') AS a, max(roles) FILTER (WHERE scope = 'organization') AS o
        FROM out_daily_summary GROUP BY ALL) WHERE a <> o""").fetchone()[0]
    assert mismatch == 0


def test_team_summary_matches_sql(con):
    want = rows(con, "SELECT snapshot_date, owner_team, roles, risky_roles, risky_roles_on_any_resource, passrole_roles, unused_open FROM teams")
    got = rows(con, "SELECT snapshot_date, owner_team, roles, risky_roles, risky_roles_on_any_resource, passrole_roles, unused_open FROM out_team_summary")
    assert got == want


def test_alert_ledger_matches_sql(con):
    want = rows(con, "SELECT snapshot_date, role_id, kind, item, first_seen, last_seen FROM ledger")
    got = rows(con, "SELECT snapshot_date, role_id, kind, item, first_seen, last_seen FROM out_alert_ledger")
    assert len(want) > 1000
    assert got == want
    # demo delivers no alerts, so nothing is marked alerted.
    assert con.execute("SELECT count(*) FROM out_alert_ledger WHERE alerted_on IS NOT NULL").fetchone()[0] == 0


def test_credential_findings_match_sql(con):
    cols = "snapshot_date, account_id, \"user\", finding, access_key, days, owner_team, owner_source"
    want = rows(con, f"SELECT {cols} FROM credential_findings")
    got = rows(con, f"SELECT {cols} FROM out_credential_findings")
    assert got == want
    # The generated users carry team tags, the stale CI key does not.
    assert {s for (*_, s) in want} == {"tag", "unowned"}
    kinds = {f for (_, _, _, f, _, _, _, _) in want}
    assert kinds == {"access_key_unused", "access_key_old", "console_without_mfa", "inactive_user"}, kinds
    # Every line of every generated report is in the lake, root included.
    assert con.execute("SELECT count(DISTINCT account_id) FROM creds WHERE is_root").fetchone()[0] == 3
