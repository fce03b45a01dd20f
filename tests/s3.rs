//! S3 lakes against a real S3 server on 127.0.0.1: s3s-fs inside the test
//! process, checking every request's SigV4 signature, behind a thin front
//! that logs requests (to check order and encryption headers) and injects
//! faults (failed uploads, slow uploads for a kill mid-write).

use crate::util::{CHECK_PLAN_JSON, SIMULATE_MINI_APP, snapshot_ok};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCESS_KEY: &str = "AKIAIAMLAKETEST";
const SECRET_KEY: &str = "iamlake-test-secret";
const BUCKET: &str = "lake-bucket";
const DATE: &str = "2026-10-01";

/// One request as the front saw it.
#[derive(Debug, Clone)]
struct Logged {
    method: String,
    path: String,
    query: String,
    sse: Option<String>,
    kms_key: Option<String>,
}

/// What the front does besides forwarding.
#[derive(Default)]
struct Faults {
    log: Mutex<Vec<Logged>>,
    /// Data PUTs (objects and parts of `.parquet` files) seen.
    data_puts: AtomicUsize,
    /// Answer data PUTs after this many with 403 AccessDenied.
    deny_data_puts_after: Mutex<Option<usize>>,
    /// Answer the next data PUT with a 500 once.
    fail_once: AtomicBool,
    /// Wait this long before answering each data PUT.
    put_delay: Mutex<Duration>,
}

struct S3Server {
    endpoint: String,
    root: tempfile::TempDir,
    /// The runs' `TMPDIR`, where they stage a partition before uploading it.
    tmp: tempfile::TempDir,
    faults: Arc<Faults>,
}

fn error_response(status: u16, code: &str) -> hyper::Response<s3s::Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the test</Message></Error>"
    );
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(body))
        .unwrap()
}

impl S3Server {
    /// Starts a server with an empty bucket [`BUCKET`].
    fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let service = {
            let mut b = S3ServiceBuilder::new(fs);
            b.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            b.build()
        };
        let faults = Arc::new(Faults::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let state = Arc::clone(&faults);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap().port()).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    let (service, state) = (service.clone(), Arc::clone(&state));
                    tokio::spawn(async move {
                        let handler = hyper::service::service_fn(move |req| {
                            front(service.clone(), Arc::clone(&state), req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), handler)
                            .await;
                    });
                }
            });
        });
        let port = rx.recv().unwrap();
        S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
            tmp: tempfile::tempdir().unwrap(),
            faults,
        }
    }

    /// `s3://lake-bucket/<prefix>`.
    fn uri(&self, prefix: &str) -> String {
        format!("s3://{BUCKET}/{prefix}")
    }

    /// Every object key under `prefix`, as stored (s3s-fs keeps objects as
    /// files under the bucket folder).
    fn keys(&self, prefix: &str) -> BTreeSet<String> {
        fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, base, out);
                } else {
                    let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                    // s3s-fs keeps its own bookkeeping beside objects.
                    if !rel.contains(".s3s-fs") && !rel.starts_with(".") {
                        out.insert(rel);
                    }
                }
            }
        }
        let bucket = self.root.path().join(BUCKET);
        let mut out = BTreeSet::new();
        walk(&bucket.join(prefix), &bucket, &mut out);
        out
    }

    fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.path().join(BUCKET).join(key)).ok()
    }

    fn manifest(&self, prefix: &str, kind_dir: &str) -> Option<Value> {
        let key = format!("{prefix}/{kind_dir}snapshot_date={DATE}/manifest.json");
        self.object(&key)
            .map(|b| serde_json::from_slice(&b).expect("manifest is JSON"))
    }

    /// The upload folders runs left in their `TMPDIR`.
    fn upload_folders(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("iamlake-upload-"))
            .collect()
    }

    fn log(&self) -> Vec<Logged> {
        self.faults.log.lock().unwrap().clone()
    }

    /// The binary with credentials for this server and nothing that could
    /// reach beyond 127.0.0.1 (no profile files, no instance metadata).
    fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("iamlake"));
        cmd.current_dir(std::env::temp_dir())
            .env("TMPDIR", self.tmp.path())
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_S3", &self.endpoint)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        cmd
    }

    fn iamlake(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.command())
    }

    fn snapshot(&self, prefix: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        self.iamlake()
            .args(["snapshot", "--quiet", "--date", DATE])
            .arg(format!("--source=fixtures:{}", fixtures().display()))
            .args(["--lake", &self.uri(prefix)])
            .args(extra)
            .assert()
    }
}

async fn front(
    service: s3s::service::S3Service,
    faults: Arc<Faults>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<s3s::Body>, s3s::HttpError> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let logged = Logged {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or_default().to_string(),
        sse: header("x-amz-server-side-encryption"),
        kms_key: header("x-amz-server-side-encryption-aws-kms-key-id"),
    };
    faults.log.lock().unwrap().push(logged.clone());
    if logged.method == "PUT" && logged.path.ends_with(".parquet") {
        let n = faults.data_puts.fetch_add(1, Ordering::SeqCst) + 1;
        let delay = *faults.put_delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let deny = faults
            .deny_data_puts_after
            .lock()
            .unwrap()
            .is_some_and(|after| n > after);
        let fail = !deny && faults.fail_once.swap(false, Ordering::SeqCst);
        if deny || fail {
            // Read the body so the client sees the answer, not a reset.
            let _ = req.into_body().collect().await;
            return Ok(if deny {
                error_response(403, "AccessDenied")
            } else {
                error_response(500, "InternalError")
            });
        }
    }
    hyper::service::Service::call(&service, req).await
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default")
}

/// The keys a manifest lists, as full object keys.
fn listed(m: &Value, prefix: &str) -> BTreeSet<String> {
    m["tables"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|t| t["files"].as_array().unwrap())
        .map(|f| format!("{prefix}/{}", f["path"].as_str().unwrap()))
        .collect()
}

/// Data objects under the table folders of the lake at `prefix`.
fn data_keys(server: &S3Server, prefix: &str) -> BTreeSet<String> {
    server
        .keys(prefix)
        .into_iter()
        .filter(|k| k.ends_with(".parquet"))
        .collect()
}

fn rows(m: &Value) -> Vec<(String, u64)> {
    m["tables"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(t, e)| (t.clone(), e["rows"].as_u64().unwrap()))
        .collect()
}

#[test]
fn snapshot_and_analyze_an_s3_lake() {
    let server = S3Server::start();
    server.snapshot("iam/prod", &[]).success();

    let m = server
        .manifest("iam/prod", "_manifests/")
        .expect("manifest written");
    // The same rows as a local lake of the same fixtures.
    let local = tempfile::tempdir().unwrap();
    snapshot_ok(&fixtures(), local.path(), DATE);
    let want = crate::util::manifest(local.path(), DATE);
    assert_eq!(rows(&m), rows(&want));
    // The S3 calls before the manifest are counted in it.
    assert!(
        m["metrics"]["api_calls:s3:PutObject"].as_f64().unwrap() >= 4.0,
        "{}",
        m["metrics"]
    );
    assert!(m["metrics"]["api_calls:s3:ListObjectsV2"].as_f64().unwrap() >= 1.0);
    // Every file the manifest lists is there, and nothing else.
    assert_eq!(listed(&m, "iam/prod"), data_keys(&server, "iam/prod"));
    for key in listed(&m, "iam/prod") {
        assert!(
            key.contains(m["snapshot_id"].as_str().unwrap()),
            "{key} carries the run id"
        );
    }

    // Data first, manifest last; every object encrypted with SSE-S3.
    let puts: Vec<Logged> = server
        .log()
        .into_iter()
        .filter(|l| l.method == "PUT")
        .collect();
    assert!(
        puts.last().unwrap().path.ends_with("/manifest.json"),
        "{puts:#?}"
    );
    assert!(
        puts.iter().all(|l| l.sse.as_deref() == Some("AES256")),
        "{puts:#?}"
    );

    // analyze reads the S3 lake with polars and writes its tables back.
    server
        .iamlake()
        .args([
            "analyze",
            "--quiet",
            "--date",
            DATE,
            "--lake",
            &server.uri("iam/prod"),
        ])
        .assert()
        .success();
    crate::util::iamlake()
        .args(["analyze", "--quiet", "--date", DATE])
        .arg("--lake")
        .arg(local.path())
        .assert()
        .success();
    let analyzed = server
        .manifest("iam/prod", "_manifests/analyze/")
        .expect("analyze manifest written");
    let local_analyzed: Value = serde_json::from_slice(
        &std::fs::read(local.path().join(format!(
            "_manifests/analyze/snapshot_date={DATE}/manifest.json"
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(rows(&analyzed), rows(&local_analyzed));
    assert!(rows(&analyzed).iter().any(|(_, n)| *n > 0));

    // So does report.
    let out = local.path().join("report.html");
    server
        .iamlake()
        .args(["report", "--lake", &server.uri("iam/prod"), "--out"])
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains(&format!("data-report-date=\"{DATE}\"")));
    assert!(html.contains("s3://lake-bucket/iam/prod"));

    // suggest reads it too.
    server
        .iamlake()
        .args([
            "suggest",
            "--date",
            DATE,
            "--lake",
            &server.uri("iam/prod"),
            "--role",
        ])
        .arg("arn:aws:iam::000000000000:role/none")
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "no role arn:aws:iam::000000000000:role/none",
        ));
}

#[test]
fn a_rerun_switches_to_the_new_snapshot_and_removes_the_old() {
    let server = S3Server::start();
    server.snapshot("lake", &[]).success();
    let first = server.manifest("lake", "_manifests/").unwrap();
    server.snapshot("lake", &[]).success();
    let second = server.manifest("lake", "_manifests/").unwrap();
    assert_ne!(first["snapshot_id"], second["snapshot_id"]);
    assert_eq!(rows(&first), rows(&second));
    // Only the new run's objects remain.
    assert_eq!(listed(&second, "lake"), data_keys(&server, "lake"));
    assert!(listed(&first, "lake").is_disjoint(&data_keys(&server, "lake")));
    // The new manifest was written before any old object was deleted.
    let log = server.log();
    let manifest_put = log
        .iter()
        .rposition(|l| l.method == "PUT" && l.path.ends_with("/manifest.json"))
        .unwrap();
    let first_delete = log
        .iter()
        .position(|l| l.method == "POST" && l.query.contains("delete"))
        .expect("old objects were deleted");
    assert!(first_delete > manifest_put, "{log:#?}");
}

#[test]
fn kms_encryption_when_a_key_is_given() {
    let server = S3Server::start();
    server
        .snapshot("kms", &["--sse-kms-key-id", "alias/iamlake"])
        .success();
    let puts: Vec<Logged> = server
        .log()
        .into_iter()
        .filter(|l| l.method == "PUT")
        .collect();
    assert!(!puts.is_empty());
    for p in &puts {
        assert_eq!(p.sse.as_deref(), Some("aws:kms"), "{p:?}");
        assert_eq!(p.kms_key.as_deref(), Some("alias/iamlake"), "{p:?}");
    }
}

#[test]
fn a_failed_upload_leaves_the_date_as_it_was() {
    let server = S3Server::start();
    server.snapshot("lake", &[]).success();
    let before = server.object(&format!(
        "lake/_manifests/snapshot_date={DATE}/manifest.json"
    ));
    let keys_before = server.keys("lake");

    // The third data upload of the next run is refused.
    let seen = server.faults.data_puts.load(Ordering::SeqCst);
    *server.faults.deny_data_puts_after.lock().unwrap() = Some(seen + 2);
    server
        .snapshot("lake", &[])
        .failure()
        .stderr(predicates::str::contains("the lake is unchanged"))
        .stderr(predicates::str::contains(format!("s3://{BUCKET}/lake/")))
        .stderr(predicates::str::contains("AccessDenied"));
    // Same manifest, same objects: the uploads that did land were removed.
    assert_eq!(
        server.object(&format!(
            "lake/_manifests/snapshot_date={DATE}/manifest.json"
        )),
        before
    );
    assert_eq!(server.keys("lake"), keys_before);
    // A run that fails removes its local copy of the date itself.
    assert_eq!(server.upload_folders(), Vec::<String>::new());

    // A transient 500 is retried and the run succeeds.
    *server.faults.deny_data_puts_after.lock().unwrap() = None;
    server.faults.fail_once.store(true, Ordering::SeqCst);
    server.snapshot("lake", &[]).success();
    assert!(!server.faults.fail_once.load(Ordering::SeqCst));
    let m = server.manifest("lake", "_manifests/").unwrap();
    assert_eq!(listed(&m, "lake"), data_keys(&server, "lake"));
}

#[test]
fn killed_during_upload_the_old_snapshot_stays_whole() {
    let server = S3Server::start();
    server.snapshot("lake", &[]).success();
    let before = server.manifest("lake", "_manifests/").unwrap();

    *server.faults.put_delay.lock().unwrap() = Duration::from_millis(300);
    let seen = server.faults.data_puts.load(Ordering::SeqCst);
    let mut cmd = server.command();
    let mut child = cmd
        .args(["snapshot", "--quiet", "--date", DATE])
        .arg(format!("--source=fixtures:{}", fixtures().display()))
        .args(["--lake", &server.uri("lake")])
        .spawn()
        .unwrap();
    let start = Instant::now();
    while server.faults.data_puts.load(Ordering::SeqCst) < seen + 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "uploads never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    *server.faults.put_delay.lock().unwrap() = Duration::ZERO;

    // The old manifest is in place and every object it lists is whole.
    let after = server.manifest("lake", "_manifests/").unwrap();
    assert_eq!(after, before);
    for key in listed(&before, "lake") {
        assert!(
            server.object(&key).is_some_and(|b| b.ends_with(b"PAR1")),
            "{key}"
        );
    }
    // The killed run could not remove its local copy of the date.
    assert_eq!(server.upload_folders().len(), 1);

    // The next run replaces it and leaves no orphan of the killed one, in
    // the bucket or in TMPDIR.
    server.snapshot("lake", &[]).success();
    let m = server.manifest("lake", "_manifests/").unwrap();
    assert_eq!(listed(&m, "lake"), data_keys(&server, "lake"));
    assert_eq!(server.upload_folders(), Vec::<String>::new());
}

#[test]
fn shards_on_s3_make_one_date_only_when_all_are_in() {
    let server = S3Server::start();
    server.snapshot("sharded", &["--shard", "1/3"]).success();
    server.snapshot("sharded", &["--shard", "3/3"]).success();
    assert!(server.manifest("sharded", "_manifests/").is_none());
    server.snapshot("sharded", &["--shard", "2/3"]).success();
    let merged = server.manifest("sharded", "_manifests/").expect("complete");
    server.snapshot("whole", &[]).success();
    let whole = server.manifest("whole", "_manifests/").unwrap();
    assert_eq!(rows(&merged), rows(&whole));
    assert_eq!(listed(&merged, "sharded"), data_keys(&server, "sharded"));

    // Re-running one shard replaces its files only; the date stays complete.
    server.snapshot("sharded", &["--shard", "2/3"]).success();
    let again = server.manifest("sharded", "_manifests/").unwrap();
    assert_eq!(rows(&again), rows(&whole));
    assert_eq!(listed(&again, "sharded"), data_keys(&server, "sharded"));
    // A different N is refused before anything is uploaded.
    let keys = server.keys("sharded");
    server
        .snapshot("sharded", &["--shard", "1/2"])
        .failure()
        .stderr(predicates::str::contains("different shard count"));
    assert_eq!(server.keys("sharded"), keys);
}

#[test]
fn a_missing_bucket_fails_before_any_work() {
    let server = S3Server::start();
    server
        .iamlake()
        .args(["snapshot", "--quiet", "--date", DATE])
        .arg(format!("--source=fixtures:{}", fixtures().display()))
        .args(["--lake", "s3://no-such-bucket/x"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "cannot open the lake s3://no-such-bucket/x",
        ))
        .stderr(predicates::str::contains("NoSuchBucket"));
    assert!(server.log().iter().all(|l| l.method == "GET"));
}

#[test]
fn large_files_go_up_in_parts() {
    use aws_credential_types::Credentials;
    use iamlake::lake::s3::{S3Lake, S3Options};
    let server = S3Server::start();
    let sdk = aws_config::SdkConfig::builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                ACCESS_KEY, SECRET_KEY, None, None, "test",
            )),
        )
        .region(aws_config::Region::new("us-east-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let options = S3Options {
        endpoint_url: Some(server.endpoint.clone()),
        part_size: 5 * 1024 * 1024,
        multipart_threshold: 5 * 1024 * 1024,
        ..S3Options::default()
    };
    let lake = S3Lake::open("s3://lake-bucket/big".parse().unwrap(), &sdk, options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    let bytes: Vec<u8> = (0..12 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    lake.put_file(&path, "t/big.parquet").unwrap();
    assert_eq!(server.object("big/t/big.parquet").unwrap(), bytes);
    let log = server.log();
    let parts = log
        .iter()
        .filter(|l| l.query.contains("partNumber"))
        .count();
    assert_eq!(parts, 3, "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.method == "POST" && l.query.contains("uploads"))
    );
    assert!(
        log.iter()
            .any(|l| l.method == "POST" && l.query.contains("uploadId"))
    );
}

#[test]
fn simulate_and_check_plan_read_an_s3_lake() {
    let server = S3Server::start();
    let mini = crate::util::data("mini");
    server
        .iamlake()
        .args(["snapshot", "--quiet", "--date", DATE])
        .arg(format!("--source=fixtures:{}", mini.display()))
        .args(["--lake", &server.uri("mini")])
        .assert()
        .success();
    let local = tempfile::tempdir().unwrap();
    snapshot_ok(&mini, local.path(), DATE);
    // The same answers from the S3 lake as from a local copy.
    let both = |args: &[&str]| {
        let from_s3 = server
            .iamlake()
            .args(args)
            .args(["--lake", &server.uri("mini")])
            .output()
            .unwrap();
        let from_local = crate::util::iamlake()
            .args(args)
            .arg("--lake")
            .arg(local.path())
            .output()
            .unwrap();
        assert_eq!(from_s3.status.code(), from_local.status.code(), "{args:?}");
        let mut s3: Value = serde_json::from_slice(&from_s3.stdout).unwrap();
        let mut local: Value = serde_json::from_slice(&from_local.stdout).unwrap();
        // check-plan names where managed policies came from: the lake.
        if let Some(source) = s3
            .as_object_mut()
            .and_then(|o| o.remove("managed_policies_source"))
        {
            assert!(
                source
                    .as_str()
                    .unwrap()
                    .contains("lake s3://lake-bucket/mini snapshot")
            );
            local
                .as_object_mut()
                .unwrap()
                .remove("managed_policies_source");
        }
        // ... as do the deployed context and the note that the account is not known.
        for report in [&mut s3, &mut local] {
            if let Some(unknowns) = report.get_mut("unknowns").and_then(Value::as_array_mut) {
                unknowns.retain(|u| u["what"] != "account");
            }
        }
        if let Some(d) = s3.get_mut("deployed").filter(|d| d.is_object()) {
            assert_eq!(d["lake"], "s3://lake-bucket/mini");
            d["lake"] = local["deployed"]["lake"].clone();
        }
        assert_eq!(s3, local, "{args:?}");
        s3
    };
    let explained = both(&SIMULATE_MINI_APP);
    assert!(!explained["decisions"].as_array().unwrap().is_empty());
    let plan = crate::util::data("plan/managed.json");
    // verify-simulator reads the S3 lake before any other call: a date
    // without a snapshot is refused naming it.
    server
        .iamlake()
        .args(["verify-simulator", "--date", "2026-09-30", "--sample", "1"])
        .args(["--lake", &server.uri("mini")])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "lake s3://lake-bucket/mini: no snapshot for 2026-09-30",
        ));
    let mut args = CHECK_PLAN_JSON.to_vec();
    args.push(plan.to_str().unwrap());
    both(&args);
    // Deployed roles and SCPs read from S3: the same verdicts as from the folder.
    let attach = crate::util::data("plan/lake_attach.json");
    let mut args = CHECK_PLAN_JSON.to_vec();
    args.extend([attach.to_str().unwrap(), "--account", "111111111111"]);
    let report = both(&args);
    assert_eq!(report["violations"].as_array().unwrap().len(), 3);
    assert_eq!(report["already_allowed"].as_array().unwrap().len(), 4);
    assert_eq!(report["deployed"]["scps"], 4);
}

#[test]
fn s3_flags_on_a_folder_lake_are_refused_before_any_write() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    crate::util::iamlake()
        .args([
            "snapshot",
            "--quiet",
            "--date",
            DATE,
            "--sse-kms-key-id",
            "k",
        ])
        .arg(format!("--source=fixtures:{}", fixtures().display()))
        .arg("--lake")
        .arg(&lake)
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "--sse-kms-key-id and --s3-endpoint-url apply only to an s3:// lake",
        ));
    assert!(!lake.exists());
}

#[test]
fn terraform_states_are_read_from_an_s3_backend_prefix() {
    let server = S3Server::start();
    // As Terraform's S3 backend stores a workspace's state: env:/<ws>/<key>.
    let key_dir = server
        .root
        .path()
        .join(BUCKET)
        .join("tfstate/env:/prod/iam");
    std::fs::create_dir_all(&key_dir).unwrap();
    std::fs::write(
        key_dir.join("terraform.tfstate"),
        crate::analyze::mini_state(),
    )
    .unwrap();
    // Not a state: skipped.
    std::fs::write(key_dir.join("terraform.tfstate.lock.info"), "{}").unwrap();
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&crate::util::data("mini"), &lake, DATE);
    let cfg = crate::analyze::mini_owners_config(work.path());
    server
        .iamlake()
        .args(["analyze", "--quiet", "--date", DATE, "--lake"])
        .arg(&lake)
        .args(["--terraform-state", &server.uri("tfstate")])
        .arg("--owners-config")
        .arg(&cfg)
        .assert()
        .success();
    let owners = crate::analyze::role_owners(&lake);
    assert_eq!(owners["bounded"].0, "security");
    assert_eq!(owners["bounded"].1, "terraform");
    let t = crate::util::read_table(&lake, "role_owners", DATE);
    let states: BTreeSet<String> = (0..t.num_rows())
        .filter_map(|i| crate::util::str_at(&t, "iac_state", i))
        .collect();
    assert_eq!(
        states,
        BTreeSet::from(["s3://lake-bucket/tfstate/env:/prod/iam/terraform.tfstate".to_string()])
    );
    // A prefix without states is an error naming it.
    server
        .iamlake()
        .args(["analyze", "--quiet", "--date", DATE, "--lake"])
        .arg(&lake)
        .args(["--terraform-state", &server.uri("nothing-here")])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "s3://lake-bucket/nothing-here: prefix: no *.tfstate object under it",
        ));
}
