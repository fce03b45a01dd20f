"""`iamlake report`: the HTML page rendered by headless Chromium.

Chromium is driven over the DevTools protocol (a tiny client on
websocket-client, 127.0.0.1 only) so that console errors, uncaught
exceptions, CSP violations and every network request are seen as events,
not guessed from logs. A deliberately broken page checks that this detection
works. The numbers on the page are checked against daily_summary and
team_summary read here with pyarrow, from the files the analyze manifests
list (dates without a manifest are not part of the lake).

Chromium is required: the test fails (never skips) when it is missing;
scripts/test installs it (`apt-get install -y chromium`)."""
import base64
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import websocket

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("IAMLAKE_ARTIFACTS", REPO / "target" / "test-artifacts"))


# --- the lake, read independently ------------------------------------------

def analyze_manifests(lake: Path) -> dict:
    """snapshot_date -> analyze manifest, for dates that have one."""
    out = {}
    for p in sorted((lake / "_manifests" / "analyze").glob("snapshot_date=*/manifest.json")):
        out[p.parent.name.split("=", 1)[1]] = json.loads(p.read_text())
    return out


def read_table(lake: Path, manifest: dict, table: str) -> pa.Table:
    files = [lake / f["path"] for f in manifest["tables"][table]["files"]]
    return pa.concat_tables([pq.read_table(f) for f in files])


# --- a tiny DevTools protocol client ----------------------------------------

def chromium_path() -> str:
    for name in (os.environ.get("IAMLAKE_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.fail("chromium is not installed: `apt-get install -y chromium` "
                "(scripts/test does it when missing); this test never skips")


class Browser:
    """One headless Chromium, one page, every event of that page recorded."""

    def __init__(self, profile: Path):
        self.proc = subprocess.Popen(
            [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
             f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"],
            # A file, not a pipe: a pipe nobody reads would stall Chromium once full.
            stdout=subprocess.DEVNULL, stderr=open(profile / "chromium.log", "w"))
        port_file = profile / "DevToolsActivePort"
        deadline = time.time() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None:
                pytest.fail(f"chromium exited early:\n{(profile / 'chromium.log').read_text()}")
            assert time.time() < deadline, "chromium did not open its DevTools port within 30 s"
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=True)

    def send(self, method, params=None, session=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method, timeout=30.0):
        deadline = time.time() + timeout
        while not any(e.get("method") == method for e in self.events):
            assert time.time() < deadline, f"no {method} within {timeout} s"
            self.ws.settimeout(max(0.1, deadline - time.time()))
            self.events.append(json.loads(self.ws.recv()))
        self.ws.settimeout(30)

    def settle(self, quiet=0.5):
        """Collects events until none arrives for `quiet` seconds."""
        self.ws.settimeout(quiet)
        try:
            while True:
                self.events.append(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.ws.settimeout(30)

    def load(self, path: Path):
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=True)
        self.wait_for("Page.loadEventFired")
        self.settle()

    def errors(self) -> list:
        """Console errors, uncaught exceptions and browser-logged errors
        (CSP violations, failed loads), as text."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"log ({p['entry']['source']}): {p['entry']['text']}")
        return out

    def requests(self) -> list:
        """URLs the page asked for, other than file: and data: ones."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"
                and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))]

    def evaluate(self, expression):
        """Runs a script over the DevTools protocol (the page's own CSP,
        which forbids scripts, does not apply here) and returns its JSON value."""
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        assert "exceptionDetails" not in r, r["exceptionDetails"]
        return r["result"].get("value")

    def screenshot(self, out: Path, width=1280):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False}, session=True)
        size = self.send("Page.getLayoutMetrics", session=True)["cssContentSize"]
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": int(size["height"]) + 1, "deviceScaleFactor": 1, "mobile": False},
                  session=True)
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                         session=True)["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


# The DOM facts the checks need, gathered in the page.
DOM_FACTS = r"""
JSON.stringify({
  sections: [...document.querySelectorAll('main section')].map(s => s.id),
  svgs: [...document.querySelectorAll('svg.chart')].map(s => ({
    id: s.id,
    title: s.querySelector(':scope > title')?.textContent,
    desc: s.querySelector(':scope > desc')?.textContent,
    labelledby: s.getAttribute('aria-labelledby'),
    polylines: s.querySelectorAll('polyline').length,
    legend: [...s.querySelectorAll('[data-legend]')].map(t => t.getAttribute('data-legend')),
    bars: Object.fromEntries([...s.querySelectorAll('g.bar')].map(g =>
      [g.getAttribute('data-category'), Number(g.getAttribute('data-total'))])),
    series: Object.fromEntries([...s.querySelectorAll('g.series')].map(g =>
      [g.getAttribute('data-series'), [...g.querySelectorAll('circle > title')].map(t => t.textContent)])),
    box: s.getBoundingClientRect().width,
  })),
  kpis: Object.fromEntries([...document.querySelectorAll('[data-kpi]')].map(k =>
    [k.getAttribute('data-kpi'), Number(k.querySelector('.value').getAttribute('data-value'))])),
  teams: [...document.querySelectorAll('#top-teams-table tbody tr')].map(tr => ({
    team: tr.getAttribute('data-team'), name: tr.cells[0].textContent,
    cols: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map(td =>
      [td.getAttribute('data-col'), td.textContent]))})),
  accounts: [...document.querySelectorAll('#accounts-table tr[data-account-id]')].map(tr => ({
    id: tr.getAttribute('data-account-id'),
    cols: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map(td =>
      [td.getAttribute('data-col'), td.textContent.replace(/,/g, '')]))})),
  risky: [...document.querySelectorAll('#newest-risky-table tbody tr[data-role-id]')].map(tr => ({
    role_id: tr.getAttribute('data-role-id'), role: tr.cells[0].textContent,
    first_seen: tr.querySelector('[data-col=first_seen]').textContent})),
  roleTeams: [...document.querySelectorAll('#unused-roles-team-table tr[data-team]')].map(tr => ({
    team: tr.getAttribute('data-team'),
    cols: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map(td =>
      [td.getAttribute('data-col'), Number(td.textContent.replace(/,/g, ''))]))})),
  unusedRoles: [...document.querySelectorAll('#unused-roles-table tbody tr[data-role-id], #unused-service-linked-table tbody tr[data-role-id]')].map(tr => ({
    table: tr.closest('table').id, role_id: tr.getAttribute('data-role-id'), role: tr.cells[0].textContent,
    outside: tr.getAttribute('data-outside-org') === 'true', owner: tr.cells[2].textContent,
    days: Number(tr.querySelector('[data-col=days_unused]').textContent.replace(/,/g, '')),
    review: tr.querySelector('[data-col=review_status]').textContent})),
  credAccounts: [...document.querySelectorAll('#credentials-table tr[data-account-id]')].map(tr => ({
    id: tr.getAttribute('data-account-id'),
    cols: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map(td =>
      [td.getAttribute('data-col'), td.textContent.replace(/,/g, '')]))})),
  credTeams: [...document.querySelectorAll('#credentials-team-table tr[data-team]')].map(tr => ({
    team: tr.getAttribute('data-team'),
    cols: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map(td =>
      [td.getAttribute('data-col'), td.textContent.replace(/,/g, '')]))})),
  findings: [...document.querySelectorAll('#credential-findings-table tbody tr[data-finding]')].map(tr =>
    [tr.getAttribute('data-finding'), tr.cells[0].textContent]),
  reportDate: document.querySelector('[data-report-date]')?.getAttribute('data-report-date'),
  images: document.images.length,
  scripts: document.scripts.length,
  width: document.documentElement.scrollWidth,
})
"""

FORBIDDEN = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
                       re.IGNORECASE)


def render(iamlake_bin, lake: Path, out: Path, *extra) -> str:
    proc = subprocess.run([str(iamlake_bin), "report", "--lake", str(lake), *extra, "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"iamlake report failed:\n{proc.stderr}"
    return out.read_text()


def test_detection_catches_a_broken_page(browser, tmp_path):
    """The error and fetch detection used below, proven on a page that has
    every fault it is meant to catch."""
    bad = tmp_path / "broken.html"
    bad.write_text("<!DOCTYPE html><html><body><p>broken</p>"
                   "<script>console.error('deliberate console error');</script>"
                   "<script>undefinedFunction();</script>"
                   "<img src='http://127.0.0.1:9/pixel.png'></body></html>")
    browser.load(bad)
    errors = "\n".join(browser.errors())
    assert "deliberate console error" in errors
    assert "undefinedFunction" in errors
    assert any(u.startswith("http://127.0.0.1:9/") for u in browser.requests())


def test_report_renders_cleanly_with_consistent_numbers(iamlake_bin, default_lake, browser, tmp_path):
    out = tmp_path / "report.html"
    html = render(iamlake_bin, default_lake, out)

    # Self-contained: no script, nothing fetched.
    assert "<script" not in html.lower()
    assert not FORBIDDEN.search(html), FORBIDDEN.search(html).group(0)

    browser.load(out)
    assert browser.errors() == [], browser.errors()
    assert browser.requests() == [], browser.requests()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    browser.screenshot(shot)
    assert shot.stat().st_size > 10_000
    facts = json.loads(browser.evaluate(DOM_FACTS))

    manifests = analyze_manifests(default_lake)
    dates = sorted(manifests)
    latest = dates[-1]
    assert facts["reportDate"] == latest
    assert facts["sections"] == ["summary", "risk-trend", "unused-by-team", "review-progress",
                                 "top-teams", "newest-risky", "unused-roles", "credentials", "credentials-by-team", "accounts"]
    assert facts["scripts"] == 0 and facts["images"] == 0
    assert facts["width"] <= 1280, "the page scrolls sideways"

    svgs = {s["id"]: s for s in facts["svgs"]}
    assert set(svgs) == {"chart-risk-trend", "chart-unused-by-team", "chart-review-progress",
                         "chart-unused-roles-by-team"}
    for s in svgs.values():
        assert s["title"] and s["desc"], s["id"]
        assert s["labelledby"] == f"{s['id']}-title {s['id']}-desc"
        assert s["box"] > 300, f"{s['id']} is not laid out"

    # Risky roles over time: one point per analyzed date, per series.
    daily = {d: read_table(default_lake, manifests[d], "daily_summary").to_pylist() for d in dates}
    org = {d: next(r for r in rows if r["scope"] == "organization") for d, rows in daily.items()}
    trend = svgs["chart-risk-trend"]
    actions = manifests[latest]["sensitive_actions"]
    assert trend["legend"] == ["Any sensitive action", *actions]
    assert trend["polylines"] == len(actions) + 1
    any_points = trend["series"]["Any sensitive action"]
    assert len(any_points) == len(dates)
    for d, title in zip(dates, any_points):
        assert title == f"Any sensitive action: {org[d]['risky_roles']} on {d}"
    for a in actions:
        points = trend["series"][a]
        assert len(points) == len(dates)
        for d, title in zip(dates, points):
            allowed = next(x["allowed"] for x in org[d]["risky_by_action"] if x["action"] == a)
            assert title == f"{a}: {allowed} on {d}"

    # KPIs: the organization row of the date.
    for key in ["roles", "risky_roles", "unused_permissions", "unused_open", "unused_new", "unowned_roles"]:
        assert facts["kpis"][key] == org[latest][key], key

    # Per team: chart totals and the top-teams table.
    teams = read_table(default_lake, manifests[latest], "team_summary").to_pylist()
    total = lambda t: t["unused_open"] + t["unused_to_delete"] + t["unused_kept"] + t["unused_done"]
    with_unused = {t["owner_team"]: total(t) for t in teams if total(t) > 0}
    bars = svgs["chart-unused-by-team"]["bars"]
    assert bars == dict(sorted(with_unused.items(), key=lambda kv: (-kv[1], kv[0]))[:15])
    assert list(svgs["chart-review-progress"]["bars"]) == list(bars)
    top = sorted(teams, key=lambda t: (-t["unused_open"], -total(t), t["owner_team"]))[:10]
    assert [r["team"] for r in facts["teams"]] == [t["owner_team"] for t in top]
    for row, t in zip(facts["teams"], top):
        assert row["name"] == t["owner_team"]
        for key in ["roles", "risky_roles", "unused_open", "unused_to_delete", "unused_kept", "unused_done",
                    "unused_new"]:
            assert int(row["cols"][key].replace(",", "")) == t[key], (t["owner_team"], key)
        expected = "—" if t["review_progress"] is None else f"{round(t['review_progress'] * 100)}%"
        assert row["cols"]["review_progress"] == expected

    # Accounts: every account row of the date, plus the organization total.
    accounts = {r["account_id"]: r for r in daily[latest] if r["scope"] == "account"}
    shown = {a["id"]: a["cols"] for a in facts["accounts"]}
    assert set(shown) == set(accounts) | {"organization"}
    for acct_id, cols in shown.items():
        expected = org[latest] if acct_id == "organization" else accounts[acct_id]
        for key, value in cols.items():
            assert int(value) == expected[key], (acct_id, key)

    # Newest risky roles: current sensitive grants of the ledger, newest first.
    ledger = [r for r in read_table(default_lake, manifests[latest], "alert_ledger").to_pylist()
              if r["kind"] == "sensitive_grant" and str(r["last_seen"]) == latest]
    newest = {}
    for r in ledger:
        newest[r["role_id"]] = max(newest.get(r["role_id"], r["first_seen"]), r["first_seen"])
    assert facts["risky"], "no risky role listed"
    assert len(facts["risky"]) == min(15, len(newest))
    for row in facts["risky"]:
        assert row["first_seen"] == str(newest[row["role_id"]])
    listed = [row["first_seen"] for row in facts["risky"]]
    assert listed == sorted(listed, reverse=True)
    assert listed[0] == str(max(newest.values()))

    check_audit_sections(default_lake, manifests[latest], latest, facts, svgs)


ROLE_COUNTS = ["unused_roles_open", "unused_roles_to_delete", "unused_roles_kept", "unused_roles_done",
               "unused_roles_new", "unused_roles_outside_org", "unused_service_linked_roles"]
FINDINGS = ["access_key_unused", "access_key_old", "console_without_mfa", "inactive_user"]


def check_audit_sections(lake: Path, manifest: dict, date: str, facts: dict, svgs: dict):
    """Unused roles per team and users and stale keys per account, against
    team_summary, unused_roles, credential_findings and credentials read with
    pyarrow, and team_summary's role counts recomputed with DuckDB from
    unused_roles (the rows behind them)."""
    import duckdb

    teams = read_table(lake, manifest, "team_summary").to_pylist()
    roles = read_table(lake, manifest, "unused_roles")
    role_rows = roles.to_pylist()
    assert role_rows, "the demo lake has no unused role: this check would prove nothing"

    # Per team: every team with an unused role, its counts as team_summary has them.
    active = lambda t: sum(t[k] for k in ROLE_COUNTS[:4]) + t["unused_service_linked_roles"] > 0
    shown = {r["team"]: r["cols"] for r in facts["roleTeams"] if r["team"] != "all"}
    assert set(shown) == {t["owner_team"] for t in teams if active(t)}
    for t in teams:
        if active(t):
            assert shown[t["owner_team"]] == {k: t[k] for k in ROLE_COUNTS}, t["owner_team"]
    total = next(r["cols"] for r in facts["roleTeams"] if r["team"] == "all")
    assert total == {k: sum(t[k] for t in teams) for k in ROLE_COUNTS}
    # The chart: not reviewed + to delete + kept + done per team.
    bars = svgs["chart-unused-roles-by-team"]["bars"]
    expected = {t["owner_team"]: sum(t[k] for k in ROLE_COUNTS[:4]) for t in teams}
    assert bars == {k: v for k, v in expected.items() if v > 0}

    # The same counts recomputed from the rows (done rows are gone roles: not in the table).
    con = duckdb.connect()
    con.register("unused_roles", roles)
    by_team = {row[0]: row[1:] for row in con.execute("""
        select owner_team,
               count(*) filter (where not service_linked and review_status = 'open'),
               count(*) filter (where not service_linked and review_status = 'kept'),
               count(*) filter (where not service_linked and review_status = 'to_delete'),
               count(*) filter (where not service_linked and trusts_outside_org),
               count(*) filter (where service_linked)
        from unused_roles group by owner_team""").fetchall()}
    for t in teams:
        got = by_team.get(t["owner_team"], (0, 0, 0, 0, 0))
        assert got == (t["unused_roles_open"], t["unused_roles_kept"], t["unused_roles_to_delete"],
                       t["unused_roles_outside_org"], t["unused_service_linked_roles"]), t["owner_team"]

    # The list: non-service-linked roles (at most 25), outside-org first; service-linked apart.
    by_id = {r["role_id"]: r for r in role_rows}
    listed = [r for r in facts["unusedRoles"] if r["table"] == "unused-roles-table"]
    linked = [r for r in facts["unusedRoles"] if r["table"] == "unused-service-linked-table"]
    plain = [r for r in role_rows if not r["service_linked"]]
    assert len(listed) == min(25, len(plain))
    assert len(linked) == min(25, len(role_rows) - len(plain))
    for row in listed + linked:
        r = by_id[row["role_id"]]
        assert row["role"] == r["role_name"] and row["owner"] == r["owner_team"]
        assert row["days"] == r["days_unused"]
        assert row["outside"] == r["trusts_outside_org"]
        assert row["review"] == r["review_status"].replace("_", " ")
        assert r["service_linked"] == (row["table"] == "unused-service-linked-table")
    outside = [row["outside"] for row in listed]
    assert outside == sorted(outside, reverse=True)

    # Users and stale keys per account: credential_findings counted by kind.
    findings = read_table(lake, manifest, "credential_findings").to_pylist()
    assert findings, "the demo lake has no credential finding"
    snapshot = json.loads((lake / "_manifests" / f"snapshot_date={date}" / "manifest.json").read_text())
    creds = read_table(lake, snapshot, "credentials").to_pylist()
    users = {}
    for c in creds:
        users[c["account_id"]] = users.get(c["account_id"], 0) + (0 if c["is_root"] else 1)
    shown = {a["id"]: a["cols"] for a in facts["credAccounts"]}
    daily = read_table(lake, manifest, "daily_summary").to_pylist()
    assert set(shown) == {r["account_id"] for r in daily if r["scope"] == "account"} | {"organization"}
    for acct, cols in shown.items():
        mine = [f for f in findings if acct in ("organization", f["account_id"])]
        for kind in FINDINGS:
            assert int(cols[kind]) == sum(f["finding"] == kind for f in mine), (acct, kind)
        expected_users = sum(users.values()) if acct == "organization" else users[acct]
        assert int(cols["users"]) == expected_users, acct
    # Per team: the same findings by the users' owner team.
    teams = {t["team"]: t["cols"] for t in facts["credTeams"]}
    assert set(teams) == {f["owner_team"] for f in findings} and len(teams) > 1, teams
    for team, cols in teams.items():
        mine = [f for f in findings if f["owner_team"] == team]
        for kind in FINDINGS:
            assert int(cols[kind]) == sum(f["finding"] == kind for f in mine), (team, kind)
        assert int(cols["users"]) == len({(f["account_id"], f["user"]) for f in mine}), team
    assert len(facts["findings"]) == min(25, len(findings))
    kinds = [FINDINGS.index(k) for k, _ in facts["findings"]]
    assert kinds == sorted(kinds)


def test_hostile_names_from_tags_stay_text(iamlake_bin, default_lake, browser, tmp_path):
    """Team names come from role tags: a tag holding markup must show as text,
    run nothing and load nothing."""
    lake = tmp_path / "lake"
    shutil.copytree(default_lake, lake)
    manifests = analyze_manifests(lake)
    latest = sorted(manifests)[-1]
    [entry] = manifests[latest]["tables"]["team_summary"]["files"]
    path = lake / entry["path"]
    table = pq.read_table(path)
    evil = "<img src=x onerror=\"console.error('xss')\"><script>console.error('xss2')</script>"
    teams = table.column("owner_team").to_pylist()
    target = max(range(len(teams)), key=lambda i: table.column("unused_open")[i].as_py())
    teams[target] = evil
    table = table.set_column(table.schema.get_field_index("owner_team"),
                             table.schema.field("owner_team"), pa.array(teams, pa.string()))
    pq.write_table(table, path, compression="snappy")

    out = tmp_path / "evil.html"
    html = render(iamlake_bin, lake, out)
    assert "<img" not in html and "<script" not in html
    browser.load(out)
    assert browser.errors() == [], browser.errors()
    assert browser.requests() == []
    facts = json.loads(browser.evaluate(DOM_FACTS))
    assert facts["images"] == 0 and facts["scripts"] == 0
    assert facts["teams"][0]["name"] == evil
    assert evil in facts["svgs"][1]["bars"]


def test_report_of_an_earlier_date_and_errors(iamlake_bin, default_lake, tmp_path):
    dates = sorted(analyze_manifests(default_lake))
    html = render(iamlake_bin, default_lake, tmp_path / "early.html", "--date", dates[2])
    assert f'data-report-date="{dates[2]}"' in html
    assert dates[3] not in html

    proc = subprocess.run([str(iamlake_bin), "report", "--lake", str(default_lake), "--date", "1999-01-01",
                           "--out", str(tmp_path / "none.html")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "1999-01-01 has no analyze manifest" in proc.stderr
    assert not (tmp_path / "none.html").exists()


def test_stale_keys_of_a_carried_account_come_from_its_carried_report(iamlake_bin, default_lake, tmp_path):
    """On a partial day the failed account is judged on its last good
    credential report: the page counts its findings (analyze's, of that day)
    and the users of that earlier report, and says where they come from."""
    import duckdb

    from partial_lake import fail_account

    lake = tmp_path / "lake"
    shutil.copytree(default_lake, lake)
    dates = sorted(analyze_manifests(lake))
    account = "770696721453"
    fail_account(lake, dates[1], account)
    proc = subprocess.run([str(iamlake_bin), "analyze", "--quiet", "--lake", str(lake), "--date", dates[1]],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    html = render(iamlake_bin, lake, tmp_path / "partial.html", "--date", dates[1])

    row = re.search(rf'<tr data-account-id="{account}" data-report="true">(.*?)</tr>', html).group(1)
    cols = dict(re.findall(r'data-col="(\w+)">([^<]*)<', row))
    con = duckdb.connect()
    users = con.execute(f"""SELECT count(*) FILTER (WHERE NOT is_root) FROM
        read_parquet('{lake}/credentials/snapshot_date={dates[0]}/*.parquet') WHERE account_id = '{account}'""").fetchone()[0]
    # Its rows are gone from the partial day's own report.
    assert con.execute(f"""SELECT count(*) FROM read_parquet('{lake}/credentials/snapshot_date={dates[1]}/*.parquet')
                           WHERE account_id = '{account}'""").fetchone()[0] == 0
    assert users > 0 and int(cols["users"]) == users
    findings = dict(con.execute(f"""SELECT finding, count(*) FROM
        read_parquet('{lake}/credential_findings/snapshot_date={dates[1]}/*.parquet')
        WHERE account_id = '{account}' AND data_date = DATE '{dates[0]}' GROUP BY ALL""").fetchall())
    assert findings
    for kind in ["access_key_unused", "access_key_old", "console_without_mfa", "inactive_user"]:
        assert int(cols[kind]) == findings.get(kind, 0), kind
    assert f"from {dates[0]}" in row
