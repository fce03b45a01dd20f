-- Daily trend, per sensitive action, of the roles allowed it on any resource
-- (`*`): allowed outright, and allowed only under conditions the request does
-- not carry. Every snapshot date of the last 90 days up to the latest one.
-- Equals daily_summary's organization rows (risky_by_action), computed here
-- from the simulations table so it scales with the warehouse.
CREATE OR REPLACE VIEW risky_roles_trend AS
WITH dates AS (
    -- Dates with a snapshot manifest (complete), newest 90 days. The semi-join
    -- on the partition column lets Snowflake prune every other date's files.
    SELECT snapshot_date
    FROM snapshot_manifests
    WHERE snapshot_date > (SELECT DATEADD(day, -90, max(snapshot_date)) FROM snapshot_manifests)
)
SELECT s.snapshot_date,
       s.action,
       COUNT_IF(s.decision = 'allowed') AS allowed,
       COUNT_IF(s.decision = 'conditionally_allowed') AS conditionally_allowed
FROM simulations s
WHERE s.snapshot_date IN (SELECT snapshot_date FROM dates)
GROUP BY s.snapshot_date, s.action;
