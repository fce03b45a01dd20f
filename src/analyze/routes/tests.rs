//! Routing against a local HTTP server on 127.0.0.1 that checks each
//! payload against the vendor's documented schema (required fields and
//! size limits), answers with scripted statuses (429, 5xx) to exercise the
//! retries, and records what arrived.

use super::*;
use crate::analyze::compute::{AlertUnused, SensitiveFix};
use crate::analyze::grants::Grant;
use chrono::NaiveDate;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct Req {
    path: String,
    headers: BTreeMap<String, String>,
    body: Value,
}

struct Server {
    base: String,
    reqs: Arc<Mutex<Vec<Req>>>,
    /// Per path, statuses answered in turn before the normal answer.
    script: Arc<Mutex<BTreeMap<String, VecDeque<u16>>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let reqs = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<BTreeMap<String, VecDeque<u16>>>> = Arc::default();
        let (r, s) = (reqs.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).unwrap_or(0) == 0 {
                    continue;
                }
                let path = first.split(' ').nth(1).unwrap_or("").to_string();
                let mut headers = BTreeMap::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let len = headers
                    .get("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let scripted = s.lock().unwrap().get_mut(&path).and_then(|q| q.pop_front());
                let (status, answer) = match scripted {
                    Some(code) => (code, String::from("{\"message\":\"scripted\"}")),
                    None => {
                        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        match check(&path, &headers, &body) {
                            Err(why) => (400, json!({"error": why}).to_string()),
                            Ok(()) => {
                                let n = r.lock().unwrap().len();
                                r.lock().unwrap().push(Req {
                                    path: path.clone(),
                                    headers: headers.clone(),
                                    body,
                                });
                                if path == "/v2/alerts" {
                                    (202, json!({"result": "Request will be processed", "took": 0.1, "requestId": format!("req-{n}")}).to_string())
                                } else if path.ends_with("/issue") {
                                    (201, json!({"id": "10000", "key": format!("SEC-{n}"), "self": "x"}).to_string())
                                } else {
                                    (200, "ok".into())
                                }
                            }
                        }
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Server { base, reqs, script }
    }

    fn fail(&self, path: &str, statuses: &[u16]) {
        self.script
            .lock()
            .unwrap()
            .insert(path.into(), statuses.iter().copied().collect());
    }

    fn got(&self, path: &str) -> Vec<Req> {
        self.reqs
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(usize::MAX, |s| s.chars().count())
}

/// Each vendor's documented request schema: required fields, types, sizes.
fn check(path: &str, headers: &BTreeMap<String, String>, b: &Value) -> Result<(), String> {
    let need = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
    if path.starts_with("/services/") {
        // Slack incoming webhook, Block Kit.
        need(chars(&b["text"]) <= SLACK_SECTION_MAX, "text")?;
        let blocks = b["blocks"].as_array().ok_or("blocks")?;
        need(
            !blocks.is_empty() && blocks.len() <= SLACK_BLOCKS_MAX,
            "blocks count",
        )?;
        for bl in blocks {
            match bl["type"].as_str() {
                Some("header") => need(
                    bl["text"]["type"] == "plain_text" && chars(&bl["text"]["text"]) <= 150,
                    "header",
                )?,
                Some("section") => need(
                    matches!(bl["text"]["type"].as_str(), Some("mrkdwn" | "plain_text"))
                        && chars(&bl["text"]["text"]) <= 3000
                        && chars(&bl["text"]["text"]) >= 1,
                    "section",
                )?,
                Some("context") => {
                    let el = bl["elements"].as_array().ok_or("context elements")?;
                    need(!el.is_empty() && el.len() <= 10, "context")?
                }
                _ => return Err(format!("block type {}", bl["type"])),
            }
        }
        Ok(())
    } else if path == "/v2/alerts" {
        // Opsgenie Alert API: create alert.
        need(
            headers.get("authorization").map(String::as_str) == Some("GenieKey og-key-1"),
            "GenieKey authorization",
        )?;
        need(
            chars(&b["message"]) >= 1 && chars(&b["message"]) <= 130,
            "message",
        )?;
        need(chars(&b["alias"]) <= 512, "alias")?;
        need(chars(&b["description"]) <= 15000, "description")?;
        need(chars(&b["entity"]) <= 512, "entity")?;
        need(chars(&b["source"]) <= 100, "source")?;
        need(
            matches!(
                b["priority"].as_str(),
                Some("P1" | "P2" | "P3" | "P4" | "P5")
            ),
            "priority",
        )?;
        let tags = b["tags"].as_array().ok_or("tags")?;
        need(
            tags.len() <= 20 && tags.iter().all(|t| chars(t) <= 50),
            "tags",
        )?;
        if let Some(r) = b.get("responders") {
            for x in r.as_array().ok_or("responders")? {
                need(
                    x["type"] == "team" && x["name"].is_string(),
                    "responder name/type",
                )?;
            }
        }
        need(
            b["details"]
                .as_object()
                .is_some_and(|d| d.values().all(Value::is_string)),
            "details",
        )
    } else if path.starts_with("/rest/api/") && path.ends_with("/issue") {
        // Jira create issue.
        need(
            headers.get("authorization").map(String::as_str)
                == Some("Basic amlyYS1ib3RAYWNtZS5leGFtcGxlOnRvay0xMjM="),
            "basic auth",
        )?;
        let f = &b["fields"];
        need(f["project"]["key"].is_string(), "project.key")?;
        need(f["issuetype"]["name"].is_string(), "issuetype.name")?;
        let summary = f["summary"].as_str().ok_or("summary")?;
        need(
            !summary.is_empty() && summary.chars().count() <= 255 && !summary.contains('\n'),
            "summary",
        )?;
        if path.contains("/api/3/") {
            let d = &f["description"];
            need(d["type"] == "doc" && d["version"] == 1, "ADF description")?;
            // ADF: paragraphs of text (one line each, non-empty) and hardBreaks.
            for p in d["content"].as_array().ok_or("ADF content")? {
                need(p["type"] == "paragraph", "ADF paragraph")?;
                for n in p["content"].as_array().ok_or("ADF paragraph content")? {
                    match n["type"].as_str() {
                        Some("text") => need(
                            n["text"]
                                .as_str()
                                .is_some_and(|t| !t.is_empty() && !t.contains('\n')),
                            "ADF text node",
                        )?,
                        Some("hardBreak") => {}
                        _ => return Err("ADF node type".into()),
                    }
                }
            }
        } else {
            need(f["description"].is_string(), "wiki description")?;
        }
        let labels = f["labels"].as_array().ok_or("labels")?;
        need(
            labels
                .iter()
                .all(|l| l.as_str().is_some_and(|s| !s.contains(char::is_whitespace))),
            "labels without spaces",
        )
    } else {
        // Generic webhook: today's alert JSON.
        need(
            b["role_arn"].is_string() && b["new_unused_permissions"].is_array(),
            "alert JSON",
        )
    }
}

fn alert(team: &str, role: &str, unused: &[&str], sensitive: &[&str]) -> Candidate {
    Candidate {
        role_id: format!("AROA{role}"),
        alert: Alert {
            snapshot_date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            team: team.into(),
            account_id: "111111111111".into(),
            account_name: Some("prod-a".into()),
            role_name: role.into(),
            role_arn: format!("arn:aws:iam::111111111111:role/{role}"),
            terraform: None,
            new_unused_role: None,
            new_unused_permissions: unused
                .iter()
                .map(|p| AlertUnused {
                    permission: p.to_string(),
                    days_unused: 120,
                    never_used: true,
                    fix: Some(Grant {
                        policy: "inline:app".into(),
                        statement: "statement 0".into(),
                        terraform_address: Some("module.app.aws_iam_role_policy.this[0]".into()),
                        terraform_state: Some("s3://tf/app.tfstate".into()),
                    }),
                })
                .collect(),
            new_sensitive_grants: sensitive.iter().map(|s| s.to_string()).collect(),
            sensitive_grant_fixes: sensitive
                .iter()
                .map(|s| SensitiveFix {
                    action: s.to_string(),
                    fix: Grant {
                        policy: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
                        statement: "statement 0".into(),
                        terraform_address: None,
                        terraform_state: None,
                    },
                })
                .collect(),
        },
    }
}

fn routes_file(dir: &Path, base: &str) -> PathBuf {
    let p = dir.join("routes.toml");
    std::fs::write(
        &p,
        format!(
            r#"
[[destination]]
name = "payments-slack"
kind = "slack"
url_env = "PAYMENTS_SLACK_URL"

[[destination]]
name = "opsgenie"
kind = "opsgenie"
url = "{base}"
api_key_env = "OPSGENIE_KEY"
priority = "P3"

[[destination]]
name = "jira"
kind = "jira"
url = "{base}"
project = "SEC"
issue_type = "Task"
user_env = "JIRA_USER"
token_env = "JIRA_TOKEN"

[[destination]]
name = "everyone"
kind = "webhook"
url = "{base}/hook"

[[destination]]
name = "files"
kind = "file"
dir = "{dir}/alerts"

[[route]]
team = "payments"
to = ["payments-slack", "opsgenie", "jira", "files"]

[[route]]
team = "*"
to = ["everyone", "files"]
"#,
            dir = dir.display()
        ),
    )
    .unwrap();
    p
}

fn env(base: &str) -> impl Fn(&str) -> Option<String> {
    let slack = format!("{base}/services/T0001/B0001/SECRETXYZ");
    move |k| match k {
        "PAYMENTS_SLACK_URL" => Some(slack.clone()),
        "OPSGENIE_KEY" => Some("og-key-1".into()),
        "JIRA_USER" => Some("jira-bot@acme.example".into()),
        "JIRA_TOKEN" => Some("tok-123".into()),
        _ => None,
    }
}

fn seen(rows: &[DeliveryRow]) -> HashSet<(String, String, String, String)> {
    rows.iter()
        .map(|r| {
            (
                r.destination.clone(),
                r.kind.clone(),
                r.role_id.clone(),
                r.item.clone(),
            )
        })
        .collect()
}

#[test]
fn each_destination_gets_a_valid_payload_once_and_a_failed_one_gets_it_next_time() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let routes =
        Routes::load_with(&routes_file(dir.path(), &server.base), env(&server.base)).unwrap();
    let day1 = vec![
        alert(
            "payments",
            "api",
            &["dynamodb", "s3:PutObject"],
            &["iam:PassRole"],
        ),
        alert("web", "site", &["sqs"], &[]),
    ];
    // Slack: 429 then 503, then fine (3 attempts). Jira: down for good.
    server.fail("/services/T0001/B0001/SECRETXYZ", &[429, 503]);
    server.fail("/rest/api/3/issue", &[500, 502, 503, 500]);
    let out = routes.deliver(&day1, &HashSet::new(), 20_000);
    assert_eq!(
        out.sent,
        vec![
            ("payments-slack".to_string(), 1),
            ("opsgenie".to_string(), 1),
            ("jira".to_string(), 0),
            ("everyone".to_string(), 1),
            ("files".to_string(), 2),
        ]
    );
    assert_eq!(out.failures.len(), 1, "{:?}", out.failures);
    assert!(
        out.failures[0].contains("destination jira (jira)")
            && out.failures[0].contains("HTTP 500")
            && out.failures[0].contains("sent next time"),
        "{}",
        out.failures[0]
    );
    // Items per destination: api has 3 items (2 unused, 1 sensitive).
    let count = |d: &str| out.rows.iter().filter(|r| r.destination == d).count();
    assert_eq!(
        (
            count("payments-slack"),
            count("opsgenie"),
            count("jira"),
            count("everyone"),
            count("files")
        ),
        (3, 3, 0, 1, 4)
    );
    let og = server.got("/v2/alerts");
    assert_eq!(og.len(), 1);
    assert_eq!(og[0].body["alias"], "iamlake:111111111111:api");
    assert_eq!(og[0].headers["content-type"], "application/json");
    assert_eq!(
        og[0].body["responders"],
        json!([{"name": "payments", "type": "team"}])
    );
    assert_eq!(
        out.rows
            .iter()
            .find(|r| r.destination == "opsgenie")
            .unwrap()
            .reference
            .as_deref(),
        Some("req-1")
    );
    let slack = server.got("/services/T0001/B0001/SECRETXYZ");
    assert_eq!(slack.len(), 1);
    let text = slack[0].body["blocks"][2]["text"]["text"].as_str().unwrap();
    assert!(
        text.contains("`dynamodb` never used (120 days) — `inline:app` statement 0 → `module.app.aws_iam_role_policy.this[0]`"),
        "{text}"
    );
    assert_eq!(server.got("/hook")[0].body["role_name"], "site");
    let files: Vec<String> = ["payments", "web"]
        .iter()
        .map(|t| std::fs::read_to_string(dir.path().join(format!("alerts/{t}.jsonl"))).unwrap())
        .collect();
    assert_eq!(files[0].lines().count(), 1);
    assert!(files[1].contains("\"role_name\":\"site\""));

    // Requests recorded so far: Slack 0, Opsgenie 1, webhook 2; in the next
    // run Slack 3, Opsgenie 4, Jira 5 (the ids the server answers count them).
    // Next run, same items plus a new one: only Jira (now up) gets the old
    // ones, and every destination gets the new one, once.
    let mut prev = out.rows.clone();
    let day2 = vec![
        alert(
            "payments",
            "api",
            &["dynamodb", "s3:PutObject", "kms"],
            &["iam:PassRole"],
        ),
        alert("web", "site", &["sqs"], &[]),
    ];
    let out2 = routes.deliver(&day2, &seen(&prev), 20_001);
    assert!(out2.failures.is_empty(), "{:?}", out2.failures);
    let items = |d: &str| -> Vec<String> {
        let mut v: Vec<String> = out2
            .rows
            .iter()
            .filter(|r| r.destination == d)
            .map(|r| r.item.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        items("jira"),
        ["dynamodb", "iam:PassRole", "kms", "s3:PutObject"]
    );
    assert_eq!(items("payments-slack"), ["kms"]);
    assert_eq!(items("opsgenie"), ["kms"]);
    assert!(items("everyone").is_empty());
    let jira = server.got("/rest/api/3/issue");
    assert_eq!(jira.len(), 1);
    assert_eq!(jira[0].body["fields"]["project"]["key"], "SEC");
    assert_eq!(
        jira[0].body["fields"]["labels"],
        json!(["iamlake", "team-payments"])
    );
    assert_eq!(
        out2.rows
            .iter()
            .find(|r| r.destination == "jira")
            .unwrap()
            .reference
            .as_deref(),
        Some("SEC-5")
    );
    // A third run with nothing new sends nothing anywhere.
    prev.extend(out2.rows);
    let out3 = routes.deliver(&day2, &seen(&prev), 20_002);
    assert!(out3.rows.is_empty() && out3.sent.iter().all(|(_, n)| *n == 0));
}

#[test]
fn payloads_stay_within_vendor_limits_and_secrets_stay_out_of_errors() {
    let long_role = "r".repeat(64);
    let many: Vec<String> = (0..400).map(|i| format!("svc{i}:Action{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let mut c = alert(
        "payments team with a long name",
        &long_role,
        &many,
        &["iam:PassRole"],
    );
    c.alert.account_name = Some("a".repeat(50));
    let a = &c.alert;
    assert!(check("/services/x", &BTreeMap::new(), &slack_payload(a)).is_ok());
    let section = slack_payload(a)["blocks"][2]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(section.chars().count() <= SLACK_SECTION_MAX);
    assert!(
        section.contains("more"),
        "says how many lines were left out"
    );
    let og = opsgenie_payload(a, "P2");
    assert_eq!(
        og["message"].as_str().unwrap().chars().count(),
        OPSGENIE_MESSAGE_MAX
    );
    assert!(og["message"].as_str().unwrap().ends_with('…'));
    let mut h = BTreeMap::new();
    h.insert("authorization".to_string(), "GenieKey og-key-1".to_string());
    assert!(check("/v2/alerts", &h, &og).is_ok());
    let j = jira_payload(a, "SEC", "Bug", 2);
    h.insert(
        "authorization".to_string(),
        "Basic amlyYS1ib3RAYWNtZS5leGFtcGxlOnRvay0xMjM=".to_string(),
    );
    assert!(check("/rest/api/2/issue", &h, &j).is_ok(), "{j}");
    assert_eq!(
        j["fields"]["labels"][1],
        "team-payments-team-with-a-long-name"
    );
    // unowned has no Opsgenie responder team.
    let u = alert(crate::analyze::owners::UNOWNED, "x", &["s3"], &[]);
    assert!(opsgenie_payload(&u.alert, "P3").get("responders").is_none());

    // A Slack webhook that cannot be reached: the error names the
    // destination, never its URL (the URL is the credential).
    let dir = tempfile::tempdir().unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let routes = Routes::load_with(&routes_file(dir.path(), &dead), env(&dead)).unwrap();
    let out = routes.deliver(
        &[alert("payments", "api", &["s3"], &[])],
        &HashSet::new(),
        1,
    );
    assert!(!out.failures.is_empty());
    for f in &out.failures {
        assert!(
            !f.contains("SECRETXYZ") && !f.contains("og-key-1") && !f.contains("tok-123"),
            "{f}"
        );
    }
    assert!(out.failures[0].starts_with("destination payments-slack (slack)"));
    assert!(!format!("{routes:?}").contains("SECRETXYZ"));
}

#[test]
fn routes_files_are_validated_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = routes_file(dir.path(), "http://127.0.0.1:9");
    let err = Routes::load_with(&p, |_| None).unwrap_err().to_string();
    assert!(
        err.contains("destination[0] (payments-slack)")
            && err.contains("environment variable PAYMENTS_SLACK_URL (url_env) is not set"),
        "{err}"
    );
    std::fs::write(&p, "[[destination]]\nname = \"x\"\nkind = \"pager\"\n").unwrap();
    let err = Routes::load_with(&p, |_| None).unwrap_err().to_string();
    assert!(err.contains("kind \"pager\""), "{err}");
    std::fs::write(
        &p,
        "[[destination]]\nname = \"f\"\nkind = \"file\"\ndir = \"a\"\n\n[[route]]\nteam = \"*\"\nto = [\"g\"]\n",
    )
    .unwrap();
    let err = Routes::load_with(&p, |_| None).unwrap_err().to_string();
    assert!(
        err.contains("route[0]") && err.contains("no destination named \"g\""),
        "{err}"
    );
}
