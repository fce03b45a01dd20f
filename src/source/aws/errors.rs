//! Turning SDK errors into short, complete messages.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::error::Error;
use std::fmt::Debug;

/// `Code: message` for a service error; the whole cause chain otherwise
/// (timeouts, connection errors, credential errors).
pub fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug,
{
    match e.as_service_error() {
        Some(se) => match (se.code(), se.message()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_string(),
            _ => DisplayErrorContext(e).to_string(),
        },
        None => DisplayErrorContext(e).to_string(),
    }
}

/// Whether the service refused the call.
pub fn is_access_denied<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug,
{
    e.as_service_error()
        .and_then(|se| se.code())
        .is_some_and(|c| {
            matches!(
                c,
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
            )
        })
}

/// Whether the call failed on throttling, retries exhausted.
pub fn is_throttled<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug,
{
    e.as_service_error().is_some_and(|se| {
        se.code()
            .is_some_and(|c| super::counters::THROTTLING_CODES.contains(&c))
            || se.message().is_some_and(|m| m.contains("Rate exceeded"))
    })
}
