"""The emulator front's per-account rate limiter (tests/emulator/front.py):
it admits about `rate` IAM requests a second per account, each account on its
own bucket, and answers the excess as IAM does (HTTP 400, Throttling, "Rate
exceeded"); the added latency delays every answer. 127.0.0.1 only."""
import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
ACCOUNTS = ["111111111111", "222222222222"]


@pytest.fixture(scope="module")
def front():
    proc = subprocess.Popen([sys.executable, str(REPO / "tests/emulator/front.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("READY port="), f"front.py did not start: {line!r}"
    endpoint = f"http://127.0.0.1:{line.split()[1].split('=')[1]}"
    yield endpoint
    proc.stdin.close()
    proc.wait(timeout=10)


def control(endpoint, path, body=None):
    req = urllib.request.Request(f"{endpoint}/__control/{path}", method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def iam_client(endpoint, account):
    """An IAM client whose keys front.py files under `account` (keys from
    AssumeRole through it belong to the role's account); no retries, so
    every throttle shows."""
    kw = dict(endpoint_url=endpoint, region_name="us-east-1",
              config=Config(retries={"total_max_attempts": 1}, max_pool_connections=8))
    sts = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **kw)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/reader", RoleSessionName="test")["Credentials"]
    return boto3.client("iam", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"], **kw)


def hammer(client, account, seconds, out):
    """Sends requests back to back for `seconds`; tallies answers in `out`."""
    arn = f"arn:aws:iam::{account}:role/app"
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            client.generate_service_last_accessed_details(Arn=arn)  # served by front.py itself: cheap
            out["ok"] += 1
        except ClientError as e:
            err = e.response["Error"]
            out["errors"].append((e.response["ResponseMetadata"]["HTTPStatusCode"], err["Code"], err["Message"]))


def test_limiter_admits_the_rate_per_account_and_throttles_the_rest_like_iam(front):
    clients = {a: iam_client(front, a) for a in ACCOUNTS}
    rate, burst, seconds = 20, 5, 2.0
    limits = control(front, "limits", {"rates": {"iam": {"rate": rate, "burst": burst}}, "latency_ms": 0})
    assert limits["rates"]["iam"] == {"rate": rate, "burst": burst}
    control(front, "reset", {})
    tallies = {a: {"ok": 0, "errors": []} for a in ACCOUNTS}
    threads = [threading.Thread(target=hammer, args=(clients[a], a, seconds, tallies[a]))
               for a in ACCOUNTS for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    control(front, "limits", {"rates": {"iam": None}})

    want = burst + rate * seconds  # a full bucket, then the rate
    counts = control(front, "counts")
    for a in ACCOUNTS:
        t = tallies[a]
        # Each account gets its own rate while the other is throttled too.
        assert 0.8 * want <= t["ok"] <= 1.15 * want + 2, (a, t["ok"], want)
        assert len(t["errors"]) > t["ok"], "the clients must offer well over the rate"
        assert set(t["errors"]) == {(400, "Throttling", "Rate exceeded")}
        assert counts["limited"][a]["iam:GenerateServiceLastAccessedDetails"] == len(t["errors"])
        assert counts["admitted"][a]["n"] == t["ok"]
        assert 0.8 * seconds <= counts["admitted"][a]["last"] - counts["admitted"][a]["first"] <= seconds + 0.5
    assert "123456789012" not in counts["limited"], "STS is not limited unless asked"


def test_latency_delays_every_answer_and_defaults_are_off(front):
    client = iam_client(front, ACCOUNTS[0])
    assert control(front, "limits") == {"rates": {}, "latency_ms": 0}
    control(front, "limits", {"latency_ms": 150})
    try:
        start = time.monotonic()
        for _ in range(3):
            client.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNTS[0]}:role/app")
        assert time.monotonic() - start >= 0.45
    finally:
        control(front, "limits", {"latency_ms": 0})
