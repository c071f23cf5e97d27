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
    /// Which refusal this is, where the code alone does not say and the protocols tell the
    /// cases apart; the HTTP layer turns it into a status, an OAuth `error` and a challenge.
    pub refusal: Option<Refusal>,
    pub cause: Option<Cause>,
    /// What the domain tells the person, where it says more than the code's copy (the
    /// server shows it in their language).
    pub copy: Option<DomainCopy>,
}

/// Copy the domain shows people beyond the catalogue's, each a message in the hosted pages'
/// catalogues (`crates/server/src/i18n/*.ftl`, under its [`DomainCopy::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainCopy {
    TotpSetUpAgain,
    LastFactor,
    NoSmsPhone,
    PhoneAgain,
    SmsCodeInvalid,
}

impl DomainCopy {
    pub const ALL: [DomainCopy; 5] = [
        DomainCopy::TotpSetUpAgain,
        DomainCopy::LastFactor,
        DomainCopy::NoSmsPhone,
        DomainCopy::PhoneAgain,
        DomainCopy::SmsCodeInvalid,
    ];

    /// Its message id in the catalogues.
    pub fn key(self) -> &'static str {
        match self {
            DomainCopy::TotpSetUpAgain => "copy-totp-set-up-again",
            DomainCopy::LastFactor => "copy-last-factor",
            DomainCopy::NoSmsPhone => "copy-no-sms-phone",
            DomainCopy::PhoneAgain => "copy-phone-again",
            DomainCopy::SmsCodeInvalid => "copy-sms-code-invalid",
        }
    }
}

/// Refusals the protocols name apart, in the domain's words. The server's error layer (and
/// nothing else) decides what each is on the wire: RFC 6749's `error`, RFC 6750's and
/// RFC 9470's `WWW-Authenticate`, the 401 of an unauthenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request carried no credential where one is needed; `why` says which.
    NoCredential { why: &'static str },
    /// The credential it carried (an access token, a management credential) is not valid:
    /// unknown, malformed, expired or revoked. `why` says which, for the client's developer.
    BadCredential { why: &'static str },
    /// The credential is valid but its sign-in is not recent or strong enough (RFC 9470).
    WeakAuthentication { acr_values: &'static str, max_age_s: i64 },
    /// The client is unknown, or failed to authenticate to the issuer `realm` (`None`
    /// where it was not asked to authenticate, as at the authorization endpoint).
    BadClient { realm: Option<String> },
    /// The grant presented (a code, a refresh token) is not good for this request.
    BadGrant,
    /// The client may not use this grant or flow.
    ClientNotAllowed,
    /// A grant type the server does not offer.
    UnsupportedGrantType,
    /// The response type asked for is not one the server offers.
    UnsupportedResponseType,
    /// A scope the client may not have.
    BadScope,
    /// A resource (`audience`, RFC 8707 `resource`) the server has no API for.
    UnknownTarget,
    /// A parameter is missing, repeated or malformed.
    MalformedRequest,
    /// The client asked for no interaction, and the user must sign in.
    SignInNeeded,
    /// The client asked for no interaction, and the user must act (choose, step up).
    InteractionNeeded,
    /// The client asked for no interaction, and the user must consent.
    ConsentNeeded,
    /// The user, or the tenant's policy (an Action), refused access.
    Denied,
    /// A step the tenant runs (an Action) did not answer in time; trying again may work.
    TryLater,
    /// A step the tenant runs failed.
    StepFailed,
    /// A device grant not yet approved: the device polls again (RFC 8628 §3.5).
    AuthorizationPending,
    /// A device grant polled faster than its interval.
    SlowDown,
    /// A device code past its lifetime.
    ExpiredToken,
    /// A DPoP proof at the token endpoint that is missing where required or not good.
    BadDpopProof,
    /// A DPoP proof without the server's fresh nonce: try again with `nonce`.
    DpopNonceNeeded { nonce: String },
    /// A DPoP-bound access token presented to a resource without a good proof. Boxed: it
    /// is rare, and every `Result` in the crate carries the size of the largest refusal.
    DpopCredential(Box<DpopChallenge>),
}

/// What a resource answers a refused DPoP presentation with (RFC 9449 §7.1): `error` is
/// `invalid_dpop_proof` or `use_dpop_nonce`, and `nonce` the one to use next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopChallenge {
    pub error: &'static str,
    pub why: &'static str,
    pub nonce: Option<String>,
}

/// "A" or "An" before `word`, by its first letter.
fn article(word: &str) -> &'static str {
    // Not `u`: "a user", as it is said.
    if word.starts_with(['a', 'e', 'i', 'o']) {
        "An"
    } else {
        "A"
    }
}

impl Error {
    pub fn new(code: Code) -> Self {
        Error { code, message: None, details: Map::new(), retry_after_s: None, refusal: None, cause: None, copy: None }
    }

    /// Tells the person more than the code's copy, in their language.
    pub fn with_copy(mut self, copy: DomainCopy) -> Self {
        self.copy = Some(copy);
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

    /// A missing or unknown credential: `permission_denied`, which the HTTP layer answers
    /// with 401 and a challenge (RFC 6750 §3).
    pub fn unauthenticated(refusal: Refusal) -> Self {
        let (why, reason) = match refusal {
            Refusal::NoCredential { why } => (why, "missing_credential"),
            Refusal::BadCredential { why } => (why, "invalid_credential"),
            _ => ("The credential is not valid", "invalid_credential"),
        };
        Error::new(Code::PermissionDenied)
            .with_message(format!("{why}."))
            .with_detail("reason", reason)
            .with_refusal(refusal)
    }

    /// Says which refusal this is (see [`Refusal`]).
    pub fn with_refusal(mut self, refusal: Refusal) -> Self {
        self.refusal = Some(refusal);
        self
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
