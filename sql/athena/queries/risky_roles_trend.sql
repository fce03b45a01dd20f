-- Daily trend, per sensitive action, of the roles allowed it on any resource
-- (`*`): allowed outright, and allowed only under conditions the request does
-- not carry. Every snapshot date of the last 90 days up to the latest one.
-- Equals daily_summary's organization rows (risky_by_action), computed here
-- from the simulations table so it scales with the warehouse.
CREATE OR REPLACE VIEW risky_roles_trend AS
WITH dates AS (
    -- Dates with a snapshot manifest (complete), newest 90 days. The semi-join
    -- on the partition key lets Athena skip every other date's files.
    SELECT snapshot_date
    FROM snapshot_manifests
    WHERE CAST(snapshot_date AS date) > (
        SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM snapshot_manifests)
)
SELECT s.snapshot_date,
       s.action,
       count_if(s.decision = 'allowed') AS allowed,
       count_if(s.decision = 'conditionally_allowed') AS conditionally_allowed
FROM simulations s
WHERE s.snapshot_date IN (SELECT snapshot_date FROM dates)
GROUP BY s.snapshot_date, s.action;
