"""An S3 lake written by iamlake to moto's S3 (a second S3 implementation
beside the s3s server of the Rust tests), read back by independent readers:
pyarrow straight from S3, DuckDB from the downloaded objects. Both must equal
the same snapshot written to a local folder."""
import json
import os
import subprocess

import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from conftest import REPO

DATE = "2026-10-01"
BUCKET = "iamlake-s3-test"


def env(endpoint):
    e = dict(os.environ)
    e.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
              "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
              "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
              "AWS_ENDPOINT_URL_S3": endpoint})
    e.pop("AWS_PROFILE", None)
    return e


def iamlake(bin_path, endpoint, *args):
    proc = subprocess.run([str(bin_path), *args], capture_output=True, text=True, env=env(endpoint))
    assert proc.returncode == 0, f"iamlake {' '.join(args)} failed:\n{proc.stderr}"


def sorted_rows(table):
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def test_s3_lake_reads_back_equal_to_a_local_lake(iamlake_bin, moto_s3, mini_lake, tmp_path):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    uri = f"s3://{BUCKET}/lake"
    source = f"fixtures:{REPO / 'tests/data/mini'}"
    iamlake(iamlake_bin, moto_s3, "snapshot", "--quiet", "--source", source, "--lake", uri, "--date", DATE)
    iamlake(iamlake_bin, moto_s3, "analyze", "--quiet", "--lake", uri, "--date", DATE)

    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"lake/_manifests/snapshot_date={DATE}/manifest.json")["Body"].read())
    head = s3.head_object(Bucket=BUCKET, Key=f"lake/_manifests/snapshot_date={DATE}/manifest.json")
    assert head["ServerSideEncryption"] == "AES256"
    host, port = moto_s3.removeprefix("http://").split(":")
    fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                           endpoint_override=f"{host}:{port}", scheme="http")
    for table, entry in manifest["tables"].items():
        paths = [f"{BUCKET}/lake/{f['path']}" for f in entry["files"]]
        from_s3 = pq.ParquetDataset(paths, filesystem=fs, partitioning=None).read()
        local = pq.ParquetDataset(str(mini_lake / table / f"snapshot_date={DATE}"), partitioning=None).read()
        assert from_s3.num_rows == entry["rows"] == local.num_rows, table
        assert from_s3.schema.equals(local.schema, check_metadata=False), table
        # Ids of the run differ; every other value is the same.
        assert sorted_rows(from_s3) == sorted_rows(local), table

        # DuckDB on the exact bytes that were uploaded.
        files = []
        for i, f in enumerate(entry["files"]):
            dest = tmp_path / table / f"{i}.parquet"
            dest.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(BUCKET, f"lake/{f['path']}", str(dest))
            files.append(str(dest))
        count = duckdb.sql(f"select count(*) from read_parquet({files!r})").fetchall()[0][0]
        assert count == entry["rows"], table

    analyzed = json.loads(s3.get_object(
        Bucket=BUCKET, Key=f"lake/_manifests/analyze/snapshot_date={DATE}/manifest.json")["Body"].read())
    assert analyzed["kind"] == "analyze"
    assert analyzed["inputs"]["snapshot"] == manifest["snapshot_id"]
    for table, entry in analyzed["tables"].items():
        paths = [f"{BUCKET}/lake/{f['path']}" for f in entry["files"]]
        assert pq.ParquetDataset(paths, filesystem=fs, partitioning=None).read().num_rows == entry["rows"], table
