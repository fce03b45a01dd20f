//! Typed errors for policy parsing and simulate-request files.

/// A policy document that cannot be compiled. The message names the policy id, the statement
/// index (0-based position in `Statement`) and the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{policy_id}: policy document is not valid JSON: {reason}")]
    InvalidJson { policy_id: String, reason: String },
    #[error("{policy_id}: policy document is not a JSON object")]
    NotAnObject { policy_id: String },
    #[error("{policy_id}: {field}: {reason}")]
    Document {
        policy_id: String,
        field: String,
        reason: String,
    },
    #[error("{policy_id}: statement {statement}: {field}: {reason}")]
    Statement {
        policy_id: String,
        statement: usize,
        field: String,
        reason: String,
    },
    #[error("{policy_id}: statement {statement}: unknown condition operator \"{operator}\"")]
    UnknownOperator {
        policy_id: String,
        statement: usize,
        operator: String,
    },
}

impl PolicyError {
    /// The id of the policy that failed to parse.
    pub fn policy_id(&self) -> &str {
        match self {
            PolicyError::InvalidJson { policy_id, .. }
            | PolicyError::NotAnObject { policy_id }
            | PolicyError::Document { policy_id, .. }
            | PolicyError::Statement { policy_id, .. }
            | PolicyError::UnknownOperator { policy_id, .. } => policy_id,
        }
    }
}

/// A simulate-request file that cannot be used. Policy errors carry the policy's position in
/// the file as their policy id (`identity_policies[2]`, `permissions_boundary`, `scp_levels[0][1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("request is not a JSON object")]
    NotAnObject,
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}
