-- Daily trend, per sensitive action, of the roles allowed it at account
-- breadth or wider (simulations.breadth any or account: every resource of the
-- action's types in the role's own account, or more): allowed outright, and
-- allowed only under conditions the request does not carry; and, for history
-- before schema version 3, the roles allowed it on any resource (`*`).
-- Partitions before version 3 have no breadth: a grant allowed on `*` reads
-- as breadth any. Every snapshot date of the last 90 days up to the latest
-- one. Equals daily_summary's organization rows (risky_by_action), computed
-- here from the simulations table so it scales with the warehouse.
--
-- Partial days: each account's roles are read from its data_date in
-- account_data_dates, reported under the snapshot date. An account whose
-- collection failed on a date (manifest status partial) is counted from its
-- last good snapshot, so the trend does not dip; one that failed with no
-- earlier snapshot (no_data) is counted nowhere. See failed_accounts.
CREATE OR REPLACE VIEW risky_roles_trend AS
WITH dates AS (
    -- Dates with a snapshot manifest (complete), newest 90 days.
    SELECT snapshot_date
    FROM snapshot_manifests
    WHERE CAST(snapshot_date AS date) > (
        SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM snapshot_manifests)
),
sources AS (
    -- Per date, each account and the date its rows are read from.
    SELECT snapshot_date, account_id, data_date
    FROM account_data_dates
    WHERE data_date IS NOT NULL AND snapshot_date IN (SELECT snapshot_date FROM dates)
)
SELECT a.snapshot_date,
       s.action,
       count_if(s.account_or_wider AND s.breadth_decision = 'allowed') AS allowed,
       count_if(s.account_or_wider AND s.breadth_decision = 'conditionally_allowed') AS conditionally_allowed,
       count_if(s.decision = 'allowed') AS allowed_on_any_resource
FROM sources a
JOIN simulation_breadth s ON s.snapshot_date = a.data_date AND s.account_id = a.account_id
-- The semi-join on the partition key lets Athena skip every other date's files.
WHERE s.snapshot_date IN (SELECT data_date FROM sources)
GROUP BY a.snapshot_date, s.action;
