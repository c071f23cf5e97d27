//! Turning domain errors into responses: one body shape for every error on every route,
//! and the one place that decides what HTTP and OAuth make of an error — its status, the
//! RFC 6749 `error` field and the `WWW-Authenticate` challenge (from the domain's
//! [`Refusal`]; `core::Error` carries none of them).
//!
//! Handlers return [`ApiError`]; its response carries the error in an extension and the
//! `observe` middleware renders the final body, because only it knows the request id and
//! whether the client wants HTML. Responses that did not come from an `ApiError` (axum's
//! own 404/405, a rejected body) are mapped onto catalogue codes there too.

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use intelliauth_catalogue::Code;
use intelliauth_core::model::Tenant;
use intelliauth_core::{Error, Refusal};

use crate::pages::html::escape;
use serde_json::{json, Value};

/// The error type of the HTTP layer: a domain error, and the status HTTP itself gives it
/// where it names the condition (413 for a body over the limit, 405 for a method, 431 for
/// headers; the body is the same).
#[derive(Debug)]
pub struct ApiError {
    pub error: Error,
    pub status: Option<StatusCode>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// Answers `error` with `status` instead of the status its code and refusal give.
    pub fn with_status(error: Error, status: StatusCode) -> Self {
        ApiError { error, status: Some(status) }
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| status_of(&self.error))
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError { error, status: None }
    }
}

impl From<intelliauth_core::ports::StoreError> for ApiError {
    fn from(error: intelliauth_core::ports::StoreError) -> Self {
        ApiError::from(Error::from(error))
    }
}

/// The realm of our Bearer challenges.
const BEARER: &str = "Bearer realm=\"intelliauth\"";

/// The status `error` is answered with: 401 for a caller that must authenticate (with a
/// challenge), 400 for the OAuth refusals RFC 6749 §5.2 answers so (all but
/// `invalid_client`), otherwise the catalogue's.
pub(crate) fn status_of(error: &Error) -> StatusCode {
    let catalogue = error.code.http_status();
    let status = if challenge(error).is_some() {
        401
    } else if oauth_error(error).is_some_and(|name| name != "invalid_client") && (400..500).contains(&catalogue) {
        400
    } else {
        catalogue
    };
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// RFC 6749's `error` for a refusal an OAuth client must be able to read.
pub(crate) fn oauth_error(error: &Error) -> Option<&'static str> {
    Some(match error.refusal.as_ref()? {
        Refusal::BadClient { .. } => "invalid_client",
        Refusal::BadGrant => "invalid_grant",
        Refusal::ClientNotAllowed => "unauthorized_client",
        Refusal::UnsupportedGrantType => "unsupported_grant_type",
        Refusal::UnsupportedResponseType => "unsupported_response_type",
        Refusal::BadScope => "invalid_scope",
        Refusal::UnknownTarget => "invalid_target",
        Refusal::MalformedRequest => "invalid_request",
        Refusal::SignInNeeded => "login_required",
        Refusal::InteractionNeeded => "interaction_required",
        Refusal::ConsentNeeded => "consent_required",
        Refusal::Denied => "access_denied",
        Refusal::TryLater => "temporarily_unavailable",
        Refusal::StepFailed => "server_error",
        Refusal::AuthorizationPending => "authorization_pending",
        Refusal::SlowDown => "slow_down",
        Refusal::ExpiredToken => "expired_token",
        Refusal::BadDpopProof => "invalid_dpop_proof",
        Refusal::DpopNonceNeeded { .. } => "use_dpop_nonce",
        Refusal::NoCredential { .. }
        | Refusal::BadCredential { .. }
        | Refusal::WeakAuthentication { .. }
        | Refusal::DpopCredential(_) => return None,
    })
}

/// The `WWW-Authenticate` challenge for a caller that must authenticate (RFC 6750 §3, no
/// error attribute when it sent no credential; RFC 9470 for step-up; Basic for a client
/// that failed to authenticate to the token endpoint).
fn challenge(error: &Error) -> Option<String> {
    Some(match error.refusal.as_ref()? {
        Refusal::NoCredential { .. } => BEARER.to_owned(),
        Refusal::BadCredential { why } => format!("{BEARER}, error=\"invalid_token\", error_description=\"{why}\""),
        Refusal::WeakAuthentication { acr_values, max_age_s } => format!(
            "{BEARER}, error=\"insufficient_user_authentication\", \
             error_description=\"A recent multi-factor sign-in is required\", \
             acr_values=\"{acr_values}\", max_age={max_age_s}"
        ),
        Refusal::BadClient { realm: Some(realm) } => format!("Basic realm=\"{realm}\""),
        Refusal::DpopCredential(challenge) => format!(
            "DPoP algs=\"{}\", error=\"{}\", error_description=\"{}\"",
            intelliauth_oidc::DPOP_ALGS.join(" "),
            challenge.error,
            challenge.why
        ),
        _ => return None,
    })
}

/// The nonce a DPoP refusal asks the client to use next (RFC 9449 §8, §9).
fn dpop_nonce(error: &Error) -> Option<&str> {
    match error.refusal.as_ref()? {
        Refusal::DpopNonceNeeded { nonce } => Some(nonce),
        Refusal::DpopCredential(challenge) => challenge.nonce.as_deref(),
        _ => None,
    }
}

/// Marks a response a handler already rendered for an error (a hosted page showing the
/// copy): the renderer leaves it alone but still counts and logs the code.
#[derive(Clone, Copy)]
pub(crate) struct Rendered(pub Code);

/// The error travelling from a handler to the renderer.
#[derive(Clone)]
pub(crate) struct PendingError(pub Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(PendingError(Arc::new(self)));
        response
    }
}

/// The catalogue code for a response produced outside our handlers.
pub(crate) fn code_for_bare_status(status: StatusCode) -> Code {
    match status.as_u16() {
        404 => Code::NotFound,
        408 => Code::NetworkError,
        429 => Code::RateLimited,
        503 => Code::ServiceUnavailable,
        400..=499 => Code::ValidationFailed,
        _ => Code::ServerError,
    }
}

/// The JSON body every error response has.
pub(crate) fn error_body(error: &Error, request_id: &str) -> Value {
    let mut details = error.details.clone();
    // Every answer that says when to retry says it in the body too, for clients that cannot
    // read headers (browsers across origins without an exposed Retry-After).
    if let Some(seconds) = error.retry_after_s {
        details.insert("retry_after_s".into(), seconds.into());
    }
    let mut body = json!({
        "code": error.code.as_str(),
        "message": crate::i18n::message(error),
        "details": details,
        "request_id": request_id,
    });
    if let Some(rfc_error) = oauth_error(error) {
        body["error"] = rfc_error.into();
        body["error_description"] = error.developer_description().into();
    }
    body
}

/// Who reads an error: a client (JSON), or a person in a browser — with the tenant the
/// request was for, when there is one, whose brand the page wears and whose sign-in page is
/// the way on.
pub(crate) enum Reader {
    Client,
    Browser { tenant_id: Option<String>, tenant: Option<Box<Tenant>> },
}

/// Renders `error` as the final response: JSON for API clients, a small page for browsers.
pub(crate) fn render(failure: &ApiError, request_id: &str, reader: &Reader) -> Response {
    let (error, status) = (&failure.error, failure.status());
    let mut response = if let Reader::Browser { tenant_id, tenant } = reader {
        let sign_in = tenant_id.as_deref().map(|id| intelliauth_core::paths::LOGIN.of(id));
        let html = match tenant {
            Some(tenant) => branded_error_page(tenant, error, request_id, sign_in.as_deref()),
            None => error_page(error, request_id, sign_in.as_deref()),
        };
        let mut page = (status, Html(html)).into_response();
        // The same protection as the sign-in pages: no script, no framing.
        let headers = page.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        page
    } else {
        (status, axum::Json(error_body(error, request_id))).into_response()
    };
    let headers = response.headers_mut();
    if let Some(seconds) = error.retry_after_s {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(nonce) = dpop_nonce(error).and_then(|nonce| HeaderValue::from_str(nonce).ok()) {
        headers.insert("dpop-nonce", nonce);
    }
    if let Some(challenge) = challenge(error).and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, challenge);
    } else if status == StatusCode::UNAUTHORIZED {
        // RFC 9110 §15.5.2: every 401 names a scheme. Bearer, because it is what our APIs
        // take and browsers show no password dialog for it.
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(BEARER));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The error page in the tenant's theme: the copy in the error summary, the code and the
/// request id to quote, and the way back to signing in.
fn branded_error_page(tenant: &Tenant, error: &Error, request_id: &str, sign_in: Option<&str>) -> String {
    use crate::pages::html::{alert_with, page};
    let details = format!("<p><code>{}</code> · <code>{}</code></p>", error.code.as_str(), escape(request_id));
    let body =
        format!("{}{}", alert_with(&crate::i18n::message(error), error.code.as_str(), &details), way_on(sign_in));
    page(tenant, &crate::i18n::t("error-title"), &body)
}

/// A way on that makes sense in a browser: the tenant's sign-in page, when the request was
/// for a tenant (the instance's root answers JSON).
fn way_on(sign_in: Option<&str>) -> String {
    sign_in
        .map(|path| format!("<p><a href=\"{}\">{}</a></p>", escape(path), escape(&crate::i18n::t("go-to-sign-in"))))
        .unwrap_or_default()
}

fn error_page(error: &Error, request_id: &str, sign_in: Option<&str>) -> String {
    let locale = crate::i18n::current();
    let message = escape(&crate::i18n::message(error));
    let code = error.code.as_str();
    let request_id = escape(request_id);
    let way_on = way_on(sign_in);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{message} · IntelliAuth</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}}\
code{{background:#f0f4f8;padding:.1rem .3rem;border-radius:.2rem}}</style></head>\
<body><main><h1>{message}</h1><p role=\"alert\" data-code=\"{code}\"><code>{code}</code> · <code>{request_id}</code></p>\
{way_on}</main></body></html>\n",
        lang = locale.tag(),
        dir = locale.direction(),
    )
}
