-- Unused roles per owner team and analyzed date (last 90 days up to the
-- latest): whole roles nobody assumed for the threshold (unused_roles), by
-- review status, with the delete reviews done (role gone, from
-- review_status), the roles new or reappeared (unused_deltas), those that
-- accounts outside the organization or anyone may assume, and the
-- service-linked ones counted apart (managed by AWS, in no other column).
-- Equals team_summary's unused_roles_* and unused_service_linked_roles for
-- every team with one of them not zero. Role rows are the ones whose
-- permission (review_status, unused_deltas) is the word role.
CREATE OR REPLACE VIEW unused_roles_by_team AS
WITH dates AS (
    SELECT snapshot_date
    FROM analyze_manifests
    WHERE snapshot_date > (SELECT DATEADD(day, -90, max(snapshot_date)) FROM analyze_manifests)
),
found AS (
    SELECT snapshot_date,
           owner_team,
           COUNT_IF(NOT service_linked AND review_status = 'open') AS unused_roles_open,
           COUNT_IF(NOT service_linked AND review_status = 'kept') AS unused_roles_kept,
           COUNT_IF(NOT service_linked AND review_status = 'to_delete') AS unused_roles_to_delete,
           COUNT_IF(NOT service_linked AND trusts_outside_org) AS unused_roles_outside_org,
           COUNT_IF(service_linked) AS unused_service_linked_roles
    FROM unused_roles
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, owner_team
),
done AS (
    -- A done review of a deleted role keeps the team it had, when known.
    SELECT snapshot_date, owner_team, count(*) AS unused_roles_done
    FROM review_status
    WHERE permission = 'role' AND status = 'done' AND owner_team IS NOT NULL
      AND snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, owner_team
),
appeared AS (
    SELECT snapshot_date, owner_team, count(*) AS unused_roles_new
    FROM unused_deltas
    WHERE granularity = 'role' AND change IN ('new', 'reappeared')
      AND snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, owner_team
),
teams AS (
    SELECT snapshot_date, owner_team FROM found
    UNION
    SELECT snapshot_date, owner_team FROM done
    UNION
    SELECT snapshot_date, owner_team FROM appeared
)
SELECT t.snapshot_date,
       t.owner_team,
       coalesce(f.unused_roles_open, 0) AS unused_roles_open,
       coalesce(f.unused_roles_kept, 0) AS unused_roles_kept,
       coalesce(f.unused_roles_to_delete, 0) AS unused_roles_to_delete,
       coalesce(d.unused_roles_done, 0) AS unused_roles_done,
       coalesce(n.unused_roles_new, 0) AS unused_roles_new,
       coalesce(f.unused_roles_outside_org, 0) AS unused_roles_outside_org,
       coalesce(f.unused_service_linked_roles, 0) AS unused_service_linked_roles
FROM teams t
LEFT JOIN found f ON f.snapshot_date = t.snapshot_date AND f.owner_team = t.owner_team
LEFT JOIN done d ON d.snapshot_date = t.snapshot_date AND d.owner_team = t.owner_team
LEFT JOIN appeared n ON n.snapshot_date = t.snapshot_date AND n.owner_team = t.owner_team;
