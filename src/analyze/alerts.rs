//! Delivers alerts: one JSON record per (team, role) holding only what is
//! new, as JSON lines in a file and/or POSTed to a webhook with retries.

use super::compute::Alert;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Attempts per alert before the webhook counts as down.
const ATTEMPTS: u32 = 4;

/// What can go wrong delivering alerts.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The alerts file could not be written.
    #[error("{}: writing alerts: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The webhook URL is unusable.
    #[error("webhook {url}: {message}")]
    BadUrl { url: String, message: String },
    /// The webhook kept failing.
    #[error(
        "webhook {url}: alert for {team} / {role} not delivered after {attempts} attempts: {last}"
    )]
    Down {
        url: String,
        team: String,
        role: String,
        attempts: u32,
        last: String,
    },
}

/// Writes alerts as JSON lines (temporary file + rename: a reader never sees
/// half a file). An empty list writes an empty file, so "no alerts" is
/// visible too.
pub fn write_jsonl(path: &Path, alerts: &[Alert]) -> Result<(), AlertError> {
    let err = |source| AlertError::File {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("jsonl.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    for a in alerts {
        let line = serde_json::to_string(a).expect("alerts serialize");
        writeln!(f, "{line}").map_err(err)?;
    }
    f.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// The one retry policy of alert delivery: up to [`ATTEMPTS`] tries with
/// exponential backoff (0.2 s, 0.4 s, 0.8 s) on connection errors, timeouts,
/// 429 and 5xx; any other answer is final. Returns the successful response,
/// or the last failure — without the request's URL, which may be a secret
/// (Slack webhook URLs are).
pub fn send_with_retries(
    mut send: impl FnMut() -> reqwest::Result<reqwest::blocking::Response>,
) -> Result<reqwest::blocking::Response, String> {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(200 << (attempt - 1)));
        }
        match send() {
            Ok(resp) if resp.status().is_success() => return Ok(resp),
            Ok(resp) => {
                let status = resp.status();
                let body: String = resp.text().unwrap_or_default().chars().take(200).collect();
                last = format!("HTTP {status}: {}", body.trim());
                if status.is_client_error() && status.as_u16() != 429 {
                    break;
                }
            }
            Err(e) => last = e.without_url().to_string(),
        }
    }
    Err(last)
}

/// POSTs each alert as a JSON body. Retries connection errors, timeouts, 429
/// and 5xx with exponential backoff (0.2 s, 0.4 s, 0.8 s); other 4xx answers
/// are final.
pub fn post_all(url: &str, alerts: &[Alert]) -> Result<(), AlertError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| AlertError::BadUrl {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AlertError::BadUrl {
            url: url.to_string(),
            message: "only http and https are supported".into(),
        });
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AlertError::BadUrl {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    for alert in alerts {
        if let Err(last) = send_with_retries(|| client.post(parsed.clone()).json(alert).send()) {
            return Err(AlertError::Down {
                url: url.to_string(),
                team: alert.team.clone(),
                role: alert.role_arn.clone(),
                attempts: ATTEMPTS,
                last,
            });
        }
    }
    Ok(())
}
