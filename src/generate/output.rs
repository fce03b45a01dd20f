//! Atomic JSON file writing plus the small deterministic helpers shared by the generator: timestamps, stable hashing, URL-encoding and random identifiers.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Serialize, Serializer};

use crate::generate::GenerateError;

/// Writes files through a temporary sibling and a rename, so a crash leaves
/// either the previous file or the complete new one, never half a file. Counts
/// what it wrote for the [`crate::generate::Summary`].
pub(crate) struct Output {
    pub files: u64,
    pub bytes: u64,
    /// Reused serialization buffer: avoids one allocation per file when writing
    /// hundreds of thousands of small last-accessed files.
    buf: Vec<u8>,
}

impl Output {
    pub fn new() -> Self {
        Output {
            files: 0,
            bytes: 0,
            buf: Vec::with_capacity(1 << 16),
        }
    }

    pub fn create_dir(&self, path: &Path) -> Result<(), GenerateError> {
        fs::create_dir_all(path).map_err(|source| GenerateError::CreateDir {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Serialize `value` (2-space pretty-printed, or compact) followed by a
    /// newline, as the AWS CLI prints it, and move it into place atomically.
    pub fn write_json<T: Serialize + ?Sized>(
        &mut self,
        path: &Path,
        value: &T,
        pretty: bool,
    ) -> Result<(), GenerateError> {
        self.buf.clear();
        let res = if pretty {
            serde_json::to_writer_pretty(&mut self.buf, value)
        } else {
            serde_json::to_writer(&mut self.buf, value)
        };
        res.map_err(|source| GenerateError::Serialize {
            path: path.to_path_buf(),
            source,
        })?;
        self.buf.push(b'\n');
        self.commit(path)
    }

    /// Writes `text` as it is, atomically (for the CSV credential report).
    pub fn write_text(&mut self, path: &Path, text: &[u8]) -> Result<(), GenerateError> {
        self.buf.clear();
        self.buf.extend_from_slice(text);
        self.commit(path)
    }

    /// Moves the buffer into place at `path` through a temporary sibling.
    fn commit(&mut self, path: &Path) -> Result<(), GenerateError> {
        let tmp = tmp_path(path);
        fs::write(&tmp, &self.buf).map_err(|source| GenerateError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        fs::rename(&tmp, path).map_err(|source| GenerateError::Rename {
            from: tmp.clone(),
            to: path.to_path_buf(),
            source,
        })?;
        self.files += 1;
        self.bytes += self.buf.len() as u64;
        Ok(())
    }
}

/// `name.json` -> `name.json.tmp` in the same directory (rename is only atomic
/// within one file system).
fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Seconds since the Unix epoch, serialized the way the AWS CLI prints
/// timestamps: `2026-03-04T05:06:07+00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ts(pub i64);

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match DateTime::from_timestamp(self.0, 0) {
            Some(dt) => s.collect_str(&dt.format("%Y-%m-%dT%H:%M:%S+00:00")),
            None => Err(serde::ser::Error::custom("timestamp out of range")),
        }
    }
}

pub(crate) const DAY: i64 = 86_400;

/// The instant a day's snapshot is taken: 06:00 UTC on that date. Every
/// activity recorded in the snapshot happened before it.
pub(crate) fn snapshot_ts(start: NaiveDate, day_index: u32) -> i64 {
    let midnight = start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    midnight.timestamp() + i64::from(day_index) * DAY + 6 * 3_600
}

/// FNV-1a over the parts (with a separator so ("ab","c") != ("a","bc")),
/// finished with a splitmix64 round. Used for per-file decisions (URL-encoding,
/// paging) that must not depend on how many random numbers came before.
pub(crate) fn stable_hash(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    splitmix(h)
}

pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// RFC 3986 unreserved characters stay, everything else is percent-encoded —
/// how IAM's query API returns policy documents.
const URL_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, URL_SET).to_string()
}

/// A random string over `alphabet` of length `n`.
pub(crate) fn random_string(rng: &mut ChaCha8Rng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// IAM unique ids use upper-case letters and the digits 2-7.
pub(crate) const IAM_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
