//! The error catalogue: every public error code with its family, HTTP status, copy and advice.
//!
//! This crate is the single source of truth for IntelliAuth's public contract. The server
//! renders errors from it, `cargo xtask gen` writes the SDK's code union and the docs'
//! error index from it, and `GET /v1/errors` publishes it. It has no dependencies beyond
//! serde so every other crate (and the xtask) can use it.

pub mod render;

use serde::Serialize;

/// The family a code belongs to, as the seed document groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Sign-in outcomes: credentials, account states, MFA and captcha prompts.
    Authentication,
    /// OAuth 2.0 / OIDC protocol errors.
    Authorization,
    /// Token and session lifetime.
    Session,
    /// MFA factors and flow lifetime.
    Mfa,
    /// Transport and platform health.
    Transport,
    /// Management API outcomes.
    Management,
    /// Webhook delivery observations (delivery feed only, never a response).
    Webhook,
    /// Tenant-admin Actions on flows.
    Action,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::Authentication,
        Family::Authorization,
        Family::Session,
        Family::Mfa,
        Family::Transport,
        Family::Management,
        Family::Webhook,
        Family::Action,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Authentication => "authentication",
            Family::Authorization => "authorization",
            Family::Session => "session",
            Family::Mfa => "mfa",
            Family::Transport => "transport",
            Family::Management => "management",
            Family::Webhook => "webhook",
            Family::Action => "action",
        }
    }

    /// A heading for docs and the admin console.
    pub fn title(self) -> &'static str {
        match self {
            Family::Authentication => "Sign-in",
            Family::Authorization => "OAuth and OpenID Connect",
            Family::Session => "Tokens and sessions",
            Family::Mfa => "MFA and flows",
            Family::Transport => "Transport and platform",
            Family::Management => "Management API",
            Family::Webhook => "Webhook delivery observations",
            Family::Action => "Custom Actions",
        }
    }
}

/// How the seed's "user-facing copy" column reads for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserCopy {
    /// Show this text to the user (verbatim from the seed).
    Show(&'static str),
    /// The seed says not to show anything; the text is the seed's note, e.g. "render MFA UI".
    DontShow(&'static str),
    /// The copy depends on the case; the text is the seed's note.
    Varies(&'static str),
    /// Not a response at all (webhook observations, Action codes): the seed's meaning column.
    Observation(&'static str),
}

/// Where a client finds how long to wait before retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfter {
    /// The `Retry-After` response header.
    Header,
    /// `details.retry_after_s` in the error body.
    DetailsRetryAfterS,
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub code: Code,
    pub family: Family,
    /// The HTTP status of a response carrying this code; `None` for codes that are never a
    /// response (webhook observations).
    pub http_status: Option<u16>,
    pub copy: UserCopy,
    /// The default `message` sent with the code. For shown copy it is the copy itself.
    pub message: &'static str,
    /// The seed's "programmatic" column, verbatim.
    pub advice: &'static str,
    /// Whether a client should retry the same request (the seed's `shouldRetry` set).
    pub retryable: bool,
    pub retry_after: Option<RetryAfter>,
    /// The troubleshooting topic the seed links to, if any.
    pub topic: Option<&'static str>,
}

impl Entry {
    pub fn user_visible(&self) -> bool {
        matches!(self.copy, UserCopy::Show(_))
    }

    /// The seed's copy column exactly as printed there.
    pub fn seed_copy(&self) -> String {
        match self.copy {
            UserCopy::Show(text) => format!("\"{text}\""),
            UserCopy::DontShow(note) => format!("(don't show — {note})"),
            UserCopy::Varies(note) => format!("({note})"),
            UserCopy::Observation(text) => text.to_string(),
        }
    }
}

macro_rules! catalogue {
    ($( $variant:ident = $code:literal, $family:ident, $status:expr, $copy:expr, $message:expr,
        $advice:literal, retry: $retry:expr, after: $after:expr, topic: $topic:expr; )+) => {
        /// Every public error code. Codes are stable; clients match on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( #[doc = concat!("`", $code, "`")] $variant, )+ }

        /// The catalogue in the seed's order.
        pub const ENTRIES: &[Entry] = &[ $( Entry {
            code: Code::$variant,
            family: Family::$family,
            http_status: $status,
            copy: $copy,
            message: $message,
            advice: $advice,
            retryable: $retry,
            retry_after: $after,
            topic: $topic,
        }, )+ ];

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )+ }
            }

            pub fn parse(code: &str) -> Option<Code> {
                match code { $( $code => Some(Code::$variant), )+ _ => None }
            }
        }
    };
}

use UserCopy::{DontShow, Observation, Show, Varies};
const SIGN_IN_CONFIG_ERROR: &str = "Sign-in configuration error. Contact support.";

catalogue! {
    InvalidCredentials = "invalid_credentials", Authentication, Some(401),
        Show("The email or password is incorrect."), "The email or password is incorrect.",
        "Show form error, allow retry", retry: false, after: None, topic: None;
    AccountDisabled = "account_disabled", Authentication, Some(403),
        Show("This account has been disabled. Contact your administrator."),
        "This account has been disabled. Contact your administrator.",
        "Stop sign-in; offer contact", retry: false, after: None, topic: None;
    AccountLocked = "account_locked", Authentication, Some(423),
        Show("Too many failed attempts. Try again in a few minutes."),
        "Too many failed attempts. Try again in a few minutes.",
        "Surface details.retry_after_s", retry: false, after: Some(RetryAfter::DetailsRetryAfterS), topic: None;
    EmailUnverified = "email_unverified", Authentication, Some(403),
        Show("Verify your email before signing in. Check your inbox for a link."),
        "Verify your email before signing in. Check your inbox for a link.",
        "Offer \"resend verification\"", retry: false, after: None, topic: None;
    PasswordMustBeReset = "password_must_be_reset", Authentication, Some(403),
        Show("Set a new password to continue."), "Set a new password to continue.",
        "Redirect to reset flow", retry: false, after: None, topic: None;
    MfaRequired = "mfa_required", Authentication, Some(401),
        DontShow("render MFA UI"), "A second factor is required to finish signing in.",
        "See Handling mfa_required", retry: false, after: None, topic: Some("handling-mfa-required");
    MfaEnrolmentRequired = "mfa_enrolment_required", Authentication, Some(403),
        Show("We need to set up MFA before you can sign in."),
        "We need to set up MFA before you can sign in.",
        "Render enrolment UI", retry: false, after: None, topic: None;
    StepUpRequired = "step_up_required", Authentication, Some(401),
        DontShow("start step-up"), "This action needs a stronger or more recent sign-in.",
        "See Step-up", retry: false, after: None, topic: Some("step-up");
    CaptchaRequired = "captcha_required", Authentication, Some(400),
        DontShow("render captcha"), "Solve the captcha challenge to continue.",
        "See captcha_required", retry: false, after: None, topic: Some("captcha-required");

    InvalidRedirectUri = "invalid_redirect_uri", Authorization, Some(400),
        Show(SIGN_IN_CONFIG_ERROR), SIGN_IN_CONFIG_ERROR,
        "Don't retry — config issue. Topic", retry: false, after: None, topic: Some("invalid-redirect-uri");
    InvalidClient = "invalid_client", Authorization, Some(401),
        Show(SIGN_IN_CONFIG_ERROR), SIGN_IN_CONFIG_ERROR,
        "Don't retry — client_id or secret wrong", retry: false, after: None, topic: None;
    InvalidGrant = "invalid_grant", Authorization, Some(400),
        Varies("varies"), "The grant is invalid, expired or revoked.",
        "The grant didn't match; usually means refresh_token expired or revoked",
        retry: false, after: None, topic: None;
    InvalidScope = "invalid_scope", Authorization, Some(400),
        Show("Permission requested isn't allowed for this app."),
        "Permission requested isn't allowed for this app.",
        "Drop the bad scope; retry", retry: false, after: None, topic: None;
    UnauthorizedClient = "unauthorized_client", Authorization, Some(400),
        Show(SIGN_IN_CONFIG_ERROR), SIGN_IN_CONFIG_ERROR,
        "Client not allowed to use this grant", retry: false, after: None, topic: None;
    ConsentRequired = "consent_required", Authorization, Some(400),
        Show("Approve the requested permissions to continue."),
        "Approve the requested permissions to continue.",
        "Redirect through interactive auth", retry: false, after: None, topic: None;
    StateMismatch = "state_mismatch", Authorization, Some(400),
        Show("Sign-in security check failed. Start from the home page."),
        "Sign-in security check failed. Start from the home page.",
        "CSRF defence — don't silent-retry. Show a clear restart path.",
        retry: false, after: None, topic: None;
    PkceRequired = "pkce_required", Authorization, Some(400),
        Show(SIGN_IN_CONFIG_ERROR), SIGN_IN_CONFIG_ERROR,
        "Client missed code_challenge", retry: false, after: None, topic: None;

    TokenExpired = "token_expired", Session, Some(401),
        DontShow("auto-refresh"), "The access token has expired.",
        "The access token's exp passed. Topic", retry: false, after: None, topic: Some("token-expired");
    SessionExpired = "session_expired", Session, Some(401),
        Show("Your session has ended. Sign in to continue."),
        "Your session has ended. Sign in to continue.",
        "Refresh token TTL hit. loginWithRedirect()", retry: false, after: None, topic: None;
    SessionRevoked = "session_revoked", Session, Some(401),
        Show("Your session has been revoked. Sign in to continue."),
        "Your session has been revoked. Sign in to continue.",
        "Refresh token invalidated. loginWithRedirect()", retry: false, after: None, topic: None;
    SilentAuthFailed = "silent_auth_failed", Session, Some(401),
        DontShow("retry"), "Silent authentication failed.",
        "Transient; one retry is appropriate", retry: true, after: None, topic: None;

    TotpInvalid = "totp_invalid", Mfa, Some(401),
        Show("That code didn't work. Check your authenticator app and try again."),
        "That code didn't work. Check your authenticator app and try again.",
        "Allow re-enter", retry: false, after: None, topic: None;
    WebauthnFailed = "webauthn_failed", Mfa, Some(401),
        Show("Couldn't verify with your device. Try another method."),
        "Couldn't verify with your device. Try another method.",
        "Offer fallback factor", retry: false, after: None, topic: None;
    SmsSendFailed = "sms_send_failed", Mfa, Some(502),
        Show("Couldn't send the code. Try again or use another method."),
        "Couldn't send the code. Try again or use another method.",
        "Offer fallback; check phone format", retry: false, after: None, topic: None;
    SmsRateLimited = "sms_rate_limited", Mfa, Some(429),
        Show("Too many code requests. Wait a few minutes."),
        "Too many code requests. Wait a few minutes.",
        "Surface details.retry_after_s", retry: false, after: Some(RetryAfter::DetailsRetryAfterS), topic: None;
    BackupCodeInvalid = "backup_code_invalid", Mfa, Some(401),
        Show("That backup code didn't work."), "That backup code didn't work.",
        "Allow re-enter; remind it's single-use", retry: false, after: None, topic: None;
    FlowExpired = "flow_expired", Mfa, Some(410),
        Show("This sign-in took too long. Start over."), "This sign-in took too long. Start over.",
        "Restart the flow", retry: false, after: None, topic: None;
    FlowInvalid = "flow_invalid", Mfa, Some(400),
        Show("Sign-in session lost. Start over."), "Sign-in session lost. Start over.",
        "Restart the flow", retry: false, after: None, topic: None;

    NetworkError = "network_error", Transport, Some(408),
        Show("Connection issue. Check your internet and try again."),
        "Connection issue. Check your internet and try again.",
        "Retry with backoff", retry: true, after: None, topic: None;
    RateLimited = "rate_limited", Transport, Some(429),
        Show("Too many requests. Try again in a moment."),
        "Too many requests. Try again in a moment.",
        "Honour Retry-After", retry: false, after: Some(RetryAfter::Header), topic: None;
    ServerError = "server_error", Transport, Some(500),
        Show("Something went wrong on our side. Try again shortly."),
        "Something went wrong on our side. Try again shortly.",
        "Retry; consider a circuit breaker", retry: true, after: None, topic: None;
    ServiceUnavailable = "service_unavailable", Transport, Some(503),
        Show("We're temporarily unavailable. Check status."),
        "We're temporarily unavailable. Check status.",
        "Retry; check the platform status page", retry: true, after: Some(RetryAfter::Header), topic: None;
    NotFound = "not_found", Transport, Some(404),
        Varies("varies — usually \"Not found.\""), "Not found.",
        "Likely config; don't retry", retry: false, after: None, topic: None;

    PermissionDenied = "permission_denied", Management, Some(403),
        Show("You don't have permission to do that."), "You don't have permission to do that.",
        "Don't retry", retry: false, after: None, topic: None;
    ValidationFailed = "validation_failed", Management, Some(400),
        Varies("use details.fields to show per-field errors"),
        "Some fields are invalid. See details.fields.",
        "Field-level errors", retry: false, after: None, topic: None;
    Conflict = "conflict", Management, Some(409),
        Show("That resource already exists."), "That resource already exists.",
        "Show what conflicts", retry: false, after: None, topic: None;
    PreconditionFailed = "precondition_failed", Management, Some(412),
        Show("Something changed since you started. Refresh and try again."),
        "Something changed since you started. Refresh and try again.",
        "Reload and retry", retry: false, after: None, topic: None;

    Receiver5xx = "receiver_5xx", Webhook, None,
        Observation("Your receiver returned 5xx. Retry in progress."),
        "Your receiver returned 5xx. Retry in progress.",
        "Your receiver returned 5xx. Retry in progress.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    Receiver4xx = "receiver_4xx", Webhook, None,
        Observation("Your receiver returned 4xx (not 2xx); retries continue."),
        "Your receiver returned 4xx (not 2xx); retries continue.",
        "Your receiver returned 4xx (not 2xx); retries continue.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    ReceiverTimeout = "receiver_timeout", Webhook, None,
        Observation("No response within 10s."), "No response within 10s.",
        "No response within 10s.", retry: false, after: None, topic: Some("webhook-delivery-failures");
    ReceiverTlsFailed = "receiver_tls_failed", Webhook, None,
        Observation("TLS handshake failed."), "TLS handshake failed.",
        "TLS handshake failed.", retry: false, after: None, topic: Some("webhook-delivery-failures");
    // Beyond the seed ([`BEYOND_SEED`]): the rest of what an attempt can observe.
    Delivered = "delivered", Webhook, None,
        Observation("Your receiver answered 2xx in time; the event is delivered."),
        "Your receiver answered 2xx in time; the event is delivered.",
        "Nothing to do.", retry: false, after: None, topic: None;
    ReceiverUnexpectedStatus = "receiver_unexpected_status", Webhook, None,
        Observation("Your receiver answered 1xx or 3xx; redirects are not followed, so retries continue."),
        "Your receiver answered 1xx or 3xx; redirects are not followed, so retries continue.",
        "Answer 2xx at the subscription's URL itself.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    ReceiverConnectionFailed = "receiver_connection_failed", Webhook, None,
        Observation("The connection to your receiver was refused or reset; retries continue."),
        "The connection to your receiver was refused or reset; retries continue.",
        "Check that the receiver listens at the URL's host and port.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    ReceiverDnsFailed = "receiver_dns_failed", Webhook, None,
        Observation("Your receiver's host name did not resolve; retries continue."),
        "Your receiver's host name did not resolve; retries continue.",
        "Check the URL's host name from IntelliAuth's network.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    ReceiverAddressForbidden = "receiver_address_forbidden", Webhook, None,
        Observation("Your receiver's host resolved to an address this instance does not allow; retries continue."),
        "Your receiver's host resolved to an address this instance does not allow; retries continue.",
        "Use a public address, or allow private networks on the instance.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    AttemptInterrupted = "attempt_interrupted", Webhook, None,
        Observation("The node sending this attempt stopped before it recorded your receiver's answer; the event is sent again, so your receiver may see it twice."),
        "The node sending this attempt stopped before it recorded your receiver's answer; the event is sent again, so your receiver may see it twice.",
        "Deduplicate on the webhook-id header.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");
    DlqMaxAttempts = "dlq_max_attempts", Webhook, None,
        Observation("All retries exhausted; event in DLQ."), "All retries exhausted; event in DLQ.",
        "All retries exhausted; event in DLQ.", retry: false, after: None,
        topic: Some("webhook-delivery-failures");

    StepBlocked = "step_blocked", Action, Some(403),
        Observation("A custom Action returned block. details.step and details.reason identify which Action and why."),
        "Sign-in was blocked by a rule set by your administrator.",
        "A custom Action returned block. details.step and details.reason identify which Action and why.",
        retry: false, after: None, topic: None;
    StepTimeout = "step_timeout", Action, Some(504),
        Observation("An Action ran past its wall-clock budget."),
        "Sign-in couldn't be completed in time. Try again.",
        "An Action ran past its wall-clock budget.", retry: false, after: None, topic: None;
    StepError = "step_error", Action, Some(500),
        Observation("An Action threw an exception. The user sees a generic message; the tenant admin has the trace."),
        "Something went wrong while signing you in. Try again shortly.",
        "An Action threw an exception. The user sees a generic message; the tenant admin has the trace.",
        retry: false, after: None, topic: None;

    // Beyond the seed ([`BEYOND_SEED`]): signing in through an upstream identity provider.
    UpstreamRefused = "upstream_refused", Authentication, Some(403),
        Show("The sign-in provider didn't let you in. Try again, or sign in another way."),
        "The sign-in provider didn't let you in. Try again, or sign in another way.",
        "The provider answered with an error (details.upstream_error); offer the other sign-in methods",
        retry: false, after: None, topic: Some("upstream-sign-in");
    UpstreamUnavailable = "upstream_unavailable", Authentication, Some(502),
        Show("We couldn't reach the sign-in provider. Try again in a moment, or sign in another way."),
        "We couldn't reach the sign-in provider. Try again in a moment, or sign in another way.",
        "Retry with backoff; the tenant log says what failed", retry: true, after: None,
        topic: Some("upstream-sign-in");
    UpstreamResponseInvalid = "upstream_response_invalid", Authentication, Some(502),
        Show("The sign-in provider's answer couldn't be verified. Try again, or sign in another way."),
        "The sign-in provider's answer couldn't be verified. Try again, or sign in another way.",
        "Don't retry — check the connection's issuer, client and keys (details.reason)", retry: false,
        after: None, topic: Some("upstream-sign-in");
    UpstreamEmailUnverified = "upstream_email_unverified", Authentication, Some(403),
        Show("Your email address isn't verified with that sign-in provider. Verify it there, or sign in another way."),
        "Your email address isn't verified with that sign-in provider. Verify it there, or sign in another way.",
        "Stop; an account with this email exists and is never linked by an unverified address",
        retry: false, after: None, topic: Some("upstream-sign-in");
    UpstreamEmailMissing = "upstream_email_missing", Authentication, Some(403),
        Show("That sign-in provider didn't share your email address. Allow it there, or sign in another way."),
        "That sign-in provider didn't share your email address. Allow it there, or sign in another way.",
        "Ask the connection for the email scope", retry: false, after: None, topic: Some("upstream-sign-in");
    LinkRequired = "link_required", Authentication, Some(409),
        DontShow("render the sign-in that links the account"),
        "An account with this email already exists. Sign in to it once to link this sign-in provider.",
        "Sign in to details.email on the same flow; the provider is linked when it succeeds",
        retry: false, after: None, topic: Some("upstream-sign-in");
    LastSignInMethod = "last_sign_in_method", Management, Some(409),
        Show("This is the only way to sign in to the account. Add a password or another sign-in first."),
        "This is the only way to sign in to the account. Add a password or another sign-in first.",
        "Keep the identity, or set a password first", retry: false, after: None,
        topic: Some("upstream-sign-in");

    // Beyond the seed ([`BEYOND_SEED`]): the device authorization grant (RFC 8628).
    AuthorizationPending = "authorization_pending", Authorization, Some(400),
        DontShow("keep polling at the interval"),
        "The user has not approved this device yet. Poll again after the interval.",
        "Poll the token endpoint again after `interval` seconds", retry: true, after: None,
        topic: Some("device-flow");
    SlowDown = "slow_down", Authorization, Some(400),
        DontShow("poll less often"),
        "The device polls too often. Add five seconds to the interval.",
        "Add 5 seconds to the interval (details.interval), then poll again", retry: true, after: None,
        topic: Some("device-flow");
    ExpiredToken = "expired_token", Authorization, Some(400),
        Show("This code isn't valid or has expired. Start again on your device."),
        "This code isn't valid or has expired. Start again on your device.",
        "Start a new device authorization", retry: false, after: None, topic: Some("device-flow");
    AccessDenied = "access_denied", Authorization, Some(403),
        Show("The sign-in was declined. Start again on your device if that was a mistake."),
        "The sign-in was declined. Start again on your device if that was a mistake.",
        "Stop polling; the user declined", retry: false, after: None, topic: Some("device-flow");

    // Beyond the seed ([`BEYOND_SEED`]): sender-constrained tokens, DPoP (RFC 9449).
    InvalidDpopProof = "invalid_dpop_proof", Authorization, Some(400),
        DontShow("sign a new DPoP proof for this request"),
        "The DPoP proof is missing, malformed, or not for this request or key.",
        "Sign a new proof (details.reason) for this method and URL, with the key the token is bound to",
        retry: false, after: None, topic: Some("dpop");
    UseDpopNonce = "use_dpop_nonce", Authorization, Some(400),
        DontShow("retry with the server's DPoP nonce"),
        "The server needs a fresh DPoP nonce in the proof. Retry with the one it sent.",
        "Put the DPoP-Nonce response header in a new proof's nonce claim and retry once", retry: true,
        after: None, topic: Some("dpop");

    // Beyond the seed ([`BEYOND_SEED`]): organizations.
    OrganizationMembershipRequired = "organization_membership_required", Authorization, Some(403),
        Show("You're not a member of this organization. Ask its administrator for an invitation."),
        "You're not a member of this organization. Ask its administrator for an invitation.",
        "Sign in to an organization the user belongs to, or add them as a member (details.organization)",
        retry: false, after: None, topic: Some("organizations");
}

/// Codes IntelliAuth adds to the seed document's 45: what a webhook attempt observes
/// besides the seed's failures, what signing in through an upstream identity provider can
/// meet, and the device grant's answers, so that every code leaving the server is in the
/// catalogue.
pub const BEYOND_SEED: [Code; 20] = [
    Code::Delivered,
    Code::ReceiverUnexpectedStatus,
    Code::ReceiverConnectionFailed,
    Code::ReceiverDnsFailed,
    Code::ReceiverAddressForbidden,
    Code::AttemptInterrupted,
    Code::UpstreamRefused,
    Code::UpstreamUnavailable,
    Code::UpstreamResponseInvalid,
    Code::UpstreamEmailUnverified,
    Code::UpstreamEmailMissing,
    Code::LinkRequired,
    Code::LastSignInMethod,
    Code::AuthorizationPending,
    Code::SlowDown,
    Code::ExpiredToken,
    Code::AccessDenied,
    Code::InvalidDpopProof,
    Code::UseDpopNonce,
    Code::OrganizationMembershipRequired,
];

impl Family {
    /// This family's codes, in catalogue order.
    pub fn codes(self) -> impl Iterator<Item = Code> {
        ENTRIES.iter().filter(move |entry| entry.family == self).map(|entry| entry.code)
    }

    /// `code` if it is one of this family's (a webhook observation, say).
    pub fn parse(self, code: &str) -> Option<Code> {
        Code::parse(code).filter(|code| code.family() == self)
    }
}

impl Code {
    /// Whether the seed document defines this code (all but [`BEYOND_SEED`]).
    pub fn in_seed(self) -> bool {
        !BEYOND_SEED.contains(&self)
    }

    /// This code's catalogue row.
    pub fn entry(self) -> &'static Entry {
        // ENTRIES is declared in the same order as the enum, so the discriminant indexes it.
        &ENTRIES[self as usize]
    }

    pub fn family(self) -> Family {
        self.entry().family
    }

    /// The HTTP status used when this code is a response; 500 for observation-only codes,
    /// which must never be sent as responses.
    pub fn http_status(self) -> u16 {
        self.entry().http_status.unwrap_or(500)
    }

    pub fn default_message(self) -> &'static str {
        self.entry().message
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The public JSON form of an entry, as served at `GET /v1/errors` and written by `xtask gen`.
pub fn entry_json(entry: &Entry) -> serde_json::Value {
    serde_json::json!({
        "code": entry.code.as_str(),
        "family": entry.family.as_str(),
        "http_status": entry.http_status,
        "message": entry.message,
        "user_visible": entry.user_visible(),
        "seed_copy": entry.seed_copy(),
        "advice": entry.advice,
        "retryable": entry.retryable,
        "retry_after": entry.retry_after,
        "topic": entry.topic,
        "in_seed": entry.code.in_seed(),
    })
}

/// The whole catalogue as JSON: `{ "codes": [...] }`.
pub fn catalogue_json() -> serde_json::Value {
    serde_json::json!({ "codes": ENTRIES.iter().map(entry_json).collect::<Vec<_>>() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_indexed_by_discriminant() {
        for (index, entry) in ENTRIES.iter().enumerate() {
            assert_eq!(entry.code as usize, index, "{} out of order", entry.code);
            assert_eq!(Code::parse(entry.code.as_str()), Some(entry.code));
        }
    }

    #[test]
    fn holds_the_seed_s_45_codes_and_the_20_beyond_once() {
        let mut codes: Vec<_> = ENTRIES.iter().map(|e| e.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 65);
        assert_eq!(ENTRIES.iter().filter(|e| e.code.in_seed()).count(), 45);
        assert!(BEYOND_SEED.iter().all(|code| matches!(
            code.family(),
            Family::Webhook | Family::Authentication | Family::Management | Family::Authorization
        )));
    }

    #[test]
    fn shown_copy_is_the_default_message() {
        for entry in ENTRIES {
            if let UserCopy::Show(text) = entry.copy {
                assert_eq!(entry.message, text, "{}", entry.code);
            }
        }
    }
}
