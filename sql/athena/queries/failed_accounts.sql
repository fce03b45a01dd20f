-- Accounts whose collection failed, per snapshot date (last 90 days up to the
-- latest), with the reason and the date's status: read from the snapshot
-- manifests (_manifests/snapshot_date=D/manifest.json, table
-- snapshot_manifests) through account_data_dates. A failed account has no
-- rows in any table on that date, so only the manifest knows about it; the
-- other views count it from data_date, its last good snapshot
-- (account_status carried), or nowhere when it has none (no_data, data_date
-- null).
CREATE OR REPLACE VIEW failed_accounts AS
SELECT d.snapshot_date,
       m.status AS snapshot_status,
       d.account_id,
       d.account_name,
       d.failure_reason AS reason,
       d.ou_path,
       d.account_status,
       d.data_date
FROM account_data_dates d
JOIN snapshot_manifests m ON m.snapshot_date = d.snapshot_date
WHERE d.account_status <> 'ok'
  AND CAST(d.snapshot_date AS date) > (
      SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM snapshot_manifests);
