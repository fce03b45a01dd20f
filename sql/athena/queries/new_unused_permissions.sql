-- Unused permissions that are new (never unused before) or reappeared on the
-- latest analyzed date, with their owner, last use and review status: what
-- the owner teams are alerted about. Its row count equals daily_summary's
-- unused_new on that date (organization row), and per team team_summary's.
CREATE OR REPLACE VIEW new_unused_permissions AS
WITH latest AS (
    SELECT max(snapshot_date) AS snapshot_date FROM analyze_manifests
)
SELECT d.snapshot_date,
       d.owner_team,
       d.account_id,
       u.account_name,
       d.role_name,
       d.role_arn,
       d.permission,
       d.granularity,
       d.change,
       u.last_used_at,
       u.days_unused,
       u.review_status
FROM unused_deltas d
JOIN unused_permissions u
  ON u.snapshot_date = d.snapshot_date AND u.role_id = d.role_id AND u.permission = d.permission
WHERE d.change IN ('new', 'reappeared')
  AND d.snapshot_date IN (SELECT snapshot_date FROM latest)
  AND u.snapshot_date IN (SELECT snapshot_date FROM latest);
