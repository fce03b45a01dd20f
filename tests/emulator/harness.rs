//! Starts the AWS emulator for tests: moto in server mode behind front.py on
//! a free port of 127.0.0.1, seeded by seed.py. Shared by the unit tests
//! (src/source/aws/emulator_tests.rs) and the binary's tests
//! (tests/live.rs) through `#[path]`, so test-only code stays out of the
//! library's API and there is one copy of it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// A running, seeded emulator. front.py exits when its stdin closes, i.e.
/// with this value or, for one kept in a `static`, with the test process.
pub struct Emulator {
    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub endpoint: String,
    /// What seed.py created: accounts, roles per account, external id.
    pub seeded: Value,
    port: u16,
    child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Starts front.py with the Python named by `IAMLAKE_EMULATOR_PYTHON`
    /// (one with `moto[server]`; ./scripts/test sets it) and seeds it.
    pub fn start() -> Emulator {
        let python = std::env::var("IAMLAKE_EMULATOR_PYTHON").unwrap_or_else(|_| {
            panic!(
                "IAMLAKE_EMULATOR_PYTHON is not set: it must name a Python with moto[server] \
                 installed (./scripts/test sets it), e.g. `python3 -m venv /tmp/motovenv && \
                 /tmp/motovenv/bin/pip install 'moto[server]'` then \
                 IAMLAKE_EMULATOR_PYTHON=/tmp/motovenv/bin/python"
            )
        });
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/emulator");
        let mut child = Command::new(&python)
            .arg(dir.join("front.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("IAMLAKE_EMULATOR_PYTHON={python}: cannot run it: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("front.py stdout");
        let port: u16 = line
            .strip_prefix("READY port=")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("front.py did not start (is moto[server] installed for {python}?): {line:?}")
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("seeded.json");
        let status = Command::new(&python)
            .arg(dir.join("seed.py"))
            .args(["--endpoint", &endpoint, "--out"])
            .arg(&out)
            .status()
            .expect("run seed.py");
        assert!(status.success(), "seed.py failed: {status}");
        let seeded = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        Emulator {
            endpoint,
            seeded,
            port,
            child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
            _dir: tmp,
        }
    }

    /// One request to front.py's control API (`/__control/<path>`: faults,
    /// reset, counts, limits), answered with JSON.
    pub fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} /__control/{path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, json) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(" 200 "), "control {path}: {head}");
        serde_json::from_str(json).unwrap()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}
