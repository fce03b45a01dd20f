"""Shared fixtures: the iamlake binary built by scripts/test, and lakes made
with it from the bundled fixtures and the hand-built mini organization."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def iamlake_bin() -> Path:
    path = os.environ.get("IAMLAKE_BIN")
    if not path:
        target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        path = target / "debug" / "iamlake"
    path = Path(path)
    assert path.is_file(), f"{path} is missing: run ./scripts/test, which builds it first"
    return path


def run(bin_path: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(bin_path), *args], capture_output=True, text=True)
    assert proc.returncode == 0, f"iamlake {' '.join(args)} failed:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="session")
def default_lake(iamlake_bin, tmp_path_factory) -> Path:
    """The bundled 30-day fixture series, snapshotted and analyzed by `demo`
    with owners from tags only and no alert delivery: the premise of the SQL
    cross-checks (analyze_reference.sql, the warehouse views), which know
    the role's tag owner but not the owner chain of the demo's bundled
    owners.toml and Terraform states (tested in the Rust suite). Empty
    owners-config and routes files stand in for the bundled ones."""
    work = tmp_path_factory.mktemp("default")
    lake = work / "lake"
    (work / "tags-only.toml").write_text("# owners from tags only\n")
    (work / "no-routes.toml").write_text("# no alert delivery\n")
    run(iamlake_bin, "demo", "--quiet", "--fixtures", str(REPO / "fixtures/default"), "--lake", str(lake),
        "--owners-config", str(work / "tags-only.toml"), "--routes", str(work / "no-routes.toml"))
    return lake


@pytest.fixture(scope="session")
def mini_lake(iamlake_bin, tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("mini") / "lake"
    run(iamlake_bin, "snapshot", "--quiet", "--source", f"fixtures:{REPO / 'tests/data/mini'}",
        "--lake", str(lake), "--date", "2026-10-01")
    return lake


@pytest.fixture(scope="session")
def moto_s3():
    """moto's S3 in server mode on 127.0.0.1 (a free port) for the session;
    yields its endpoint URL."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
