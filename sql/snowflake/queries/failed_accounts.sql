-- Accounts whose collection failed, per snapshot date (last 90 days up to the
-- latest), with the reason: read from the snapshot manifests
-- (_manifests/snapshot_date=D/manifest.json, external table
-- snapshot_manifests). A failed account has no rows in any table on that
-- date, so only the manifest knows about it.
CREATE OR REPLACE VIEW failed_accounts AS
SELECT m.snapshot_date,
       m.status AS snapshot_status,
       a.value:account_id::VARCHAR AS account_id,
       a.value:account_name::VARCHAR AS account_name,
       a.value:reason::VARCHAR AS reason
FROM snapshot_manifests m,
     LATERAL FLATTEN(input => m.accounts) a
WHERE a.value:status::VARCHAR = 'failed'
  AND m.snapshot_date > (SELECT DATEADD(day, -90, max(snapshot_date)) FROM snapshot_manifests);
