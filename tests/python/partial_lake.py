"""Partial snapshot days, made from complete ones: what a live run writes when
one account cannot be collected (say its sts:AssumeRole is denied). iamlake's
fixture source never fails an account, so tests take a complete date and
remove the account from it exactly as such a run would have left it:

- every Parquet file the date's manifest lists is rewritten without the
  account's rows (same schema, same path, same writer conventions);
- the manifest says `partial`, the account's entry `failed` with the reason,
  its name and OU path kept, `roles` 0, and every table's row counts and file
  sizes match the rewritten files.

Everything else in the lake is what the binary wrote."""
import json
import os
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

ASSUME_ROLE_DENIED = ("sts:AssumeRole: AccessDenied: User: arn:aws:sts::960901414841:assumed-role/"
                      "iamlake-collector/iamlake is not authorized to perform: sts:AssumeRole on resource: "
                      "arn:aws:iam::{account_id}:role/iamlake-member")


def manifest_path(lake: Path, date: str) -> Path:
    return lake / "_manifests" / f"snapshot_date={date}" / "manifest.json"


def _rewrite_without(path: Path, account_id: str) -> int:
    """Rewrites one Parquet file without the account's rows; returns the rows
    left. Kept as the binary writes: Snappy, the file's own Arrow schema
    (field order, nullability, UTC microsecond timestamps, 3-level lists)."""
    f = pq.ParquetFile(path)
    table = f.read()
    assert "account_id" in table.column_names, path
    kept = table.filter(pc.not_equal(table["account_id"], account_id))
    stored_arrow_schema = b"ARROW:schema" in (f.metadata.metadata or {})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(kept, tmp, compression="snappy", store_schema=stored_arrow_schema)
    os.replace(tmp, path)
    return kept.num_rows


def fail_account(lake: Path, date: str, account_id: str, reason: str | None = None) -> dict:
    """Turns `date` into the partial day a run that could not collect
    `account_id` writes. Returns the account's manifest entry as it was
    before (name, OU path, roles)."""
    reason = reason or ASSUME_ROLE_DENIED.format(account_id=account_id)
    path = manifest_path(lake, date)
    manifest = json.loads(path.read_text())
    [entry] = [a for a in manifest["accounts"] if a["account_id"] == account_id]
    before = dict(entry)
    assert entry["status"] == "ok" and entry["roles"] > 0, entry
    for name, table in manifest["tables"].items():
        total = 0
        for file in table["files"]:
            file_path = lake / file["path"]
            file["rows"] = _rewrite_without(file_path, account_id)
            file["bytes"] = file_path.stat().st_size
            total += file["rows"]
        table["rows"] = total
    manifest["status"] = "partial"
    entry.update(status="failed", reason=reason, roles=0, roles_without_last_accessed=0)
    tmp = path.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, path)
    return before
