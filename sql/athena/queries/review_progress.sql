-- Review progress per owner team and analyzed date (last 90 days up to the
-- latest): unused permissions open, kept, to delete, and delete reviews done
-- (permission gone from the role), and the reviewed share. Equals
-- team_summary's unused_open/kept/to_delete/done and review_progress for
-- every team with something to review.
CREATE OR REPLACE VIEW review_progress AS
WITH dates AS (
    SELECT snapshot_date
    FROM analyze_manifests
    WHERE CAST(snapshot_date AS date) > (
        SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM analyze_manifests)
),
unused AS (
    SELECT snapshot_date,
           owner_team,
           count_if(review_status = 'open') AS unused_open,
           count_if(review_status = 'kept') AS unused_kept,
           count_if(review_status = 'to_delete') AS unused_to_delete
    FROM unused_permissions
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, owner_team
),
done AS (
    SELECT snapshot_date, coalesce(owner_team, 'unowned') AS owner_team, count(*) AS unused_done
    FROM review_status
    WHERE status = 'done' AND permission <> 'role' AND snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, coalesce(owner_team, 'unowned')
),
counts AS (
    SELECT coalesce(u.snapshot_date, d.snapshot_date) AS snapshot_date,
           coalesce(u.owner_team, d.owner_team) AS owner_team,
           coalesce(u.unused_open, 0) AS unused_open,
           coalesce(u.unused_kept, 0) AS unused_kept,
           coalesce(u.unused_to_delete, 0) AS unused_to_delete,
           coalesce(d.unused_done, 0) AS unused_done
    FROM unused u
    FULL OUTER JOIN done d ON d.snapshot_date = u.snapshot_date AND d.owner_team = u.owner_team
)
SELECT snapshot_date,
       owner_team,
       unused_open,
       unused_kept,
       unused_to_delete,
       unused_done,
       CAST(unused_kept + unused_to_delete + unused_done AS double)
           / (unused_open + unused_kept + unused_to_delete + unused_done) AS review_progress
FROM counts;
