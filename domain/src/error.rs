//! The one error type services return; web layers map each variant to an HTTP status.

use sea_orm::{DbErr, SqlErr};

/// The error behind an internal fault, kept (with its own sources) for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in terms a client can act on. `Internal` carries the cause for the log only:
/// it is logged once, where the error leaves the program (the REST and server-fn edges, a
/// background worker), with its whole chain ([`DomainError::chain`]).
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The object does not exist *for this caller* (also: belongs to another organisation).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Missing, expired or revoked credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Authenticated, but the caller's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The request clashes with current state (duplicate, already used, last owner…).
    #[error("{0}")]
    Conflict(String),
    /// One field is invalid; `field` names it so forms can show the message beside it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The input is over a size limit; the message says which.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts (failed sign-ins for one account); try again after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
    /// A fault on our side; never shown to clients verbatim. `context` says what was being
    /// done; `source` is the error that stopped it.
    #[error("internal error: {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Cause>,
    },
}

/// Result alias used by every service.
pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    /// Shorthand for [`DomainError::Forbidden`].
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// An internal fault with no underlying error (an invariant that did not hold).
    pub fn internal(context: impl Into<String>) -> Self {
        Self::Internal { context: context.into(), source: None }
    }

    /// An internal fault caused by `source` while doing `context`.
    pub fn internal_from(context: impl Into<String>, source: impl Into<Cause>) -> Self {
        Self::Internal { context: context.into(), source: Some(source.into()) }
    }

    /// This error and its sources, outermost first: `internal error: reading settings: EOF`.
    pub fn chain(&self) -> String {
        Report(self).to_string()
    }

    /// Shorthand for [`DomainError::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            tracing::debug!(%detail, "unique violation");
            return Self::Conflict("already exists".into());
        }
        if matches!(err, DbErr::RecordNotFound(_)) {
            return Self::NotFound("record");
        }
        // Postgres stores no NUL character: text that holds one is bad input, whichever way it
        // came (REST, a dashboard form, the widget), and the statement stored nothing.
        let text = err.to_string();
        if text.contains("invalid byte sequence") && text.contains("0x00") {
            return Self::invalid("text", "must not contain NUL (\\u0000) characters");
        }
        Self::internal_from("database", err)
    }
}

/// Shows an error with its sources, outermost first (`a: b: c`): how errors are logged, so the
/// cause a `#[source]` keeps is never lost.
pub struct Report<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Some errors already print their source (the database's do): a cause whose words the
        // previous message holds is not said twice.
        let mut said = self.0.to_string();
        f.write_str(&said)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !said.contains(&text) {
                write!(f, ": {text}")?;
            }
            said = text;
            next = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("socket closed")]
    struct Io;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed: {0}")]
    struct Wraps(#[source] Io);

    #[test]
    fn an_internal_error_reports_its_causes_once_each() {
        let plain = DomainError::internal_from("reading settings", Io);
        assert_eq!(plain.chain(), "internal error: reading settings: socket closed");
        let repeating = DomainError::internal_from("database", Wraps(Io));
        assert_eq!(repeating.chain(), "internal error: database: query failed: socket closed");
        assert_eq!(DomainError::internal("no row").chain(), "internal error: no row");
    }
}
