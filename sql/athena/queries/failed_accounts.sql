-- Accounts whose collection failed, per snapshot date (last 90 days up to the
-- latest), with the reason: read from the snapshot manifests
-- (_manifests/snapshot_date=D/manifest.json, table snapshot_manifests). A
-- failed account has no rows in any table on that date, so only the manifest
-- knows about it.
CREATE OR REPLACE VIEW failed_accounts AS
SELECT m.snapshot_date,
       m.status AS snapshot_status,
       a.account_id,
       a.account_name,
       a.reason
FROM snapshot_manifests m
CROSS JOIN UNNEST(m.accounts) AS a (account_id, account_name, status, reason, roles, roles_without_last_accessed)
WHERE a.status = 'failed'
  AND CAST(m.snapshot_date AS date) > (
      SELECT CAST(max(snapshot_date) AS date) - INTERVAL '90' DAY FROM snapshot_manifests);
