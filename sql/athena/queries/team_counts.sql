-- Per owner team and analyzed date (last 90 days up to the latest): roles,
-- risky roles (allowed a sensitive action at account breadth or wider, see
-- simulation_breadth), roles allowed one on any resource (`*`), roles granted
-- iam:PassRole, unused permissions not yet reviewed, and roles carried from
-- an earlier date. Equals team_summary when analyze ran without an owners
-- file or owners config: the team here is the role's tag owner
-- (roles.owner_team, else unowned); the rest of the owner chain (Terraform,
-- CloudFormation, owners file, account owners) exists only in analyze's
-- outputs, per role in role_owners (see docs/WAREHOUSE.md).
--
-- Partial days: roles and simulations are read through account_data_dates,
-- each account from its data_date, reported under the analyzed date. An
-- account whose collection failed is counted from its last good snapshot
-- (roles_carried), one with no earlier snapshot (no_data) nowhere.
-- passrole_grants and unused_permissions are analyze's outputs, which
-- already hold the carried accounts' rows under the analyzed date.
CREATE OR REPLACE VIEW team_counts AS
WITH dates AS (
    SELECT snapshot_date
    FROM analyze_manifests
    WHERE CAST(snapshot_date AS date) > (
        SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM analyze_manifests)
),
sources AS (
    -- Per date, each account and the date its rows are read from.
    SELECT snapshot_date, account_id, account_status, data_date
    FROM account_data_dates
    WHERE data_date IS NOT NULL AND snapshot_date IN (SELECT snapshot_date FROM dates)
),
owned AS (
    SELECT a.snapshot_date, r.role_id, coalesce(r.owner_team, 'unowned') AS owner_team, a.account_status
    FROM sources a
    JOIN roles r ON r.snapshot_date = a.data_date AND r.account_id = a.account_id
    WHERE r.snapshot_date IN (SELECT data_date FROM sources)
),
risky AS (
    SELECT a.snapshot_date, s.role_id,
           max(CASE WHEN s.account_or_wider AND s.breadth_decision = 'allowed' THEN 1 ELSE 0 END) AS risky,
           max(CASE WHEN s.decision = 'allowed' THEN 1 ELSE 0 END) AS on_any_resource
    FROM sources a
    JOIN simulation_breadth s ON s.snapshot_date = a.data_date AND s.account_id = a.account_id
    WHERE s.snapshot_date IN (SELECT data_date FROM sources)
    GROUP BY a.snapshot_date, s.role_id
),
passrole AS (
    SELECT DISTINCT snapshot_date, role_id
    FROM passrole_grants
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
),
unused AS (
    SELECT snapshot_date, role_id, count_if(review_status = 'open') AS unused_open
    FROM unused_permissions
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, role_id
)
SELECT o.snapshot_date,
       o.owner_team,
       count(*) AS roles,
       coalesce(sum(k.risky), 0) AS risky_roles,
       coalesce(sum(k.on_any_resource), 0) AS risky_roles_on_any_resource,
       count(p.role_id) AS passrole_roles,
       coalesce(sum(u.unused_open), 0) AS unused_open,
       count_if(o.account_status = 'carried') AS roles_carried
FROM owned o
LEFT JOIN risky k ON k.snapshot_date = o.snapshot_date AND k.role_id = o.role_id
LEFT JOIN passrole p ON p.snapshot_date = o.snapshot_date AND p.role_id = o.role_id
LEFT JOIN unused u ON u.snapshot_date = o.snapshot_date AND u.role_id = o.role_id
GROUP BY o.snapshot_date, o.owner_team;
