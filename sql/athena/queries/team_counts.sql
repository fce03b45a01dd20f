-- Per owner team and analyzed date (last 90 days up to the latest): roles,
-- roles allowed a sensitive action on any resource, roles granted
-- iam:PassRole, and unused permissions not yet reviewed. Equals team_summary
-- when analyze ran without an owners file: the team here is the role's tag
-- owner (roles.owner_team, else unowned); owners-file assignments exist only
-- in analyze's outputs (see docs/WAREHOUSE.md).
CREATE OR REPLACE VIEW team_counts AS
WITH dates AS (
    SELECT snapshot_date
    FROM analyze_manifests
    WHERE CAST(snapshot_date AS date) > (
        SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM analyze_manifests)
),
owned AS (
    SELECT snapshot_date, role_id, coalesce(owner_team, 'unowned') AS owner_team
    FROM roles
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
),
risky AS (
    SELECT DISTINCT snapshot_date, role_id
    FROM simulations
    WHERE decision = 'allowed' AND snapshot_date IN (SELECT snapshot_date FROM dates)
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
       count(k.role_id) AS risky_roles,
       count(p.role_id) AS passrole_roles,
       coalesce(sum(u.unused_open), 0) AS unused_open
FROM owned o
LEFT JOIN risky k ON k.snapshot_date = o.snapshot_date AND k.role_id = o.role_id
LEFT JOIN passrole p ON p.snapshot_date = o.snapshot_date AND p.role_id = o.role_id
LEFT JOIN unused u ON u.snapshot_date = o.snapshot_date AND u.role_id = o.role_id
GROUP BY o.snapshot_date, o.owner_team;
