//! The one error type of the domain layer: a catalogue code, details, and a hidden cause.

use intelliauth_catalogue::Code;
use serde_json::{Map, Value};

use crate::validate::FieldErrors;

pub type Result<T> = std::result::Result<T, Error>;
type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error on its way to a client.
///
/// `message` overrides the catalogue's default copy only where a row's copy varies;
/// `cause` is for the logs and is never serialised.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: Option<Box<str>>,
    pub details: Map<String, Value>,
    /// Seconds a client should wait; sent as `Retry-After` (and `details.retry_after_s`
    /// where the catalogue says so).
    pub retry_after_s: Option<u64>,
    /// A bearer challenge for `WWW-Authenticate` (RFC 6750); set on authentication failures,
    /// which answer 401 instead of the code's usual status.
    pub www_authenticate: Option<Box<str>>,
    /// The RFC 6749 `error` for OAuth endpoints; sent beside `code` so standard clients work.
    pub oauth_error: Option<&'static str>,
    /// An HTTP status other than the code's, where HTTP itself names the condition (413 for
    /// a body over the limit, 405 for a method, 431 for headers); the body is the same.
    pub status: Option<u16>,
    pub cause: Option<Cause>,
}

/// "A" or "An" before `word`, by its first letter.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "An"
    } else {
        "A"
    }
}

impl Error {
    pub fn new(code: Code) -> Self {
        Error {
            code,
            message: None,
            details: Map::new(),
            retry_after_s: None,
            www_authenticate: None,
            oauth_error: None,
            status: None,
            cause: None,
        }
    }

    /// Answers with `status` instead of the code's own.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into().into_boxed_str());
        self
    }

    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// `server_error` with an internal cause that only the logs see.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Error::new(Code::ServerError).with_cause(cause)
    }

    /// `service_unavailable`: a dependency (the database) is unreachable; retry shortly.
    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        Error::new(Code::ServiceUnavailable).with_retry_after(5).with_cause(cause)
    }

    pub fn not_found(what: &str) -> Self {
        Error::new(Code::NotFound).with_message(format!("{what} not found.")).with_detail("resource", what)
    }

    pub fn validation(fields: FieldErrors) -> Self {
        Error::new(Code::ValidationFailed).with_detail("fields", fields.into_json())
    }

    /// `conflict` naming the field and value that clash with an existing resource.
    pub fn conflict(resource: &str, field: &str, value: &str) -> Self {
        Error::new(Code::Conflict)
            .with_message(format!("{} {resource} with this {field} already exists.", article(resource)))
            .with_detail("resource", resource)
            .with_detail("field", field)
            .with_detail("value", value)
    }

    pub fn permission_denied(required_scope: &str) -> Self {
        Error::new(Code::PermissionDenied).with_detail("required_scope", required_scope)
    }

    /// A missing or unknown bearer credential: `permission_denied`, answered with 401 and
    /// a `WWW-Authenticate` challenge as RFC 6750 §3 asks (no error attribute when the
    /// request carried no credential at all).
    pub fn unauthenticated(reason: &str, description: &str) -> Self {
        let challenge = if reason == "missing_credential" {
            "Bearer realm=\"intelliauth\"".to_owned()
        } else {
            format!("Bearer realm=\"intelliauth\", error=\"invalid_token\", error_description=\"{description}\"")
        };
        Error::new(Code::PermissionDenied)
            .with_message(format!("{description}."))
            .with_detail("reason", reason)
            .with_challenge(challenge)
    }

    /// Adds the RFC 6749 `error` field (`invalid_grant`, `invalid_client`, …).
    pub fn oauth(mut self, rfc_error: &'static str) -> Self {
        self.oauth_error = Some(rfc_error);
        self
    }

    /// Asks the client to authenticate with `challenge` (`WWW-Authenticate`), answering 401.
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.www_authenticate = Some(challenge.into().into_boxed_str());
        self
    }

    /// The HTTP status: 401 for authentication challenges, otherwise the catalogue's.
    pub fn http_status(&self) -> u16 {
        let status = self.code.http_status();
        if let Some(status) = self.status {
            status
        } else if self.www_authenticate.is_some() {
            401
        } else if self.oauth_error.is_some_and(|error| error != "invalid_client") && (400..500).contains(&status) {
            // RFC 6749 §5.2: OAuth error responses are 400, only invalid_client may be 401.
            400
        } else {
            status
        }
    }

    pub fn precondition_failed(current_etag: Option<String>) -> Self {
        let error = Error::new(Code::PreconditionFailed);
        match current_etag {
            Some(etag) => error.with_detail("current_etag", etag),
            None => error,
        }
    }

    /// The message a client sees: the override, or the catalogue's default copy.
    pub fn message(&self) -> &str {
        self.message.as_deref().unwrap_or_else(|| self.code.default_message())
    }

    /// RFC 6749's `error_description`, for the client's developer: the technical reason
    /// when there is one (`details.reason`), else the message.
    pub fn developer_description(&self) -> &str {
        self.details.get("reason").and_then(Value::as_str).unwrap_or_else(|| self.message())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message())?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
