-- Credential findings per account and analyzed date (last 90 days up to the
-- latest), by kind (credential_findings: access_key_unused, access_key_old,
-- console_without_mfa, inactive_user; rules in docs/ANALYZE.md). Per
-- account, not per team: IAM users carry no owner team yet.
--
-- Every account of the date's snapshot manifest is a row (account_data_dates):
-- users counts the IAM users (root excluded) of the credential report the
-- account was judged on, the one of its data_date (carried from its last good
-- snapshot when its collection failed). When there is no such report (a
-- no_data account, or a snapshot collected without one) has_report is false
-- and the counts are null: unknown, not zero. The counts equal
-- credential_findings' rows of the date per account and kind.
CREATE OR REPLACE VIEW credential_findings_by_account AS
WITH dates AS (
    SELECT snapshot_date
    FROM analyze_manifests
    WHERE CAST(snapshot_date AS date) > (
        SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM analyze_manifests)
),
accounts AS (
    SELECT snapshot_date, account_id, account_name, account_status, data_date
    FROM account_data_dates
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
),
reports AS (
    -- Every report has a root line, so an account with a report has rows.
    SELECT snapshot_date AS data_date, account_id, count_if(NOT is_root) AS users
    FROM credentials
    WHERE snapshot_date IN (SELECT data_date FROM accounts)
    GROUP BY snapshot_date, account_id
),
found AS (
    SELECT snapshot_date,
           account_id,
           count_if(finding = 'access_key_unused') AS access_key_unused,
           count_if(finding = 'access_key_old') AS access_key_old,
           count_if(finding = 'console_without_mfa') AS console_without_mfa,
           count_if(finding = 'inactive_user') AS inactive_user,
           count(DISTINCT arn) AS users_with_findings
    FROM credential_findings
    WHERE snapshot_date IN (SELECT snapshot_date FROM dates)
    GROUP BY snapshot_date, account_id
)
SELECT a.snapshot_date,
       a.account_id,
       a.account_name,
       a.account_status,
       a.data_date,
       r.account_id IS NOT NULL AS has_report,
       r.users,
       CASE WHEN r.account_id IS NOT NULL THEN coalesce(f.users_with_findings, 0) END AS users_with_findings,
       CASE WHEN r.account_id IS NOT NULL THEN coalesce(f.access_key_unused, 0) END AS access_key_unused,
       CASE WHEN r.account_id IS NOT NULL THEN coalesce(f.access_key_old, 0) END AS access_key_old,
       CASE WHEN r.account_id IS NOT NULL THEN coalesce(f.console_without_mfa, 0) END AS console_without_mfa,
       CASE WHEN r.account_id IS NOT NULL THEN coalesce(f.inactive_user, 0) END AS inactive_user
FROM accounts a
LEFT JOIN reports r ON r.data_date = a.data_date AND r.account_id = a.account_id
LEFT JOIN found f ON f.snapshot_date = a.snapshot_date AND f.account_id = a.account_id;
