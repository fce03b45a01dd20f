"""Partial days (issue #12), cross-checked in SQL: an account that failed on a
date is counted from its last good snapshot, by `analyze` and by the
warehouse views alike, so leadership's trend does not dip.

Three consecutive days of the bundled organization are snapshotted by the
binary; then one account is removed from one day exactly as a live run
whose sts:AssumeRole into it is denied leaves it (partial_lake.py), and
`analyze` runs on the three days in order. Two scenarios:

- carried: the account fails on the middle day; its last good snapshot is
  the first day, so every number for it on the middle day comes from the
  first day's rows;
- no_data: the account fails on the first day, with nothing earlier to
  carry: it is counted nowhere that day, and nothing fails.

The rule, written here once in Python (`expected_sources`), is checked
against analyze's own outputs (daily_summary, team_summary,
unused_permissions, unused_deltas) and against the views of both dialects:
the Athena views run by DuckDB (test_sql_athena.py) and the Snowflake views
by fakesnow (test_sql_snowflake.py), over the same lake. Expected counts come
from the snapshots as the binary wrote them, before the account was removed."""
import datetime
import decimal
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, run
from partial_lake import fail_account, manifest_path

DAYS = ["2026-10-02", "2026-10-03", "2026-10-04"]
FAILED = "770696721453"
SCENARIOS = {"carried": DAYS[1], "no_data": DAYS[0]}

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result")


def norm(value):
    """One spelling for both engines: dates as YYYY-MM-DD text (Athena's
    partition key is a string, Snowflake's a DATE), whole numbers as int."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def rows(engine, sql):
    return sorted((tuple(norm(v) for v in r) for r in engine.execute(sql).fetchall()), key=repr)


def parquet(lake, table):
    return (f"read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true, "
            f"hive_types = {{'snapshot_date': VARCHAR}})")


def expected_sources(lake) -> list[tuple]:
    """The rule, from the manifests alone: per snapshot date and account of
    its manifest, (date, account, name, ou_path, status, data_date, reason).
    ok: data_date is the date; failed: the latest earlier date whose manifest
    lists the account ok (carried), else none (no_data)."""
    out, last_ok = [], {}
    for path in sorted((lake / "_manifests").glob("snapshot_date=*/manifest.json")):
        date = path.parent.name.split("=", 1)[1]
        for a in json.loads(path.read_text())["accounts"]:
            acct = a["account_id"]
            if a["status"] == "ok":
                out.append((date, acct, a["account_name"], a.get("ou_path"), "ok", date, None))
                last_ok[acct] = date
            else:
                prev = last_ok.get(acct)
                out.append((date, acct, a["account_name"], a.get("ou_path"),
                            "carried" if prev else "no_data", prev, a["reason"]))
    return sorted(out, key=repr)


@pytest.fixture(scope="module")
def snapshots(iamlake_bin, tmp_path_factory) -> Path:
    """The three days as the binary writes them (all accounts collected)."""
    lake = tmp_path_factory.mktemp("partial-snapshots") / "lake"
    for d in DAYS:
        run(iamlake_bin, "snapshot", "--quiet", "--source", f"fixtures:{REPO / 'fixtures/default'}",
            "--lake", str(lake), "--date", d)
    return lake


@pytest.fixture(scope="module", params=list(SCENARIOS))
def scenario(request, iamlake_bin, snapshots, tmp_path_factory) -> dict:
    name, failed_on = request.param, SCENARIOS[request.param]
    lake = tmp_path_factory.mktemp(f"partial-{name}") / "lake"
    shutil.copytree(snapshots, lake)
    before = fail_account(lake, failed_on, FAILED)
    # The rewritten files still follow the lake's conventions.
    run(iamlake_bin, "lint", "--lake", str(lake))
    for d in DAYS:
        run(iamlake_bin, "analyze", "--quiet", "--lake", str(lake), "--date", d)
    sources = expected_sources(lake)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # The counts a complete lake gives per (date, account), from the
    # snapshots before the account was removed; `src` maps each reported
    # date and account to the date its rows come from.
    con.execute("CREATE TABLE src (snapshot_date VARCHAR, account_id VARCHAR, account_status VARCHAR, data_date VARCHAR)")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", [(d, a, s, dd) for d, a, _, _, s, dd, _ in sources])
    # Roles' decisions only: users' (principal_type user) are counted nowhere here.
    roles_only = {"simulations": " WHERE coalesce(principal_type, 'role') = 'role'"}
    for t in ["roles", "simulations"]:
        con.execute(f"CREATE VIEW orig_{t} AS SELECT * FROM {parquet(snapshots, t)}{roles_only.get(t, '')}")
    for t in ["roles", "simulations", "unused_permissions", "unused_roles", "credential_findings", "unused_deltas", "team_summary", "daily_summary",
              "passrole_grants"]:
        con.execute(f"CREATE VIEW out_{t} AS SELECT * FROM {parquet(lake, t)}{roles_only.get(t, '')}")
    return {"name": name, "lake": lake, "failed_on": failed_on, "before": before, "sources": sources, "con": con}


@pytest.fixture(scope="module")
def fakesnow_patch():
    fakesnow = pytest.importorskip("fakesnow")
    pytest.importorskip("snowflake.connector")
    with fakesnow.patch():
        yield


@pytest.fixture(scope="module", params=["athena", "snowflake"])
def views(request, scenario):
    """The scenario's lake with one dialect's views over it."""
    if request.param == "athena":
        from test_sql_athena import athena_views
        con = athena_views(scenario["lake"])
        yield con
        con.close()
        return
    request.getfixturevalue("fakesnow_patch")
    import snowflake.connector
    from test_sql_snowflake import load_snowflake
    conn = snowflake.connector.connect(database=f"partial_{scenario['name']}", schema="public")
    cur = conn.cursor()
    load_snowflake(cur, scenario["lake"])
    yield cur
    conn.close()


# --- The rule, as analyze applies it ------------------------------------------


def test_the_scenario_is_the_one_described(scenario, snapshots):
    """The failed account exists, has risky roles and roles on every day,
    and none of its first day's roles is deleted by the third: so no
    role_deleted delta of it is legitimate, and a dip would show."""
    con = scenario["con"]
    counts = dict(con.execute(f"""SELECT snapshot_date, count(*) FROM orig_roles WHERE account_id = '{FAILED}'
                                  GROUP BY ALL""").fetchall())
    assert sorted(counts) == DAYS and min(counts.values()) > 0
    assert counts[DAYS[0]] != counts[DAYS[1]], "the carried day must differ from the day it replaces"
    gone = con.execute(f"""SELECT count(*) FROM orig_roles a WHERE a.account_id = '{FAILED}' AND a.snapshot_date = '{DAYS[0]}'
                           AND a.role_id NOT IN (SELECT role_id FROM orig_roles WHERE snapshot_date = '{DAYS[2]}')""").fetchone()[0]
    assert gone == 0
    risky = con.execute(f"""SELECT count(*) FROM orig_simulations WHERE account_id = '{FAILED}'
                            AND decision = 'allowed' AND snapshot_date = '{DAYS[0]}'""").fetchone()[0]
    assert risky > 0
    manifest = json.loads(manifest_path(scenario["lake"], scenario["failed_on"]).read_text())
    assert manifest["status"] == "partial"
    assert scenario["before"]["account_name"], "failed entries keep the account's name"
    # Nothing of the account is left on the failed day.
    for t in ["roles", "simulations"]:
        left = con.execute(f"""SELECT count(*) FROM out_{t} WHERE account_id = '{FAILED}'
                               AND snapshot_date = '{scenario['failed_on']}'""").fetchone()[0]
        assert left == 0, t


def test_the_rule_on_the_failed_day(scenario):
    [row] = [r for r in scenario["sources"] if r[0] == scenario["failed_on"] and r[1] == FAILED]
    if scenario["name"] == "carried":
        assert row[4:6] == ("carried", DAYS[0])
    else:
        assert row[4:6] == ("no_data", None)
    assert row[2] == scenario["before"]["account_name"] and row[6].startswith("sts:AssumeRole: AccessDenied")
    assert sum(r[4] == "ok" for r in scenario["sources"]) == 3 * len(DAYS) - 1


def test_daily_summary_account_rows_follow_the_rule(scenario):
    got = rows(scenario["con"], """SELECT snapshot_date, account_id, account_name, ou_path, account_status, data_date,
                                          failure_reason
                                   FROM out_daily_summary WHERE scope = 'account'""")
    assert got == scenario["sources"]
    assert rows(scenario["con"], """SELECT account_status, data_date FROM out_daily_summary
                                    WHERE scope = 'organization' AND (account_status IS NOT NULL OR data_date IS NOT NULL)""") == []


def test_daily_summary_counts_carried_accounts_and_roles(scenario):
    """Organization and account rows count the failed account from its data
    date: roles as on that date, all of them with carried Access Advisor
    data (the fixtures' jobs all succeed), none unknown."""
    con = scenario["con"]
    want = rows(con, """
        SELECT s.snapshot_date, count(r.role_id),
               count(DISTINCT s.account_id) FILTER (WHERE s.account_status = 'carried'),
               count(r.role_id) FILTER (WHERE s.account_status = 'carried')
        FROM src s LEFT JOIN orig_roles r ON r.snapshot_date = s.data_date AND r.account_id = s.account_id
        GROUP BY ALL""")
    got = rows(con, """SELECT snapshot_date, roles, accounts_carried, roles_access_carried FROM out_daily_summary
                       WHERE scope = 'organization'""")
    assert got == want
    no_data = rows(con, "SELECT snapshot_date, count(*) FROM src WHERE account_status = 'no_data' GROUP BY ALL")
    got = rows(con, """SELECT snapshot_date, accounts_without_data FROM out_daily_summary
                       WHERE scope = 'organization' AND accounts_without_data > 0""")
    assert got == no_data and len(no_data) == (scenario["name"] == "no_data")
    assert con.execute("SELECT sum(roles_access_unknown) FROM out_daily_summary").fetchone()[0] == 0
    failed_row = rows(con, f"""SELECT roles, accounts_carried, accounts_without_data, roles_access_carried
                               FROM out_daily_summary WHERE scope = 'account' AND account_id = '{FAILED}'
                               AND snapshot_date = '{scenario['failed_on']}'""")
    first_day_roles = con.execute(f"""SELECT count(*) FROM orig_roles WHERE account_id = '{FAILED}'
                                      AND snapshot_date = '{DAYS[0]}'""").fetchone()[0]
    if scenario["name"] == "carried":
        assert failed_row == [(first_day_roles, 1, 0, first_day_roles)]
    else:
        assert failed_row == [(0, 0, 1, 0)]


def test_roles_last_accessed_status(scenario):
    """Every fixture role's Access Advisor job succeeds."""
    assert rows(scenario["con"], "SELECT DISTINCT last_accessed_status FROM out_roles") == [("ok",)]


def test_unused_permissions_of_a_carried_account_are_its_last_good_days(scenario):
    con = scenario["con"]
    got = rows(con, """SELECT u.snapshot_date, u.account_id, u.data_date FROM out_unused_permissions u
                       GROUP BY ALL""")
    want = rows(con, """SELECT s.snapshot_date, s.account_id, s.data_date FROM src s
                        WHERE s.data_date IS NOT NULL
                          AND EXISTS (SELECT 1 FROM out_unused_permissions u
                                      WHERE u.snapshot_date = s.snapshot_date AND u.account_id = s.account_id)""")
    assert got == want
    assert {a for _, a, _ in got} == {a for _, a, *_ in scenario["sources"]}
    if scenario["name"] == "carried":
        same = [rows(con, f"""SELECT role_id, permission, granularity, last_used_at, days_unused FROM out_unused_permissions
                              WHERE account_id = '{FAILED}' AND snapshot_date = '{d}'""") for d in DAYS[:2]]
        assert same[0] and same[0] == same[1]
    else:
        assert rows(con, f"""SELECT * FROM out_unused_permissions WHERE account_id = '{FAILED}'
                             AND snapshot_date = '{DAYS[0]}'""") == []


def test_unused_roles_of_a_carried_account_are_its_last_good_days(scenario):
    """A carried account's unused roles are those of its last good day, as of
    that day (same days_unused, data_date that day); a day without data has
    none of them, and they come back as new only on the first good day."""
    con = scenario["con"]
    per_day = [rows(con, f"""SELECT role_id, last_used_at, days_unused, data_date FROM out_unused_roles
                             WHERE account_id = '{FAILED}' AND snapshot_date = '{d}'""") for d in DAYS[:2]]
    if scenario["name"] == "carried":
        assert per_day[0] and per_day[0] == per_day[1]
        assert {str(dd) for *_, dd in per_day[1]} == {DAYS[0]}
    else:
        assert per_day[0] == [] and per_day[1]


def test_credential_findings_of_a_carried_account_are_its_last_good_report(scenario):
    """A carried account's credential findings are those of its last good
    report, as of that date; without one, it has none (unknown, not clean)."""
    con = scenario["con"]
    per_day = [rows(con, f"""SELECT "user", finding, access_key, last_used_at, days, data_date FROM out_credential_findings
                             WHERE account_id = '{FAILED}' AND snapshot_date = '{d}'""") for d in DAYS[:2]]
    if scenario["name"] == "carried":
        assert per_day[0] and per_day[0] == per_day[1]
        assert {str(r[-1]) for r in per_day[1]} == {DAYS[0]}
    else:
        assert per_day[0] == [] and per_day[1]
        assert {str(r[-1]) for r in per_day[1]} == {DAYS[1]}


def test_team_summary_roles_carried(scenario):
    con = scenario["con"]
    want = rows(con, """SELECT s.snapshot_date, count(*) FROM src s
                        JOIN orig_roles r ON r.snapshot_date = s.data_date AND r.account_id = s.account_id
                        WHERE s.account_status = 'carried' GROUP BY ALL""")
    got = rows(con, "SELECT snapshot_date, sum(roles_carried) FROM out_team_summary GROUP BY ALL HAVING sum(roles_carried) > 0")
    assert got == want and len(got) == (scenario["name"] == "carried")


def test_no_spurious_deltas_for_the_failed_account(scenario):
    """A carried day is the account unchanged: no delta of it that day, and
    on the next day no role_deleted and no reappeared (its roles never went
    away). With no earlier data, its first good day finds only new items."""
    con = scenario["con"]
    deltas = rows(con, f"""SELECT snapshot_date, change, resolution, previous_snapshot_date FROM out_unused_deltas
                           WHERE account_id = '{FAILED}' AND snapshot_date IN ('{DAYS[1]}', '{DAYS[2]}')""")
    assert not [d for d in deltas if d[1] == "reappeared" or d[2] == "role_deleted"], deltas
    if scenario["name"] == "carried":
        assert not [d for d in deltas if d[0] == DAYS[1]], deltas
    else:
        assert {d[1] for d in deltas if d[0] == DAYS[1]} <= {"new"}, deltas
        # Every unused permission, and every unused role (service-linked
        # apart), of the account is new on its first good day.
        new = con.execute(f"""SELECT (SELECT count(*) FROM out_unused_permissions WHERE account_id = '{FAILED}'
                                      AND snapshot_date = '{DAYS[1]}')
                                   + (SELECT count(*) FROM out_unused_roles WHERE account_id = '{FAILED}'
                                      AND snapshot_date = '{DAYS[1]}' AND NOT service_linked)""").fetchone()[0]
        assert len([d for d in deltas if d[0] == DAYS[1]]) == new > 0


# --- The views, in both dialects -----------------------------------------------


def test_account_data_dates(views, scenario):
    got = rows(views, """SELECT snapshot_date, account_id, account_name, ou_path, account_status, data_date, failure_reason
                         FROM account_data_dates""")
    assert got == scenario["sources"]


# Risky at account breadth or wider (schema version 3): allowed, conditionally.
WIDE_ALLOWED = "count_if(m.breadth IN ('any', 'account') AND m.breadth_decision = 'allowed')"
WIDE_COND = "count_if(m.breadth IN ('any', 'account') AND m.breadth_decision = 'conditionally_allowed')"


def test_risky_roles_trend_does_not_dip(views, scenario):
    """Equals analyze's organization rows on every day, and the counts of a
    complete lake with the failed account's rows taken from its data date."""
    got = rows(views, "SELECT snapshot_date, action, allowed, conditionally_allowed FROM risky_roles_trend")
    con = scenario["con"]
    analyzed = rows(con, """SELECT snapshot_date, r.action, r.allowed, r.conditionally_allowed
                            FROM out_daily_summary, unnest(risky_by_action) AS u(r) WHERE scope = 'organization'""")
    want = rows(con, f"""SELECT s.snapshot_date, m.action, {WIDE_ALLOWED}, {WIDE_COND}
                        FROM src s JOIN orig_simulations m ON m.snapshot_date = s.data_date AND m.account_id = s.account_id
                        GROUP BY ALL""")
    assert {r[0] for r in got} == set(DAYS)
    assert got == analyzed == want
    if scenario["name"] == "carried":
        # The failed day's share of the account is its first day's.
        share = rows(con, f"""SELECT '{DAYS[1]}', action, {WIDE_ALLOWED}, {WIDE_COND}
                              FROM orig_simulations m WHERE account_id = '{FAILED}' AND snapshot_date = '{DAYS[0]}' GROUP BY ALL""")
        others = {a: (x, y) for _, a, x, y in rows(con, f"""
            SELECT snapshot_date, action, {WIDE_ALLOWED}, {WIDE_COND}
            FROM out_simulations m WHERE snapshot_date = '{DAYS[1]}' GROUP BY ALL""")}
        day = {a: (x, y) for d, a, x, y in got if d == DAYS[1]}
        assert {a: (x - others[a][0], y - others[a][1]) for a, (x, y) in day.items()} == {a: (x, y) for _, a, x, y in share}


def test_team_counts_equal_team_summary(views, scenario):
    cols = "snapshot_date, owner_team, roles, risky_roles, passrole_roles, unused_open, roles_carried"
    got = rows(views, f"SELECT {cols} FROM team_counts")
    assert got == rows(scenario["con"], f"SELECT {cols} FROM out_team_summary")
    totals = rows(scenario["con"], """SELECT s.snapshot_date, count(*) FROM src s
                                      JOIN orig_roles r ON r.snapshot_date = s.data_date AND r.account_id = s.account_id
                                      GROUP BY ALL""")
    assert sorted({(d, sum(r[2] for r in got if r[0] == d)) for d, *_ in got}) == totals


def test_failed_accounts(views, scenario):
    got = rows(views, """SELECT snapshot_date, snapshot_status, account_id, account_name, reason, ou_path,
                                account_status, data_date FROM failed_accounts""")
    [src] = [s for s in scenario["sources"] if s[4] != "ok"]
    date, acct, name, ou_path, status, data_date, reason = src
    assert got == [(date, "partial", acct, name, reason, ou_path, status, data_date)]
    assert acct == FAILED and date == scenario["failed_on"]


def test_account_data_dates_equal_daily_summary_account_rows(views):
    """The same rule on both sides, read through the warehouse DDL (the
    daily_summary columns of schema version 2)."""
    cols = "snapshot_date, account_id, account_name, ou_path, account_status, data_date, failure_reason"
    got = rows(views, f"SELECT {cols} FROM account_data_dates")
    assert got == rows(views, f"SELECT {cols} FROM daily_summary WHERE scope = 'account'")
