"""notebooks/trends.ipynb: executed headless on the fixture lake, and kept
with its outputs cleared in git."""
import json
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "trends.ipynb"


def analyzed_dates(lake: Path) -> list:
    return sorted(p.parent.name.split("=", 1)[1]
                  for p in (lake / "_manifests" / "analyze").glob("snapshot_date=*/manifest.json"))


def execute(lake: Path, monkeypatch, tmp_path):
    monkeypatch.setenv("IAMLAKE_LAKE", str(lake))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # Raises CellExecutionError, with the cell and traceback, on any error.
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def test_notebook_runs_on_the_fixture_lake(default_lake, monkeypatch, tmp_path):
    nb = execute(default_lake, monkeypatch, tmp_path)
    assert outputs(nb, "error") == []
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
    assert len(images) >= 5, f"expected the five charts, got {len(images)} images"
    text = "".join(o.get("text", "") for o in outputs(nb, "stream"))
    dates = analyzed_dates(default_lake)
    assert f"analyzed dates: {len(dates)} ({dates[0]} to {dates[-1]})" in text
    check_audit_numbers(default_lake, dates[-1], text)


def check_audit_numbers(lake: Path, date: str, text: str):
    """The notebook's unused roles per team and credential findings per
    account, against team_summary and credential_findings read with pyarrow."""
    import pyarrow.parquet as pq

    manifest = json.loads((lake / "_manifests" / "analyze" / f"snapshot_date={date}" / "manifest.json").read_text())
    read = lambda table: [r for f in manifest["tables"][table]["files"]
                          for r in pq.read_table(lake / f["path"]).to_pylist()]
    teams = read("team_summary")
    lines = sorted(line for line in text.splitlines() if line.startswith("unused roles of "))
    expected = sorted(
        f"unused roles of {t['owner_team']}: {t['unused_roles_open']} not reviewed, {t['unused_roles_to_delete']} to delete, "
        f"{t['unused_roles_kept']} kept, {t['unused_roles_done']} done, {t['unused_roles_new']} new, "
        f"{t['unused_roles_outside_org']} trusted outside the organization, "
        f"{t['unused_service_linked_roles']} service-linked apart"
        for t in teams
        if t["unused_roles_open"] + t["unused_roles_to_delete"] + t["unused_roles_kept"] + t["unused_roles_done"]
        + t["unused_service_linked_roles"] > 0)
    assert expected, "the fixture lake has no unused role: this check would prove nothing"
    assert lines == expected

    findings = read("credential_findings")
    names = {r["account_id"]: r["account_name"] for r in read("daily_summary") if r["scope"] == "account"}
    kinds = ["access_key_unused", "access_key_old", "console_without_mfa", "inactive_user"]
    lines = [line for line in text.splitlines() if line.startswith("credential findings of ")]
    assert lines == [
        f"credential findings of {names[a]} ({a}): " + ", ".join(
            f"{k} {sum(f['account_id'] == a and f['finding'] == k for f in findings)}" for k in kinds)
        for a in sorted(names)]
    assert findings, "the fixture lake has no credential finding: this check would prove nothing"
    # Per owner team of the users (analyze's owner chain), with the users concerned.
    teams = sorted({f["owner_team"] for f in findings})
    assert len(teams) > 1, teams
    lines = [line for line in text.splitlines() if line.startswith("credential findings for team ")]
    assert lines == [
        f"credential findings for team {t}: {len({(f['account_id'], f['user']) for f in findings if f['owner_team'] == t})} users, "
        + ", ".join(f"{k} {sum(f['owner_team'] == t and f['finding'] == k for f in findings)}" for k in kinds)
        for t in teams]


def test_notebook_reads_only_manifest_complete_dates(default_lake, monkeypatch, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(default_lake, lake)
    dates = analyzed_dates(lake)
    # The latest date loses its manifest, as after an interrupted analyze run.
    (lake / "_manifests" / "analyze" / f"snapshot_date={dates[-1]}" / "manifest.json").unlink()
    nb = execute(lake, monkeypatch, tmp_path)
    text = "".join(o.get("text", "") for o in outputs(nb, "stream"))
    assert f"analyzed dates: {len(dates) - 1} ({dates[0]} to {dates[-2]})" in text


def test_committed_notebook_has_no_outputs():
    raw = json.loads(NOTEBOOK.read_text())
    nbformat.validate(nbformat.reads(NOTEBOOK.read_text(), as_version=4))
    for i, cell in enumerate(raw["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} has outputs: clear them before committing"
            assert cell["execution_count"] is None, f"cell {i} has an execution count"
    assert "widgets" not in raw["metadata"]


def test_notebook_reads_an_s3_lake(default_lake, moto_s3, monkeypatch, tmp_path):
    """The same notebook on an s3:// lake, served by moto's S3 on 127.0.0.1."""
    import boto3

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(k, v)
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1")
    s3.create_bucket(Bucket="iamlake-test")
    for path in default_lake.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "iamlake-test", "lake/" + path.relative_to(default_lake).as_posix())
    host_port = moto_s3.removeprefix("http://")
    uri = f"s3://iamlake-test/lake?endpoint_override={host_port}&scheme=http&region=us-east-1"
    nb = execute(uri, monkeypatch, tmp_path)
    assert outputs(nb, "error") == []
    text = "".join(o.get("text", "") for o in outputs(nb, "stream"))
    dates = analyzed_dates(default_lake)
    assert f"analyzed dates: {len(dates)} ({dates[0]} to {dates[-1]})" in text
