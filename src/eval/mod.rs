//! IAM policy evaluation: parses policy documents once into compiled form and answers
//! "is this role allowed to do action A (on resource R / on any resource)?" with AWS's
//! documented evaluation logic, three-valued where the request context is incomplete.
//!
//! Entry points: [`Policy::parse`], [`evaluate`], [`trusted_principals`], [`simulate_request`].

pub mod any_resource;
pub mod breadth;
mod condition;
mod context;
mod error;
mod evaluate;
mod policy;
mod principal;
mod request;
mod resource;
pub mod service_model;
mod template;
mod wildcard;

#[cfg(test)]
mod doc_examples;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use breadth::{Breadth, Scope, action_breadth, action_not_resource_breadth, pattern_breadth};
pub use context::{Context, RequestFacts};
pub use error::{PolicyError, RequestError};
pub use evaluate::{
    BreadthDecision, Decision, DecisionKind, Layer, MatchedStatement, PolicySet, Request, evaluate,
    evaluate_breadth, evaluate_breadths,
};
pub use policy::{Effect, Policy, RequestResource, forget_shared_patterns};
pub use principal::trusted_principals;
pub use request::{SimulateRequest, rcp_full_aws_access_document, simulate_request};
pub use resource::{Requester, ResourceSide, evaluate_with_resource};
pub use service_model::{
    AccessLevel, ActionRef, DocumentLint, ModelLint, ServiceModel, ServiceModelError,
};
pub use wildcard::wildcard_match;
