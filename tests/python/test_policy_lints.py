"""policy_lints round trip: a snapshot of the mini organization with typos
planted (here, in Python) is read back by DuckDB and pyarrow; the findings
are the ones listed by hand, with the schema docs/LAKE.md gives."""
import json
import shutil

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from conftest import REPO, run

DATE = "2026-10-01"
COLUMNS = ["account_id", "policy_kind", "policy_name", "policy_arn", "role_name", "role_arn",
           "json_path", "kind", "name", "suggestion", "message"]
NULLABLE = {"policy_arn", "role_name", "role_arn", "suggestion"}


def test_clean_policies_write_an_empty_readable_table(mini_lake):
    con = duckdb.connect()
    n = con.execute(
        f"select count(*) from read_parquet('{mini_lake}/policy_lints/*/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    assert n == 0
    schema = pq.read_schema(next((mini_lake / "policy_lints").glob("*/*.parquet")))
    assert schema.names == COLUMNS
    for f in schema:
        assert f.type == pa.string(), f
        assert f.nullable == (f.name in NULLABLE), f


def test_planted_typos_come_back_through_duckdb_and_pyarrow(iamlake_bin, tmp_path):
    org = tmp_path / "org"
    shutil.copytree(REPO / "tests/data/mini", org)
    details_path = org / "222222222222/authorization-details.json"
    details = json.loads(details_path.read_text())
    # This account's export is paginated (a list of pages, as the CLI writes them).
    first_page = details[0] if isinstance(details, list) else details
    role = first_page["RoleDetailList"][0]
    role["RolePolicyList"].append({"PolicyName": "typos", "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMesage", "s3x:GetObject", "ec2:Descirbe*"],
                       "Resource": "*"}]}})
    details_path.write_text(json.dumps(details))
    lake = tmp_path / "lake"
    out = run(iamlake_bin, "snapshot", "--source", f"fixtures:{org}", "--lake", str(lake), "--date", DATE)
    assert "policy lints: 3 unknown actions or condition keys" in out.stdout, out.stdout

    con = duckdb.connect()
    got = con.execute(
        f"""select account_id, policy_kind, policy_name, policy_arn, role_name, json_path, kind, name,
                   suggestion, snapshot_date::varchar
            from read_parquet('{lake}/policy_lints/*/*.parquet', hive_partitioning=true)
            order by json_path"""
    ).fetchall()
    name = role["RoleName"]
    want = [
        ("222222222222", "inline", "typos", None, name, "Statement[0].Action[0]", "unknown_action",
         "sqs:SendMesage", "sqs:SendMessage", DATE),
        ("222222222222", "inline", "typos", None, name, "Statement[0].Action[1]", "unknown_service",
         "s3x:GetObject", None, DATE),
        ("222222222222", "inline", "typos", None, name, "Statement[0].Action[2]", "no_matching_action",
         "ec2:Descirbe*", None, DATE),
    ]
    assert got == want
    table = pq.read_table(lake / "policy_lints" / f"snapshot_date={DATE}")
    rows = sorted(table.to_pylist(), key=lambda r: r["json_path"])
    assert [r["role_arn"] for r in rows] == [role["Arn"]] * 3
    assert rows[0]["message"] == "unknown action sqs:SendMesage (did you mean sqs:SendMessage?)"
    manifest = json.loads((lake / "_manifests" / f"snapshot_date={DATE}" / "manifest.json").read_text())
    assert manifest["tables"]["policy_lints"]["rows"] == 3
