-- Where each account's numbers come from, per snapshot date: one row per
-- account listed in the date's snapshot manifest (table snapshot_manifests).
-- An account collected on the date (status ok) is read from that date. An
-- account whose collection failed has no rows in any table on that date, so
-- its numbers are carried from its last good snapshot: the latest earlier
-- date whose manifest lists it as ok (account_status carried, data_date that
-- date); with none, account_status is no_data, data_date is null and it is
-- counted nowhere. risky_roles_trend, team_counts and failed_accounts read
-- the snapshot tables through this view, as analyze does, so a partial day
-- shows the counts it would have shown had the failed accounts been
-- collected unchanged. data_date is a string like snapshot_date, so it joins
-- the partition key directly.
--
-- Every manifest date, not only the last 90 days: a carried date can be
-- older than any window, and the manifests are one small JSON per date.
CREATE OR REPLACE VIEW account_data_dates AS
WITH entries AS (
    SELECT m.snapshot_date,
           a.account_id,
           a.account_name,
           a.ou_path,
           a.status,
           a.reason
    FROM snapshot_manifests m
    CROSS JOIN UNNEST(m.accounts) AS a (account_id, account_name, ou_path, status, reason, roles, roles_without_last_accessed)
),
sourced AS (
    -- The latest date up to this one on which the account was collected:
    -- this date when it is ok, else its last good snapshot (null if none).
    SELECT e.*,
           max(CASE WHEN e.status = 'ok' THEN e.snapshot_date END) OVER (
               PARTITION BY e.account_id ORDER BY e.snapshot_date
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_ok_date
    FROM entries e
)
SELECT snapshot_date,
       account_id,
       account_name,
       ou_path,
       CASE WHEN status = 'ok' THEN 'ok'
            WHEN last_ok_date IS NOT NULL THEN 'carried'
            ELSE 'no_data' END AS account_status,
       last_ok_date AS data_date,
       CASE WHEN status <> 'ok' THEN reason END AS failure_reason
FROM sourced;
