#!/usr/bin/env python3
"""Loopback AWS emulator for iamlake's live-collection tests.

Runs moto (IAM, STS, Organizations) in this process on a private port and a
small HTTP proxy in front of it, on 127.0.0.1 only. The proxy

  (a) serves iam:GenerateServiceLastAccessedDetails and
      iam:GetServiceLastAccessedDetails (moto has neither) from seeded JSON:
      jobs complete `job_complete_after_ms` after generation and after
      `job_min_polls` polls; roles matching `never_finish` never complete;
      answers are paged by Marker (`advisor_page_size` services a page);
  (b) pages iam:GetAccountAuthorizationDetails by MaxItems/Marker (moto
      returns everything at once) and, like AWS, lists only the AWS managed
      policies that are attached to something;
  (c) injects faults set on the control endpoint: throttling storms (HTTP 400
      `Throttling` / `TooManyRequestsException`), HTTP 500 bursts, slow
      answers, AccessDenied on sts:AssumeRole into given accounts or with
      a wrong sts:ExternalId;
  (d) forwards everything else to moto and counts requests per
      `service:Action`, overall and per account;
  (e) optionally behaves like a rate-limited AWS endpoint: a token bucket per
      (service, account) answers requests over the rate with the service's
      real throttling error, and a fixed latency is added to every answer.
      Off by default (no limit, no latency).

The account of a request is the one its access key belongs to: keys handed
out by sts:AssumeRole (through this proxy) belong to the assumed role's
account, every other key to the management account 123456789012.

Control endpoint (JSON, same port, path prefix /__control/):
  GET  /__control/counts   -> {"total": {key: n}, "by_account": {acct: {key: n}}}
  POST /__control/reset    -> clears counts and faults (keeps seeded data)
  POST /__control/faults   -> merges the posted object into the fault config
  POST /__control/advisor  -> {role_arn: [ServiceLastAccessed objects]} seeds data
  GET  /__control/faults   -> the fault config
  POST /__control/limits   -> merges the posted object into the limits (and
                              refills every bucket)
  GET  /__control/limits   -> the limits

`counts` also holds, for rate-limited services only:
  "limited":  {acct: {key: n}}, the requests the limiter answered with a
              throttling error (also counted in "total" and "by_account",
              which count every request received);
  "admitted": {acct: {"n", "first", "last", "longest_gap"}}: the requests it
              let through, the first and last one's time (seconds, monotonic
              clock) and the longest wait between two of them.

Fault config keys:
  throttle: {"count": N, "every": K, "actions": [..]|null, "accounts": [..]|null}
            (N answers, on 1 matching request of every K; K defaults to 1)
  error500: {"count": N, "actions": [..]|null, "accounts": [..]|null}
  slow:     {"count": N, "delay_ms": D, "actions": [..]|null, "accounts": [..]|null}
  deny_assume_role: [account ids]
  external_id: "ID": sts:AssumeRole without this ExternalId is denied, as the
            seeded trust policies' sts:ExternalId condition would be in AWS
            (moto does not evaluate trust policies)
  never_finish: [substrings of role ARNs]
  job_complete_after_ms: int (default 0)
  job_min_polls: int (default 0: the first poll after completion time answers)
  advisor_page_size: int (default 50)

Limits keys (kept by /__control/reset, which only refills the buckets):
  rates:      {service: {"rate": R, "burst": B}}: at most R requests a second
              per account to `service` (iam, sts, organizations: the signing
              name), B at once after a quiet spell (default B = R, at least
              1); a rate of 0 or null lifts the limit. Over-rate requests get
              HTTP 400 `Throttling` "Rate exceeded" (query protocol: IAM,
              STS) or `TooManyRequestsException` (JSON: Organizations), and
              take no token.
  latency_ms: added to every AWS answer, throttled ones included (default 0).

Usage: front.py [--port P] [--host 127.0.0.1] [--rate iam=10[:BURST]]...
                [--latency-ms L]
Prints "READY port=P" on stdout when serving; exits when stdin closes (so a
test harness that dies takes the emulator with it) or on SIGTERM.
"""

import argparse
import base64
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
MANAGEMENT_ACCOUNT = "123456789012"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(ts):
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenBucket:
    """`rate` tokens a second, at most `burst` in store; starts full."""

    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.tokens = self.burst
        self.stamp = time.monotonic()

    def take(self):
        """Takes one token if there is one (callers hold the state lock)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.by_account = {}
        self.faults = {}
        self.advisor = {}  # role arn -> [services]
        self.jobs = {}  # job id -> dict
        self.key_account = {}  # access key id -> account id
        self.limits = {"rates": {}, "latency_ms": 0}
        self.buckets = {}  # (service, account) -> TokenBucket
        self.limited = {}  # account -> {key: n} answered by the limiter
        self.admitted = {}  # account -> {n, first, last, longest_gap} let through it

    def reset(self):
        with self.lock:
            self.counts = {}
            self.by_account = {}
            self.faults = {}
            self.jobs = {}
            self.buckets = {}
            self.limited = {}
            self.admitted = {}

    def set_limits(self, data):
        """Merges `data` into the limits; every bucket starts full again."""
        with self.lock:
            for service, spec in (data.get("rates") or {}).items():
                spec = spec if isinstance(spec, dict) else {"rate": spec}
                rate, burst = spec.get("rate"), spec.get("burst")
                if not rate:
                    self.limits["rates"].pop(service, None)
                    continue
                self.limits["rates"][service] = {"rate": float(rate),
                                                 "burst": max(1.0, float(burst or rate))}
            if "latency_ms" in data:
                self.limits["latency_ms"] = max(0.0, float(data["latency_ms"] or 0))
            self.buckets = {}
            return json.loads(json.dumps(self.limits))

    def admit(self, service, key, account):
        """Whether the rate limit of `service` in `account` lets a request
        through now; counts the ones it turns away."""
        with self.lock:
            spec = self.limits["rates"].get(service)
            if not spec:
                return True
            bucket = self.buckets.get((service, account))
            if bucket is None:
                bucket = self.buckets[(service, account)] = TokenBucket(spec["rate"], spec["burst"])
            if bucket.take():
                now = time.monotonic()
                w = self.admitted.setdefault(account, {"n": 0, "first": now, "last": now, "longest_gap": 0.0})
                w["n"] += 1
                w["longest_gap"] = max(w["longest_gap"], now - w["last"])
                w["last"] = now
                return True
            acct = self.limited.setdefault(account, {})
            acct[key] = acct.get(key, 0) + 1
            return False

    def count(self, key, account):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            acct = self.by_account.setdefault(account or "unknown", {})
            acct[key] = acct.get(key, 0) + 1

    def take_fault(self, name, action, account):
        """Consumes one fault of kind `name` matching the request, if any."""
        with self.lock:
            f = self.faults.get(name)
            if not f or f.get("count", 0) <= 0:
                return None
            if f.get("actions") and action not in f["actions"]:
                return None
            if f.get("accounts") and account not in f["accounts"]:
                return None
            # every: fire on 1 of `every` matching requests (a storm that
            # throttles part of the traffic, as AWS does), the first included.
            f["seen"] = f.get("seen", 0) + 1
            if (f["seen"] - 1) % max(1, int(f.get("every", 1))) != 0:
                return None
            f["count"] -= 1
            f["used"] = f.get("used", 0) + 1
            return dict(f)


STATE = State()
MOTO_PORT = None


def xml_response(action, result_xml, ns=IAM_NS):
    return (
        f'<{action}Response xmlns="{ns}"><{action}Result>{result_xml}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    ).encode()


def xml_error(code, message, status, ns=IAM_NS):
    body = (
        f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    return status, {"Content-Type": "text/xml"}, body


def json_error(code, message, status):
    body = json.dumps({"__type": code, "Message": message}).encode()
    return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body


def throttling_error(is_json):
    """What AWS answers over the rate: IAM/STS (query protocol) and
    Organizations (JSON) spell it differently."""
    if is_json:
        return json_error("TooManyRequestsException", "Rate exceeded", 400)
    return xml_error("Throttling", "Rate exceeded", 400)


def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def services_xml(services):
    out = []
    for s in services:
        parts = [f"<ServiceName>{esc(s['ServiceName'])}</ServiceName>",
                 f"<ServiceNamespace>{esc(s['ServiceNamespace'])}</ServiceNamespace>"]
        for k in ("LastAuthenticated", "LastAuthenticatedEntity", "LastAuthenticatedRegion",
                  "TotalAuthenticatedEntities"):
            if s.get(k) is not None:
                parts.append(f"<{k}>{esc(s[k])}</{k}>")
        actions = s.get("TrackedActionsLastAccessed")
        if actions is not None:
            parts.append("<TrackedActionsLastAccessed>")
            for a in actions:
                parts.append("<member>")
                for k in ("ActionName", "LastAccessedEntity", "LastAccessedTime", "LastAccessedRegion"):
                    if a.get(k) is not None:
                        parts.append(f"<{k}>{esc(a[k])}</{k}>")
                parts.append("</member>")
            parts.append("</TrackedActionsLastAccessed>")
        out.append("<member>" + "".join(parts) + "</member>")
    return "".join(out)


def encode_marker(i):
    return base64.urlsafe_b64encode(f"offset:{i}".encode()).decode()


def decode_marker(m):
    if not m:
        return 0
    try:
        return int(base64.urlsafe_b64decode(m.encode()).decode().split(":", 1)[1])
    except Exception:
        return -1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's
        # algorithm and delayed ACKs add 40 ms to every answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing -----------------------------------------------------------
    def send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() in ("content-length", "transfer-encoding", "connection", "server", "date"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        body = self.read_body()
        if self.path.startswith("/__control/"):
            return self.control(method, body)
        try:
            status, headers, out = self.aws(method, body)
        except Exception as e:  # a bug here must show, not hang the client
            status, headers, out = 500, {"Content-Type": "text/plain"}, repr(e).encode()
        self.send(status, headers, out)

    def control(self, method, body):
        path = self.path[len("/__control/"):]
        data = json.loads(body or b"{}") if method == "POST" else None
        if path == "counts":
            with STATE.lock:
                out = {"total": dict(STATE.counts), "by_account": json.loads(json.dumps(STATE.by_account)),
                       "limited": json.loads(json.dumps(STATE.limited)),
                       "admitted": json.loads(json.dumps(STATE.admitted))}
        elif path == "reset":
            STATE.reset()
            out = {"ok": True}
        elif path == "faults" and method == "POST":
            with STATE.lock:
                STATE.faults.update(data)
                out = STATE.faults
        elif path == "faults":
            with STATE.lock:
                out = STATE.faults
        elif path == "limits" and method == "POST":
            out = STATE.set_limits(data)
        elif path == "limits":
            with STATE.lock:
                out = json.loads(json.dumps(STATE.limits))
        elif path == "advisor":
            with STATE.lock:
                STATE.advisor.update(data)
                out = {"roles": len(STATE.advisor)}
        else:
            return self.send(404, {"Content-Type": "application/json"}, b'{"error":"unknown control path"}')
        self.send(200, {"Content-Type": "application/json"}, json.dumps(out).encode())

    # -- AWS ----------------------------------------------------------------
    def aws(self, method, body):
        auth = self.headers.get("Authorization", "")
        service, akid = "unknown", None
        if "Credential=" in auth:
            cred = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
            akid = cred[0]
            if len(cred) >= 4:
                service = cred[3]
        target = self.headers.get("X-Amz-Target")
        params = {}
        if target:
            action = target.rsplit(".", 1)[-1]
        else:
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if not params and "?" in self.path:
                params = dict(urllib.parse.parse_qsl(self.path.split("?", 1)[1]))
            action = params.get("Action", "unknown")
        with STATE.lock:
            account = STATE.key_account.get(akid, MANAGEMENT_ACCOUNT)
        key = f"{service}:{action}"
        STATE.count(key, account)
        is_json = bool(target)

        admitted = STATE.admit(service, key, account)
        with STATE.lock:
            latency = STATE.limits["latency_ms"]
        if latency:
            time.sleep(latency / 1000.0)
        if not admitted:
            return throttling_error(is_json)
        f = STATE.take_fault("slow", action, account)
        if f:
            time.sleep(f.get("delay_ms", 1000) / 1000.0)
        if STATE.take_fault("throttle", action, account):
            return throttling_error(is_json)
        if STATE.take_fault("error500", action, account):
            if is_json:
                return json_error("ServiceException", "Internal failure (injected)", 500)
            return xml_error("ServiceFailure", "Internal failure (injected)", 500)

        if service == "sts" and action == "AssumeRole":
            role_arn = params.get("RoleArn", "")
            target_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
            with STATE.lock:
                denied = target_account in STATE.faults.get("deny_assume_role", [])
                expected_id = STATE.faults.get("external_id")
            if expected_id is not None and params.get("ExternalId") != expected_id:
                denied = True
            if denied:
                return xml_error(
                    "AccessDenied",
                    f"User: arn:aws:iam::{account}:user/collector is not authorized to perform: "
                    f"sts:AssumeRole on resource: {role_arn}",
                    403,
                    ns=STS_NS,
                )
            status, headers, out = self.forward(method, body)
            if status == 200:
                try:
                    root = ET.fromstring(out)
                    ak = root.find(f".//{{{STS_NS}}}AccessKeyId")
                    if ak is not None:
                        with STATE.lock:
                            STATE.key_account[ak.text] = target_account
                except ET.ParseError:
                    pass
            return status, headers, out
        if service == "iam" and action == "GenerateServiceLastAccessedDetails":
            return self.generate_job(params)
        if service == "iam" and action == "GetServiceLastAccessedDetails":
            return self.get_job(params)
        if service == "iam" and action == "GetAccountAuthorizationDetails":
            status, headers, out = self.forward(method, body)
            if status != 200:
                return status, headers, out
            return status, headers, self.page_gaad(out, params)
        return self.forward(method, body)

    def forward(self, method, body):
        conn = http.client.HTTPConnection("127.0.0.1", MOTO_PORT, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            conn.request(method, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            out = resp.read()
            return resp.status, dict(resp.getheaders()), out
        finally:
            conn.close()

    # -- GetAccountAuthorizationDetails paging ------------------------------
    def page_gaad(self, out, params):
        ET.register_namespace("", IAM_NS)
        root = ET.fromstring(out)
        ns = {"i": IAM_NS}
        res = root.find("i:GetAccountAuthorizationDetailsResult", ns)
        pols = res.find("i:Policies", ns)
        # Roles, users and groups are paged like AWS pages them, with the
        # policies, in one item sequence.
        lists = {tag: res.find(f"i:{tag}", ns) for tag in ("RoleDetailList", "UserDetailList", "GroupDetailList")}
        items = []
        for tag, el in lists.items():
            if el is not None:
                items += [(tag, m) for m in list(el)]
                for m in list(el):
                    el.remove(m)
        if pols is not None:
            for m in list(pols):
                pols.remove(m)
                arn = m.findtext("i:Arn", default="", namespaces=ns)
                attached = int(m.findtext("i:AttachmentCount", default="0", namespaces=ns) or 0)
                if arn.startswith("arn:aws:iam::aws:policy/") and attached == 0:
                    continue  # AWS lists only the AWS managed policies in use
                items.append(("p", m))
        max_items = int(params.get("MaxItems") or 100)
        start = decode_marker(params.get("Marker"))
        if start < 0:
            return xml_error("InvalidInput", "Invalid Marker", 400)[2]
        page = items[start:start + max_items]
        for kind, m in page:
            if kind in lists:
                if lists[kind] is None:
                    lists[kind] = ET.SubElement(res, f"{{{IAM_NS}}}{kind}")
                lists[kind].append(m)
            else:
                if pols is None:
                    pols = ET.SubElement(res, f"{{{IAM_NS}}}Policies")
                pols.append(m)
        truncated = start + max_items < len(items)
        for tag in ("IsTruncated", "Marker"):
            el = res.find(f"i:{tag}", ns)
            if el is not None:
                res.remove(el)
        ET.SubElement(res, f"{{{IAM_NS}}}IsTruncated").text = "true" if truncated else "false"
        if truncated:
            ET.SubElement(res, f"{{{IAM_NS}}}Marker").text = encode_marker(start + max_items)
        return ET.tostring(root, encoding="utf-8")

    # -- Access Advisor -----------------------------------------------------
    def generate_job(self, params):
        arn = params.get("Arn", "")
        if ":role/" not in arn and ":user/" not in arn and ":group/" not in arn and ":policy/" not in arn:
            return xml_error("InvalidInput", f"ARN {esc(arn)} is not valid.", 400)
        job_id = str(uuid.uuid4())
        with STATE.lock:
            never = any(s in arn for s in STATE.faults.get("never_finish", []))
            STATE.jobs[job_id] = {
                "arn": arn,
                "created": time.time(),
                "polls": 0,
                "never": never,
                "granularity": params.get("Granularity", "SERVICE_LEVEL"),
            }
        return 200, {"Content-Type": "text/xml"}, xml_response(
            "GenerateServiceLastAccessedDetails", f"<JobId>{job_id}</JobId>")

    def get_job(self, params):
        job_id = params.get("JobId", "")
        with STATE.lock:
            job = STATE.jobs.get(job_id)
            if job is None:
                return xml_error("NoSuchEntity", f"No job {esc(job_id)}", 404)
            job["polls"] += 1
            after_ms = STATE.faults.get("job_complete_after_ms", 0)
            min_polls = STATE.faults.get("job_min_polls", 0)
            page_size = int(params.get("MaxItems") or 100)
            page_size = min(page_size, STATE.faults.get("advisor_page_size", 50))
            services = list(STATE.advisor.get(job["arn"], []))
        done = (not job["never"]
                and time.time() - job["created"] >= after_ms / 1000.0
                and job["polls"] > min_polls)
        head = (f"<JobCreationDate>{iso(job['created'])}</JobCreationDate>"
                f"<JobType>{job['granularity']}</JobType>")
        if not done:
            return 200, {"Content-Type": "text/xml"}, xml_response(
                "GetServiceLastAccessedDetails",
                f"<JobStatus>IN_PROGRESS</JobStatus>{head}<ServicesLastAccessed/><IsTruncated>false</IsTruncated>")
        if job["granularity"] != "ACTION_LEVEL":
            services = [{k: v for k, v in s.items() if k != "TrackedActionsLastAccessed"} for s in services]
        start = decode_marker(params.get("Marker"))
        if start < 0:
            return xml_error("InvalidInput", "Invalid Marker", 400)
        page = services[start:start + page_size]
        truncated = start + page_size < len(services)
        tail = f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        if truncated:
            tail += f"<Marker>{encode_marker(start + page_size)}</Marker>"
        return 200, {"Content-Type": "text/xml"}, xml_response(
            "GetServiceLastAccessedDetails",
            f"<JobStatus>COMPLETED</JobStatus>{head}"
            f"<JobCompletionDate>{iso(job['created'] + after_ms / 1000.0)}</JobCompletionDate>"
            f"<ServicesLastAccessed>{services_xml(page)}</ServicesLastAccessed>{tail}")


def main():
    global MOTO_PORT
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--moto-port", type=int, default=0)
    ap.add_argument("--no-stdin-watch", action="store_true",
                    help="keep running when stdin closes (for running by hand in the background)")
    ap.add_argument("--rate", action="append", default=[], metavar="SERVICE=RATE[:BURST]",
                    help="limit SERVICE (iam, sts, organizations) to RATE requests/s per account "
                         "(burst BURST, default RATE); repeatable")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="added to every AWS answer")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("front.py serves loopback only")
    rates = {}
    for spec in args.rate:
        try:
            service, value = spec.split("=", 1)
            rate, _, burst = value.partition(":")
            rates[service] = {"rate": float(rate), "burst": float(burst) if burst else None}
        except ValueError:
            sys.exit(f"--rate {spec!r}: expected SERVICE=RATE[:BURST], e.g. iam=10:10")
    STATE.set_limits({"rates": rates, "latency_ms": args.latency_ms})

    from moto.server import ThreadedMotoServer  # after MOTO_* env is set

    MOTO_PORT = args.moto_port or free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    moto.start()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY port={port} moto_port={MOTO_PORT}", flush=True)
    if args.no_stdin_watch:
        threading.Event().wait()
    else:
        try:
            while sys.stdin.read(4096):
                pass
        except (OSError, ValueError):
            pass
    server.shutdown()
    moto.stop()


if __name__ == "__main__":
    main()
