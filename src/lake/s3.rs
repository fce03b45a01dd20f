//! Lakes on S3 (`--lake s3://bucket/prefix`): the same layout as a local
//! lake, written through aws-sdk-s3 and read back by polars.
//!
//! A run writes its partition into a local folder first (the same
//! [`PartitionWriter`](super::writer::PartitionWriter) as a local lake), then
//! [`S3Lake::publish`] uploads it: data objects first, under names carrying
//! the run's snapshot id so they never overwrite the objects the current
//! manifest lists; then the manifest, in one PUT (atomic in S3: readers see
//! the old manifest or the new one, never a mix); only then are the objects
//! no manifest lists any more deleted. A run that fails or is killed before
//! the manifest PUT leaves the date as it was, plus orphan objects that the
//! date's next successful run deletes.

use super::LakeError;
use super::layout::{self, ManifestKind};
use super::manifest::Manifest;
use super::shard::Shard;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// `s3://bucket/prefix`: where an S3 lake lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix of the lake root, without leading or trailing `/`; empty
    /// for a lake at the bucket's root.
    pub prefix: String,
}

impl S3Location {
    /// The object key of `rel`, a path relative to the lake root.
    pub fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    /// `s3://bucket/prefix/rel`.
    pub fn uri(&self, rel: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(rel))
    }

    /// The path of `key` relative to the lake root, `None` outside it.
    pub fn rel<'k>(&self, key: &'k str) -> Option<&'k str> {
        if self.prefix.is_empty() {
            Some(key)
        } else {
            key.strip_prefix(&self.prefix)?.strip_prefix('/')
        }
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl FromStr for S3Location {
    type Err = String;

    /// Parses `s3://bucket[/prefix]`, checking the bucket name against S3's
    /// rules so a typo fails before any work rather than after a long
    /// collection.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{s:?} is not an s3:// URI"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && bucket
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && bucket
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !valid_bucket {
            return Err(format!(
                "{s:?}: {bucket:?} is not a valid bucket name (3-63 characters: lower-case letters, digits, '-' and '.')"
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        if prefix.starts_with('/') || prefix.split('/').any(|p| p == "." || p == "..") {
            return Err(format!(
                "{s:?}: the prefix must not start with '/' nor contain '.' or '..' segments"
            ));
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// How an S3 lake is written. Defaults suit AWS; tests lower the sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Options {
    /// KMS key (id, ARN or alias) for SSE-KMS (`--sse-kms-key-id`); `None`:
    /// SSE-S3 (AES256), which every object gets unless this is set.
    pub sse_kms_key_id: Option<String>,
    /// Send S3 requests to this URL, path-style (`--s3-endpoint-url`, or
    /// `AWS_ENDPOINT_URL_S3`): S3-compatible servers and emulators only.
    pub endpoint_url: Option<String>,
    /// Files at least this large are uploaded in parts. Default 16 MiB.
    pub multipart_threshold: u64,
    /// Size of each part but the last; S3 wants at least 5 MiB. Default 8 MiB.
    pub part_size: u64,
    /// Files uploaded at once. Default 8.
    pub concurrent_uploads: usize,
}

/// S3's smallest part (all but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            sse_kms_key_id: None,
            endpoint_url: None,
            multipart_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            concurrent_uploads: 8,
        }
    }
}

impl S3Options {
    /// Checks the settings; the message names the flag.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(k) = &self.sse_kms_key_id
            && (k.is_empty() || k.chars().any(char::is_whitespace))
        {
            return Err(format!(
                "--sse-kms-key-id: {k:?} is not a KMS key id, ARN or alias"
            ));
        }
        if let Some(u) = &self.endpoint_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(format!(
                "--s3-endpoint-url: {u:?} must start with http:// or https://"
            ));
        }
        if self.part_size < MIN_PART_SIZE || self.multipart_threshold < self.part_size {
            return Err(format!(
                "S3 part size {} must be at least {MIN_PART_SIZE} and at most the multipart threshold {}",
                self.part_size, self.multipart_threshold
            ));
        }
        if self.concurrent_uploads == 0 {
            return Err("S3 concurrent uploads must be at least 1".into());
        }
        Ok(())
    }
}

/// An open S3 lake: its location, client and a runtime to drive it from the
/// synchronous lake code.
pub struct S3Lake {
    location: S3Location,
    client: aws_sdk_s3::Client,
    options: S3Options,
    /// polars reads the data files itself; it is handed the credentials
    /// aws-config resolved (polars alone knows no profiles and no SSO).
    polars: polars::prelude::cloud::CloudOptions,
    /// Every S3 call of this lake, per operation (the manifest records
    /// those made before it is written).
    counters: Arc<crate::source::aws::ApiCounters>,
    rt: tokio::runtime::Runtime,
}

impl fmt::Debug for S3Lake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S3Lake({})", self.location)
    }
}

fn s3_err(
    location: &S3Location,
    key: &str,
    action: &'static str,
) -> impl FnOnce(String) -> LakeError {
    let uri = format!("s3://{}/{key}", location.bucket);
    move |message| LakeError::S3 {
        uri,
        action,
        message,
    }
}

/// The full text of an SDK error: its code and message, not just "service
/// error".
fn sdk_message<E, R>(e: aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    match e.as_service_error() {
        Some(se) => format!(
            "{}: {}",
            se.code().unwrap_or("error"),
            se.message().unwrap_or("(no message)")
        ),
        None => aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
    }
}

impl S3Lake {
    /// Opens the lake with the caller's AWS identity (`aws`: profile,
    /// region; the default chain otherwise) and checks it can be listed, so
    /// a missing bucket or a denied prefix fails before any other work.
    pub fn connect(
        location: S3Location,
        aws: &crate::source::aws::AwsConfig,
        options: S3Options,
    ) -> Result<S3Lake, LakeError> {
        let err = |action, message: String| LakeError::S3 {
            uri: location.to_string(),
            action,
            message,
        };
        aws.validate()
            .map_err(|e| err("checking settings", e.to_string()))?;
        let rt = io_runtime(&location)?;
        let sdk = rt
            .block_on(aws.load_sdk_config())
            .map_err(|e| err("loading the AWS configuration", e.to_string()))?;
        let lake = S3Lake::with_runtime(location, &sdk, options, rt)?;
        lake.check_access()?;
        Ok(lake)
    }

    /// Opens the lake: builds the client from `sdk` (see
    /// [`crate::source::aws::config::build_s3_client`]) and resolves the
    /// credentials polars will read with. Makes no S3 call; see
    /// [`S3Lake::check_access`].
    pub fn open(
        location: S3Location,
        sdk: &aws_config::SdkConfig,
        options: S3Options,
    ) -> Result<S3Lake, LakeError> {
        let rt = io_runtime(&location)?;
        S3Lake::with_runtime(location, sdk, options, rt)
    }

    /// [`S3Lake::open`] on a runtime the caller already has (one runtime per
    /// lake, from configuration loading to the last upload).
    fn with_runtime(
        location: S3Location,
        sdk: &aws_config::SdkConfig,
        options: S3Options,
        rt: tokio::runtime::Runtime,
    ) -> Result<S3Lake, LakeError> {
        options.validate().map_err(|message| LakeError::S3 {
            uri: location.to_string(),
            action: "checking settings",
            message,
        })?;
        let counters = crate::source::aws::ApiCounters::new();
        let client = crate::source::aws::config::build_s3_client(
            sdk,
            options.endpoint_url.as_deref(),
            &counters,
        );
        let polars = rt
            .block_on(polars_options(sdk, &options))
            .map_err(|message| LakeError::S3 {
                uri: location.to_string(),
                action: "resolving credentials",
                message,
            })?;
        Ok(S3Lake {
            location,
            client,
            options,
            polars,
            counters,
            rt,
        })
    }

    /// Where the lake is.
    pub fn location(&self) -> &S3Location {
        &self.location
    }

    /// The options polars reads this lake's files with.
    pub fn polars_options(&self) -> &polars::prelude::cloud::CloudOptions {
        &self.polars
    }

    /// One cheap listing, so a missing bucket or a denied prefix fails
    /// before a long collection rather than after it.
    pub fn check_access(&self) -> Result<(), LakeError> {
        let prefix = self.location.key("");
        self.rt
            .block_on(
                self.client
                    .list_objects_v2()
                    .bucket(&self.location.bucket)
                    .prefix(&prefix)
                    .max_keys(1)
                    .send(),
            )
            .map(|_| ())
            .map_err(|e| s3_err(&self.location, &prefix, "listing the lake")(sdk_message(e)))
    }

    /// Every key under `rel` (a prefix relative to the lake root).
    pub fn list(&self, rel: &str) -> Result<Vec<String>, LakeError> {
        self.rt.block_on(self.list_async(rel))
    }

    async fn list_async(&self, rel: &str) -> Result<Vec<String>, LakeError> {
        let prefix = self.location.key(rel);
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.location.bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| s3_err(&self.location, &prefix, "listing")(sdk_message(e)))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(String::from)),
            );
        }
        Ok(keys)
    }

    /// The object at `rel`, `None` when there is none.
    async fn get_async(&self, rel: &str) -> Result<Option<Vec<u8>>, LakeError> {
        let key = self.location.key(rel);
        let out = self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(&key)
            .send()
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(s3_err(&self.location, &key, "reading")(sdk_message(e))),
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| s3_err(&self.location, &key, "reading")(e.to_string()))?;
        Ok(Some(bytes.to_vec()))
    }

    /// The object at `rel` (relative to the lake root), `None` when absent.
    pub fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, LakeError> {
        self.rt.block_on(self.get_async(rel))
    }

    /// Reads the manifest of `kind` for `date`; `None` when the date is
    /// incomplete.
    pub fn read_manifest(
        &self,
        kind: ManifestKind,
        date: NaiveDate,
    ) -> Result<Option<Manifest>, LakeError> {
        self.rt
            .block_on(self.read_manifest_at(&manifest_rel(kind, date, None)))
    }

    async fn read_manifest_at(&self, rel: &str) -> Result<Option<Manifest>, LakeError> {
        let Some(bytes) = self.get_async(rel).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LakeError::Manifest {
                path: PathBuf::from(self.location.uri(rel)),
                message: e.to_string(),
            })
    }

    /// The dates with a manifest of `kind`, oldest first.
    pub fn complete_dates(&self, kind: ManifestKind) -> Result<Vec<NaiveDate>, LakeError> {
        let dir = manifests_rel(kind);
        let keys = self.list(&format!("{dir}/"))?;
        let mut dates: Vec<NaiveDate> = keys
            .iter()
            .filter_map(|k| {
                let rest = self
                    .location
                    .rel(k)?
                    .strip_prefix(&dir)?
                    .strip_prefix('/')?;
                let (folder, file) = rest.split_once('/')?;
                (file == "manifest.json")
                    .then(|| layout::parse_partition_dir_name(folder))
                    .flatten()
            })
            .collect();
        dates.sort();
        dates.dedup();
        Ok(dates)
    }

    /// Uploads the partition `manifest` describes, written under the local
    /// lake `local`, and switches readers to it; see the module docs for the
    /// order. For a shard, the date's manifest is written (and returned)
    /// when this shard completes the set; otherwise the shard manifest is
    /// returned.
    pub fn publish(&self, local: &Path, manifest: &Manifest) -> Result<Manifest, LakeError> {
        self.rt.block_on(self.publish_async(local, manifest))
    }

    async fn publish_async(
        &self,
        local: &Path,
        manifest: &Manifest,
    ) -> Result<Manifest, LakeError> {
        let kind = manifest.manifest_kind();
        let date = manifest.snapshot_date;
        let shard: Option<Shard> = manifest.shard.as_deref().and_then(|s| s.parse().ok());
        let manifests_dir = format!(
            "{}/{}",
            manifests_rel(kind),
            layout::partition_dir_name(date)
        );
        let shard_manifests = |keys: &[String]| -> Vec<String> {
            keys.iter()
                .filter_map(|k| self.location.rel(k))
                .filter(|r| {
                    r.strip_prefix(&manifests_dir)
                        .and_then(|r| r.strip_prefix("/shard-"))
                        .is_some_and(|r| r.ends_with(".json"))
                })
                .map(String::from)
                .collect()
        };
        // Refuse a shard count that differs from the date's other shards
        // before anything is uploaded.
        if let Some(shard) = shard {
            let existing = shard_manifests(&self.list_async(&format!("{manifests_dir}/")).await?);
            let suffix = format!("-of-{}.json", shard.count);
            if let Some(other) = existing.iter().find(|k| !k.ends_with(&suffix)) {
                return Err(LakeError::Manifest {
                    path: PathBuf::from(self.location.uri(other)),
                    message: format!(
                        "this date was collected with a different shard count than {}; re-run every shard with the same N, or remove the date's shard manifests",
                        shard.count
                    ),
                });
            }
        }

        // 1. Data, under names no earlier run used.
        let mut remote = manifest.clone();
        let mut uploads = Vec::new();
        for table in remote.tables.values_mut() {
            for file in &mut table.files {
                let target = remote_file_path(&file.path, &manifest.snapshot_id);
                uploads.push((local.join(&file.path), target.clone()));
                file.path = target;
            }
        }
        if let Err(e) = self.upload_all(&uploads).await {
            // Nothing lists these objects; remove what did arrive.
            let keys: Vec<String> = uploads
                .iter()
                .map(|(_, rel)| self.location.key(rel))
                .collect();
            let _ = self.delete_keys(&keys).await;
            return Err(e);
        }
        let new_keys: BTreeSet<String> = uploads
            .iter()
            .map(|(_, rel)| self.location.key(rel))
            .collect();

        // 2. The manifest, in one PUT: the switch.
        let mut existing = Vec::new();
        for name in remote.tables.keys() {
            existing.extend(
                self.list_async(&format!("{name}/{}/", layout::partition_dir_name(date)))
                    .await?,
            );
        }
        // The S3 calls so far (the lake's check, the uploads, the
        // listings) go into the manifest; its own PUT and the deletes after
        // it cannot.
        for (op, c) in self.counters.snapshot() {
            remote
                .metrics
                .insert(format!("api_calls:{op}"), c.calls as f64);
            if c.throttles > 0 {
                remote
                    .metrics
                    .insert(format!("api_throttles:{op}"), c.throttles as f64);
            }
        }
        let Some(shard) = shard else {
            let rel = manifest_rel(kind, date, None);
            self.put_json(&rel, &remote).await?;
            // 3. Only now: what the new manifest does not list.
            let mut stale = stale_keys(&existing, &new_keys, None);
            let listing = self.list_async(&format!("{manifests_dir}/")).await?;
            stale.extend(
                shard_manifests(&listing)
                    .iter()
                    .map(|r| self.location.key(r)),
            );
            let _ = self.delete_keys(&stale).await;
            return Ok(remote);
        };
        self.put_json(&manifest_rel(kind, date, Some(shard)), &remote)
            .await?;
        let listing = self.list_async(&format!("{manifests_dir}/")).await?;
        let shard_rels = shard_manifests(&listing);
        let stale = stale_keys(&existing, &new_keys, Some(shard));
        let merged_rel = manifest_rel(kind, date, None);
        let mut result = remote.clone();
        if shard_rels.len() as u32 == shard.count {
            let mut shards = Vec::new();
            for rel in &shard_rels {
                if let Some(m) = self.read_manifest_at(rel).await? {
                    shards.push(m);
                }
            }
            let merged = Manifest::merge_shards(&shards);
            self.put_json(&merged_rel, &merged).await?;
            result = merged;
        } else if let Some(old) = self.read_manifest_at(&merged_rel).await? {
            // The set is incomplete: a merged manifest still listing files
            // about to go is stale, so the date turns incomplete first.
            let stale_set: BTreeSet<&String> = stale.iter().collect();
            let lists_stale = old
                .tables
                .values()
                .flat_map(|t| &t.files)
                .any(|f| stale_set.contains(&self.location.key(&f.path)));
            if lists_stale {
                self.delete_keys(&[self.location.key(&merged_rel)]).await?;
            }
        }
        let _ = self.delete_keys(&stale).await;
        Ok(result)
    }

    async fn put_json(&self, rel: &str, manifest: &Manifest) -> Result<(), LakeError> {
        let body = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
        self.put(
            &self.location.key(rel),
            ByteStream::from(body),
            "application/json",
            "writing manifest",
        )
        .await
    }

    /// The encryption every object gets: SSE-KMS with the configured key,
    /// else SSE-S3.
    fn encryption(&self) -> (ServerSideEncryption, Option<String>) {
        match &self.options.sse_kms_key_id {
            Some(k) => (ServerSideEncryption::AwsKms, Some(k.clone())),
            None => (ServerSideEncryption::Aes256, None),
        }
    }

    /// One PutObject of `body` at `key`, encrypted.
    async fn put(
        &self,
        key: &str,
        body: ByteStream,
        content_type: &str,
        action: &'static str,
    ) -> Result<(), LakeError> {
        let (sse, kms) = self.encryption();
        self.client
            .put_object()
            .bucket(&self.location.bucket)
            .key(key)
            .content_type(content_type)
            .server_side_encryption(sse)
            .set_ssekms_key_id(kms)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| s3_err(&self.location, key, action)(sdk_message(e)))
    }

    /// Uploads every (local file, lake path) pair, a bounded number at once;
    /// all are tried, and the first failure (in the list's order) is
    /// returned.
    async fn upload_all(&self, uploads: &[(PathBuf, String)]) -> Result<(), LakeError> {
        use futures_util::stream::{self, StreamExt};
        let results: Vec<Result<(), LakeError>> = stream::iter(uploads)
            .map(|(path, rel)| async move { self.upload_file(path, &self.location.key(rel)).await })
            .buffered(self.options.concurrent_uploads)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Uploads the local file `path` to `rel` (relative to the lake root).
    pub fn put_file(&self, path: &Path, rel: &str) -> Result<(), LakeError> {
        self.rt
            .block_on(self.upload_file(path, &self.location.key(rel)))
    }

    /// Uploads one file: one PUT below the multipart threshold, parts above
    /// it (a failed multipart upload is aborted, so no parts linger).
    async fn upload_file(&self, path: &Path, key: &str) -> Result<(), LakeError> {
        let size = std::fs::metadata(path)
            .map_err(LakeError::io(path, "reading size"))?
            .len();
        let err = |action| s3_err(&self.location, key, action);
        if size < self.options.multipart_threshold {
            let body = ByteStream::from_path(path)
                .await
                .map_err(|e| err("reading the file to upload")(e.to_string()))?;
            return self
                .put(key, body, "application/vnd.apache.parquet", "uploading")
                .await;
        }
        let (sse, kms) = self.encryption();
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.location.bucket)
            .key(key)
            .content_type("application/vnd.apache.parquet")
            .server_side_encryption(sse)
            .set_ssekms_key_id(kms)
            .send()
            .await
            .map_err(|e| err("starting a multipart upload")(sdk_message(e)))?;
        let upload_id = upload.upload_id().unwrap_or_default().to_string();
        let parts = self.upload_parts(path, key, &upload_id, size).await;
        let completed = match parts {
            Ok(parts) => self
                .client
                .complete_multipart_upload()
                .bucket(&self.location.bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| err("completing a multipart upload")(sdk_message(e))),
            Err(e) => Err(e),
        };
        if completed.is_err() {
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.location.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        completed
    }

    async fn upload_parts(
        &self,
        path: &Path,
        key: &str,
        upload_id: &str,
        size: u64,
    ) -> Result<Vec<CompletedPart>, LakeError> {
        let mut parts = Vec::new();
        let mut offset = 0;
        let mut number = 1;
        while offset < size {
            let len = self.options.part_size.min(size - offset);
            let body = ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(Length::Exact(len))
                .build()
                .await
                .map_err(|e| {
                    s3_err(&self.location, key, "reading the file to upload")(e.to_string())
                })?;
            let out = self
                .client
                .upload_part()
                .bucket(&self.location.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    s3_err(&self.location, key, "uploading a part")(format!(
                        "part {number}: {}",
                        sdk_message(e)
                    ))
                })?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(String::from))
                    .build(),
            );
            offset += len;
            number += 1;
        }
        Ok(parts)
    }

    /// Deletes `keys` (full keys), 1000 per request.
    async fn delete_keys(&self, keys: &[String]) -> Result<(), LakeError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| s3_err(&self.location, &chunk[0], "deleting")(e.to_string()))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| s3_err(&self.location, &chunk[0], "deleting")(e.to_string()))?;
            self.client
                .delete_objects()
                .bucket(&self.location.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| s3_err(&self.location, &chunk[0], "deleting")(sdk_message(e)))?;
        }
        Ok(())
    }
}

/// The runtime an S3 lake's synchronous methods drive its requests on.
fn io_runtime(location: &S3Location) -> Result<tokio::runtime::Runtime, LakeError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LakeError::S3 {
            uri: location.to_string(),
            action: "starting the I/O runtime",
            message: e.to_string(),
        })
}

/// `_manifests` or `_manifests/analyze`, relative to the lake root.
fn manifests_rel(kind: ManifestKind) -> String {
    let dir = layout::manifests_dir_of(Path::new(""), kind);
    dir.to_string_lossy().into_owned()
}

/// The manifest of a date (`manifest.json`) or of one shard of it, relative
/// to the lake root.
fn manifest_rel(kind: ManifestKind, date: NaiveDate, shard: Option<Shard>) -> String {
    let name = shard.map_or_else(|| "manifest.json".to_string(), |s| s.manifest_name());
    format!(
        "{}/{}/{name}",
        manifests_rel(kind),
        layout::partition_dir_name(date)
    )
}

/// A data file's path in an S3 lake: the local name with the run's
/// snapshot id added (`part-00000-<id>.parquet`), so a re-run never
/// overwrites an object the current manifest lists.
pub fn remote_file_path(local_rel: &str, snapshot_id: &str) -> String {
    match local_rel.strip_suffix(".parquet") {
        Some(stem) => format!("{stem}-{snapshot_id}.parquet"),
        None => format!("{local_rel}-{snapshot_id}"),
    }
}

/// The part number of a data file name (`part-01002-….parquet` → 1002).
fn part_number(key: &str) -> Option<usize> {
    let name = key.rsplit('/').next()?;
    let digits = name.strip_prefix("part-")?;
    let end = digits.find(|c: char| !c.is_ascii_digit())?;
    digits[..end].parse().ok()
}

/// The objects of a date's table folders that a new publish supersedes:
/// for a whole-date run, everything it did not write; for shard K, the
/// files of shard K and of whole-date runs (part numbers below 1000) it did
/// not write. Other shards' files stay.
pub fn stale_keys(
    existing: &[String],
    new: &BTreeSet<String>,
    shard: Option<Shard>,
) -> Vec<String> {
    existing
        .iter()
        .filter(|k| !new.contains(*k))
        .filter(|k| match shard {
            None => true,
            Some(s) => part_number(k).is_some_and(|p| p / 1000 == s.index as usize || p < 1000),
        })
        .cloned()
        .collect()
}

/// The polars options for reading this lake: the credentials the SDK chain
/// resolved, the region, and the endpoint when one is set.
async fn polars_options(
    sdk: &aws_config::SdkConfig,
    options: &S3Options,
) -> Result<polars::prelude::cloud::CloudOptions, String> {
    use aws_credential_types::provider::ProvideCredentials;
    use polars::prelude::cloud::{AmazonS3ConfigKey as K, CloudOptions};
    let provider = sdk
        .credentials_provider()
        .ok_or("no AWS credentials provider is configured")?;
    let creds = provider
        .provide_credentials()
        .await
        .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())?;
    let mut cfg: Vec<(K, String)> = vec![
        (K::AccessKeyId, creds.access_key_id().to_string()),
        (K::SecretAccessKey, creds.secret_access_key().to_string()),
    ];
    if let Some(t) = creds.session_token() {
        cfg.push((K::Token, t.to_string()));
    }
    if let Some(r) = sdk.region() {
        cfg.push((K::Region, r.to_string()));
    }
    if let Some(url) = &options.endpoint_url {
        cfg.push((K::Endpoint, url.clone()));
        cfg.push((K::VirtualHostedStyleRequest, "false".into()));
        if url.starts_with("http://") {
            let allow_http: K = "aws_allow_http".parse().map_err(|e| format!("{e}"))?;
            cfg.push((allow_http, "true".into()));
        }
    }
    Ok(CloudOptions::default().with_aws(cfg))
}

/// A lake: a local folder or an S3 prefix.
#[derive(Debug, Clone)]
pub enum Lake {
    /// A folder on this machine.
    Local(PathBuf),
    /// `s3://bucket/prefix`.
    S3(Arc<S3Lake>),
}

impl Lake {
    /// How errors and summaries name the lake: the folder, or the s3:// URI.
    pub fn label(&self) -> PathBuf {
        match self {
            Lake::Local(p) => p.clone(),
            Lake::S3(s) => PathBuf::from(s.location.to_string()),
        }
    }

    /// Where a file of the lake (path relative to the root) is read from.
    pub fn file(&self, rel: &str) -> String {
        match self {
            Lake::Local(p) => p.join(rel).to_string_lossy().into_owned(),
            Lake::S3(s) => s.location.uri(rel),
        }
    }

    /// The manifest of `kind` for `date`, `None` when the date is incomplete.
    pub fn read_manifest(
        &self,
        kind: ManifestKind,
        date: NaiveDate,
    ) -> Result<Option<Manifest>, LakeError> {
        match self {
            Lake::Local(p) => Manifest::read_kind(p, kind, date),
            Lake::S3(s) => s.read_manifest(kind, date),
        }
    }

    /// The dates with a manifest of `kind`, oldest first.
    pub fn complete_dates(&self, kind: ManifestKind) -> Result<Vec<NaiveDate>, LakeError> {
        match self {
            Lake::Local(p) => super::manifest::complete_dates_of(p, kind),
            Lake::S3(s) => s.complete_dates(kind),
        }
    }
}

/// What `--lake` names: a folder, or an S3 prefix not yet opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeLocation {
    Local(PathBuf),
    S3(S3Location),
}

impl FromStr for LakeLocation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("s3://") {
            return s.parse().map(LakeLocation::S3);
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "{s:?}: {scheme}:// lakes are not supported; use a folder or s3://bucket/prefix"
            ));
        }
        Ok(LakeLocation::Local(PathBuf::from(s)))
    }
}

impl fmt::Display for LakeLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LakeLocation::Local(p) => write!(f, "{}", p.display()),
            LakeLocation::S3(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_locations() {
        let l: S3Location = "s3://my-lake/iam/prod/".parse().unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("my-lake", "iam/prod")
        );
        assert_eq!(l.key("roles/x.parquet"), "iam/prod/roles/x.parquet");
        assert_eq!(l.uri("a"), "s3://my-lake/iam/prod/a");
        assert_eq!(l.rel("iam/prod/a/b"), Some("a/b"));
        assert_eq!(l.rel("iam/production/a"), None);
        assert_eq!(l.to_string(), "s3://my-lake/iam/prod");
        let root: S3Location = "s3://my-lake".parse().unwrap();
        assert_eq!((root.key("a"), root.rel("a")), ("a".to_string(), Some("a")));
        for bad in [
            "s3://My_Lake/x",
            "s3://ab",
            "s3://-lake",
            "s3://lake//x",
            "s3://lake/../x",
            "gs://x/y",
        ] {
            assert!(bad.parse::<S3Location>().is_err(), "{bad}");
        }
        assert_eq!(
            "lake".parse::<LakeLocation>().unwrap(),
            LakeLocation::Local("lake".into())
        );
        assert!(
            "gs://b/p"
                .parse::<LakeLocation>()
                .unwrap_err()
                .contains("not supported")
        );
    }

    #[test]
    fn remote_names_carry_the_run_and_keep_the_part_number() {
        let p = remote_file_path("roles/snapshot_date=2026-10-01/part-02000.parquet", "RUN");
        assert_eq!(p, "roles/snapshot_date=2026-10-01/part-02000-RUN.parquet");
        assert_eq!(part_number(&p), Some(2000));
        assert_eq!(part_number("x/part-00003.parquet"), Some(3));
        assert_eq!(part_number("x/other.parquet"), None);
        assert_eq!(
            manifest_rel(
                ManifestKind::Analyze,
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                None
            ),
            "_manifests/analyze/snapshot_date=2026-10-01/manifest.json"
        );
    }

    #[test]
    fn stale_keys_spare_new_files_and_other_shards() {
        let k = |s: &str| format!("p/roles/snapshot_date=D/{s}");
        let existing = vec![
            k("part-00000-OLD.parquet"),
            k("part-00000-NEW.parquet"),
            k("part-01000-OLD.parquet"),
            k("part-02000-OLD.parquet"),
            k("part-02000-NEW.parquet"),
        ];
        let new: BTreeSet<String> = [k("part-02000-NEW.parquet"), k("part-00000-NEW.parquet")]
            .into_iter()
            .collect();
        assert_eq!(
            stale_keys(&existing, &new, None),
            vec![
                k("part-00000-OLD.parquet"),
                k("part-01000-OLD.parquet"),
                k("part-02000-OLD.parquet")
            ]
        );
        // Shard 2 of 3 replaces its own old file and whole-date files, and
        // leaves shard 1's.
        let shard = Shard { index: 2, count: 3 };
        assert_eq!(
            stale_keys(&existing, &new, Some(shard)),
            vec![k("part-00000-OLD.parquet"), k("part-02000-OLD.parquet")]
        );
    }

    #[test]
    fn options_are_checked_by_flag() {
        S3Options::default().validate().unwrap();
        let kms = S3Options {
            sse_kms_key_id: Some("alias/a b".into()),
            ..Default::default()
        };
        assert!(kms.validate().unwrap_err().contains("--sse-kms-key-id"));
        let url = S3Options {
            endpoint_url: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        assert!(url.validate().unwrap_err().contains("--s3-endpoint-url"));
        let small = S3Options {
            part_size: 1024,
            ..Default::default()
        };
        assert!(small.validate().is_err());
    }
}
