//! Member-account credentials: STS AssumeRole through the collector's own
//! (counted, retried) STS client, renewed when the SDK's identity cache asks.

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Renew credentials this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// Assumes one member role; the first credentials are fetched eagerly by
/// [`MemberCredentials::prime`] so that a refused AssumeRole fails the
/// account at a clear stage rather than at its first IAM call.
#[derive(Debug)]
pub struct MemberCredentials {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    duration_secs: i32,
    primed: Mutex<Option<Credentials>>,
}

impl MemberCredentials {
    /// A provider for `role_arn`, using `sts` (the caller's identity).
    pub fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
        duration: Duration,
    ) -> MemberCredentials {
        MemberCredentials {
            sts,
            role_arn,
            session_name,
            external_id,
            duration_secs: i32::try_from(duration.as_secs()).unwrap_or(3600),
            primed: Mutex::new(None),
        }
    }

    /// The role assumed.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    async fn assume(&self) -> Result<Credentials, SdkError<AssumeRoleError>> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .duration_seconds(self.duration_secs)
            .send()
            .await?;
        let c = out.credentials.ok_or_else(|| {
            SdkError::construction_failure("AssumeRole answered without Credentials")
        })?;
        let expiry = SystemTime::try_from(c.expiration).ok();
        Ok(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            expiry,
            "iamlake-member-role",
        ))
    }

    /// Assumes the role now and keeps the credentials for the first use.
    pub async fn prime(&self) -> Result<(), SdkError<AssumeRoleError>> {
        let c = self.assume().await?;
        *self.primed.lock().unwrap_or_else(|e| e.into_inner()) = Some(c);
        Ok(())
    }

    fn take_primed(&self) -> Option<Credentials> {
        let c = self
            .primed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        let fresh = c
            .expiry()
            .is_none_or(|e| e > SystemTime::now() + EXPIRY_MARGIN);
        fresh.then_some(c)
    }
}

impl ProvideCredentials for MemberCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            if let Some(c) = self.take_primed() {
                return Ok(c);
            }
            self.assume()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}
