//! The "any resource" rule used by the snapshot: can this role do action A on any resource (`*`)?
//!
//! A statement's resource block covers "any resource" for action A of service S when:
//!
//! * `Resource` contains a pattern that covers every ARN of S: the pattern `*`, or an ARN
//!   pattern `arn:P:S':R:A:X` where P matches the partition (`*` or `aws`, also `aws-cn` /
//!   `aws-us-gov`), S' matches S by wildcard, R is all-`*`, or empty where S's ARNs have an
//!   empty region (iam, s3, sts, organizations, route53, cloudfront have an empty region; s3
//!   also has an empty account), A likewise for the account, and X consists only of `*`
//!   characters (a trailing all-`*` segment such as `arn:aws:*` also covers everything after
//!   it, since `*` crosses colons); OR, for s3 object-level actions only, `arn:aws:s3:::*/*`;
//! * or `NotResource` whose patterns cannot match any ARN of S (for example NotResource
//!   `arn:aws:s3:::bucket/*` for `iam:PassRole`): then the statement applies to everything of S;
//! * otherwise the statement does not count for the any-resource check. This applies to Deny
//!   statements too (a Deny on one bucket does not deny "any resource"), so that e.g. Allow
//!   `s3:GetObject` on `*` plus Deny on one bucket is still `allowed` on any resource.
//!
//! A statement with neither `Resource` nor `NotResource` (only valid in trust policies) counts
//! as covering any resource. Patterns containing policy variables never cover "any resource"
//! (they resolve to one principal's resources), and for `NotResource` only their literal text
//! before the first wildcard or variable is used to decide which services they can match.
//!
//! Everything here is computed once per pattern at parse time; the per-request check is a
//! service-name wildcard match and a few enum comparisons.

use crate::eval::service_model::ServiceModel;
use crate::eval::template::TTok;
use crate::eval::wildcard::{Pattern, Tok};

/// Services whose ARNs have an empty region segment.
const EMPTY_REGION: &[&str] = &["iam", "s3", "sts", "organizations", "route53", "cloudfront"];
/// Services whose ARNs have an empty account segment.
const EMPTY_ACCOUNT: &[&str] = &["s3"];
const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// One or more `*` only (or absorbed by a trailing all-`*` segment).
    Stars,
    Empty,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Res {
    Stars,
    /// `*/*`: every S3 object.
    StarSlashStar,
    Other,
}

/// How a `Resource` pattern covers ARNs, precomputed.
#[derive(Clone, Debug)]
pub(crate) enum Cover {
    All,
    Arn {
        service: Pattern,
        region: Seg,
        account: Seg,
        resource: Res,
    },
    Never,
}

/// Which services a `NotResource` pattern can match, precomputed from its literal prefix.
#[derive(Clone, Debug)]
pub(crate) enum NotCover {
    /// May match ARNs of any service.
    AnyService,
    /// Can only match ARNs whose service is `prefix` (if `complete`) or starts with it.
    Service { prefix: Box<str>, complete: bool },
    /// Cannot match any ARN at all.
    NoArn,
}

pub(crate) fn all_stars(seg: &[Tok]) -> bool {
    !seg.is_empty() && seg.iter().all(|t| matches!(t, Tok::Star))
}

fn seg_kind(seg: &[Tok]) -> Seg {
    if all_stars(seg) {
        Seg::Stars
    } else if seg.is_empty() {
        Seg::Empty
    } else {
        Seg::Other
    }
}

/// Precomputes the coverage of a static `Resource` pattern.
pub(crate) fn cover_of(toks: &[Tok]) -> Cover {
    if all_stars(toks) {
        return Cover::All;
    }
    let segs = crate::eval::condition::split_tokens(toks, ':', 7);
    let n = segs.len();
    if n > 6 {
        return Cover::Never;
    }
    let mut service = Pattern::new("*");
    let mut region = Seg::Stars;
    let mut account = Seg::Stars;
    let mut resource = Res::Stars;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == n;
        if last && i < 5 && all_stars(seg) {
            // `*` crosses colons: this segment absorbs every remaining one.
            return Cover::Arn {
                service: if i <= 2 { Pattern::new("*") } else { service },
                region: if i <= 3 { Seg::Stars } else { region },
                account: Seg::Stars,
                resource: Res::Stars,
            };
        }
        match i {
            0 if !seg_matches(seg, "arn") => return Cover::Never,
            1 if !PARTITIONS.iter().any(|p| seg_matches(seg, p)) => return Cover::Never,
            2 => service = Pattern::from_tokens(seg),
            3 => region = seg_kind(seg),
            4 => account = seg_kind(seg),
            5 => {
                resource = if all_stars(seg) {
                    Res::Stars
                } else if is_star_slash_star(seg) {
                    Res::StarSlashStar
                } else {
                    Res::Other
                }
            }
            _ => {}
        }
    }
    if n < 6 {
        return Cover::Never;
    }
    Cover::Arn {
        service,
        region,
        account,
        resource,
    }
}

/// Does the segment's pattern match `text`? Without building the pattern
/// when the segment is plain text, as `arn` and `aws` nearly always are.
fn seg_matches(seg: &[Tok], text: &str) -> bool {
    match seg {
        [Tok::Lit(l)] => l == text,
        _ => Pattern::from_tokens(seg).matches(text),
    }
}

fn is_star_slash_star(seg: &[Tok]) -> bool {
    let Some(slash) = seg
        .iter()
        .position(|t| matches!(t, Tok::Lit(l) if l == "/"))
    else {
        return false;
    };
    all_stars(&seg[..slash]) && all_stars(&seg[slash + 1..])
}

fn seg_ok(kind: Seg, service_has_empty: bool) -> bool {
    match kind {
        Seg::Stars => true,
        Seg::Empty => service_has_empty,
        Seg::Other => false,
    }
}

/// S3 actions whose resource is an object (`arn:aws:s3:::bucket/key`).
pub(crate) fn is_s3_object_action(action_name_lc: &str) -> bool {
    (action_name_lc.contains("object") && !action_name_lc.contains("bucket"))
        || matches!(
            action_name_lc,
            "abortmultipartupload"
                | "listmultipartuploadparts"
                | "replicatedelete"
                | "replicatetags"
                | "bypassgovernanceretention"
                | "initiatereplication"
                | "objectowneroverridetobucketowner"
        )
}

impl Cover {
    /// Does this pattern cover every ARN of `service_lc` for `action_lc` (`service:name`)?
    /// With the service model: a wildcard-only action (no resource type, such as
    /// `s3:ListAllMyBuckets`) is authorized against `*` alone, so only `*` covers it; and
    /// `arn:aws:s3:::*/*` covers exactly the actions on S3 objects.
    pub(crate) fn covers(&self, service_lc: &str, action_lc: &str) -> bool {
        match self {
            Cover::All => true,
            Cover::Never => false,
            Cover::Arn {
                service,
                region,
                account,
                resource,
            } => {
                // The pattern's own shape first: most patterns name one
                // resource type and fail here, before the model is asked.
                let shaped = service.matches(service_lc)
                    && seg_ok(*region, EMPTY_REGION.contains(&service_lc))
                    && seg_ok(*account, EMPTY_ACCOUNT.contains(&service_lc))
                    && match resource {
                        Res::Stars => true,
                        Res::StarSlashStar => service_lc == "s3",
                        Res::Other => false,
                    };
                if !shaped {
                    return false;
                }
                let known = ServiceModel::try_bundled()
                    .ok()
                    .and_then(|m| m.action(action_lc));
                if known.as_ref().is_some_and(|a| a.is_wildcard_only()) {
                    return false;
                }
                match resource {
                    Res::StarSlashStar => match &known {
                        Some(a) => a.resource_types().any(|t| t.name() == "object"),
                        None => {
                            is_s3_object_action(action_lc.split_once(':').map_or("", |(_, n)| n))
                        }
                    },
                    _ => true,
                }
            }
        }
    }
}

/// Precomputes which services a `NotResource` pattern can match.
pub(crate) fn not_cover_of(toks: &[TTok]) -> NotCover {
    let mut prefix = String::new();
    let mut complete = true;
    for t in toks {
        match t {
            TTok::Tok(Tok::Lit(l)) => prefix.push_str(l),
            _ => {
                complete = false;
                break;
            }
        }
    }
    let parts: Vec<&str> = prefix.split(':').collect();
    // A part is complete when a colon follows it, or when the whole pattern is literal.
    let done = |i: usize| i + 1 < parts.len() || complete;
    if let Some(p0) = parts.first() {
        let ok = if done(0) {
            *p0 == "arn"
        } else {
            "arn".starts_with(p0)
        };
        if !ok {
            return NotCover::NoArn;
        }
    }
    match parts.get(2) {
        Some(svc) => NotCover::Service {
            prefix: (*svc).into(),
            complete: done(2),
        },
        None if complete => NotCover::NoArn,
        None => NotCover::AnyService,
    }
}

impl NotCover {
    /// Can this `NotResource` pattern match some ARN of `service_lc`?
    pub(crate) fn may_match_service(&self, service_lc: &str) -> bool {
        match self {
            NotCover::AnyService => true,
            NotCover::NoArn => false,
            NotCover::Service { prefix, complete } => {
                if *complete {
                    **prefix == *service_lc
                } else {
                    service_lc.starts_with(&**prefix)
                }
            }
        }
    }
}
