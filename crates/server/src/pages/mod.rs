//! Hosted pages: sign-in, registration, email verification, forgotten and reset password,
//! and a minimal account page. Server-rendered forms over the same flow engine as the JSON
//! API; each failure shows the catalogue's copy for its code.

mod account;
pub(crate) mod cookies;
pub(crate) mod html;
mod mfa;
mod oauth;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use intelliauth_catalogue::{Code, Family};
use intelliauth_core::auth::{CsrfProof, FlowKind, Registration, SignIn};
use intelliauth_core::model::Tenant;
use intelliauth_core::{secret, Error};
use serde::Deserialize;

use crate::error::{ApiResult, Rendered};
use crate::extract::{ClientIp, FormBody};
use crate::state::AppState;
use html::{alert, escape, hidden, input, notice, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant_id}/login", get(login_page).post(login_submit))
        .route("/t/{tenant_id}/login/mfa", get(mfa::mfa_page).post(mfa::mfa_submit))
        .route("/t/{tenant_id}/login/mfa/sms", post(mfa::mfa_send_sms))
        .route("/t/{tenant_id}/login/passkey", get(mfa::passkey_page).post(mfa::passkey_submit))
        .route("/t/{tenant_id}/register", get(register_page).post(register_submit))
        .route("/t/{tenant_id}/verify", get(verify_link))
        .route("/t/{tenant_id}/verify/resend", post(resend_submit))
        .route("/t/{tenant_id}/forgot", get(forgot_page).post(forgot_submit))
        .route("/t/{tenant_id}/reset", get(reset_page).post(reset_submit))
        .route("/t/{tenant_id}/account", get(account_page))
        .route("/t/{tenant_id}/account/factors/{factor_id}/remove", post(account::remove_factor))
        .route("/t/{tenant_id}/account/totp", get(account::totp_page).post(account::totp_submit))
        .route("/t/{tenant_id}/account/phone", get(account::phone_page).post(account::phone_submit))
        .route("/t/{tenant_id}/account/phone/confirm", post(account::phone_confirm))
        .route("/t/{tenant_id}/account/passkey", get(account::passkey_page).post(account::passkey_submit))
        .route("/t/{tenant_id}/logout", post(logout_submit))
        .merge(oauth::routes())
}

#[derive(Deserialize, Default)]
struct PageQuery {
    flow: Option<String>,
    return_to: Option<String>,
    token: Option<String>,
    reason: Option<String>,
    /// An OAuth client's guess of who is signing in: pre-fills the email field.
    login_hint: Option<String>,
    /// `backup_code` on the MFA page: ask for a backup code instead of a TOTP code.
    method: Option<String>,
}

/// A finished page. Pages that show an error carry its code so metrics and logs count it
/// and the error renderer leaves the page as it is.
pub(super) fn respond(status: StatusCode, body: String, code: Option<Code>, csp_nonce: Option<&str>) -> Response {
    let mut response = (status, axum::response::Html(body)).into_response();
    let headers = response.headers_mut();
    let script = csp_nonce.map_or("'none'".to_owned(), |nonce| format!("'nonce-{nonce}'"));
    // No `form-action`: browsers apply it to the redirects after a post, and signing in
    // for an OAuth client ends in a redirect to that client's origin.
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; script-src {script}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(code) = code {
        response.extensions_mut().insert(Rendered(code));
    }
    response
}

pub(crate) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn status_of(error: &Error) -> StatusCode {
    StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// The page for a flow that cannot continue: the copy and a clear way to start again.
pub(super) fn restart_page(tenant: &Tenant, error: &Error, restart: &str) -> Response {
    let body = format!(
        "{}<p><a href=\"{}\" id=\"start-again\">Start again</a></p>",
        alert(error.message(), error.code.as_str()),
        escape(restart)
    );
    respond(status_of(error), page(tenant, "Let's start again", &body), Some(error.code), None)
}

fn is_flow_error(error: &Error) -> bool {
    matches!(error.code, Code::FlowExpired | Code::FlowInvalid | Code::StateMismatch)
}

/// Errors a page shows above its form so the user can try again: the client's (4xx), and
/// an Action's timeout or failure (the flow is still open; the copy is generic).
pub(crate) fn shown_in_page(error: &Error) -> bool {
    error.code.entry().http_status.is_some_and(|status| status < 500)
        || matches!(error.code, Code::StepTimeout | Code::StepError)
}

/// Starts a browser flow (keeping the browser's CSRF cookie) and sends it to the flow's page.
async fn start_flow(
    state: &AppState,
    tenant: &Tenant,
    kind: FlowKind,
    page_path: &str,
    query: &PageQuery,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let existing = cookies::read(headers, cookies::CSRF);
    // A reset link opens recovery at its second step; everything else starts at the first.
    let step = if page_path == "reset" { "new_password" } else { kind.first_step() };
    let started =
        state.auth.start_flow_with_csrf(&tenant.id, kind, step, true, query.return_to.as_deref(), existing).await?;
    let mut location = format!("/t/{}/{page_path}?flow={}", tenant.id, started.flow.id);
    if let Some(token) = &query.token {
        location.push_str(&format!("&token={}", form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()));
    }
    if let Some(hint) = &query.login_hint {
        location
            .push_str(&format!("&login_hint={}", form_urlencoded::byte_serialize(hint.as_bytes()).collect::<String>()));
    }
    if let Some(reason) = &query.reason {
        location
            .push_str(&format!("&reason={}", form_urlencoded::byte_serialize(reason.as_bytes()).collect::<String>()));
    }
    let mut response = redirect(&location);
    cookies::set(response.headers_mut(), state.auth.public_url(), &tenant.id, cookies::CSRF, &started.csrf_token, None);
    Ok(response)
}

/// What proves a posted form comes from the browser that started its flow.
fn browser_proof<'a>(headers: &'a HeaderMap, form: &'a FormBody) -> CsrfProof<'a> {
    CsrfProof::Browser { cookie: cookies::read(headers, cookies::CSRF), form: Some(form.get("csrf_token")) }
}

/// The flow a form was posted to, or the page that says why it cannot go on.
async fn posted_flow(
    state: &AppState,
    tenant: &Tenant,
    kind: FlowKind,
    query: &PageQuery,
    proof: CsrfProof<'_>,
    restart: &str,
) -> ApiResult<Result<intelliauth_core::ports::FlowRecord, Response>> {
    match state.auth.load_flow(&tenant.id, query.flow.as_deref().unwrap_or_default(), kind, proof).await {
        Ok(flow) => Ok(Ok(flow)),
        Err(error) if is_flow_error(&error) => Ok(Err(restart_page(tenant, &error, restart))),
        Err(error) => Err(error.into()),
    }
}

/// The flow and CSRF token a page shows, or where to go instead.
async fn shown_flow(
    state: &AppState,
    tenant: &Tenant,
    kind: FlowKind,
    page_path: &str,
    query: &PageQuery,
    headers: &HeaderMap,
) -> ApiResult<Result<(String, String), Response>> {
    let (Some(flow_id), Some(csrf)) = (&query.flow, cookies::read(headers, cookies::CSRF)) else {
        return Ok(Err(start_flow(state, tenant, kind, page_path, query, headers).await?));
    };
    match state.auth.live_flow(&tenant.id, flow_id, kind).await {
        Ok(flow) => Ok(Ok((flow.id, csrf.to_owned()))),
        Err(error) if is_flow_error(&error) => {
            Ok(Err(restart_page(tenant, &error, &format!("/t/{}/{page_path}", tenant.id))))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- sign-in ----

struct LoginForm<'a> {
    flow_id: &'a str,
    csrf: &'a str,
    email: &'a str,
}

fn login_body(tenant: &Tenant, form: &LoginForm<'_>, before: &str, extra: &str) -> String {
    let action = format!("/t/{}/login?flow={}", tenant.id, form.flow_id);
    format!(
        "{before}<form method=\"post\" action=\"{action}\" novalidate>{csrf}{email}{password}{extra}\
         <button type=\"submit\">Sign in</button></form>\
         <nav><a href=\"/t/{t}/login/passkey?flow={f}\" id=\"use-passkey\">Sign in with a passkey</a>\
         <a href=\"/t/{t}/forgot\">Forgot your password?</a><a href=\"/t/{t}/register\">Create an account</a></nav>",
        action = escape(&action),
        csrf = hidden("csrf_token", form.csrf),
        email = input("email", "Email", "email", form.email, "username", &[]),
        password = input("password", "Password", "password", "", "current-password", &[]),
        t = escape(&tenant.id),
        f = escape(form.flow_id),
    )
}

/// The sign-in page as `tenant` (with a theme not yet saved) would show it, for the
/// console's live preview: the real renderer, a form that goes nowhere, framable only by
/// the console's own origin.
pub(crate) fn login_preview(tenant: &Tenant) -> Response {
    let form = LoginForm { flow_id: "preview", csrf: "preview", email: "" };
    let mut response = respond(StatusCode::OK, page(tenant, "Sign in", &login_body(tenant, &form, "", "")), None, None);
    let headers = response.headers_mut();
    headers.remove(header::X_FRAME_OPTIONS);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; \
             frame-ancestors 'self'; base-uri 'none'",
        ),
    );
    response
}

async fn login_page(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let (flow_id, csrf) = match shown_flow(&state, &tenant, FlowKind::Login, "login", &query, &headers).await? {
        Ok(shown) => shown,
        Err(response) => return Ok(response),
    };
    let form = LoginForm { flow_id: &flow_id, csrf: &csrf, email: query.login_hint.as_deref().unwrap_or("") };
    Ok(respond(StatusCode::OK, page(&tenant, "Sign in", &login_body(&tenant, &form, "", "")), None, None))
}

async fn login_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let flow_id = query.flow.clone().unwrap_or_default();
    let captcha = ["captcha", "h-captcha-response", "cf-turnstile-response"]
        .into_iter()
        .map(|key| form.get(key))
        .find(|v| !v.is_empty());
    let input = SignIn {
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        captcha: captcha.map(str::to_owned),
        previous_session: cookies::read(&headers, cookies::SESSION).map(str::to_owned),
    };
    let proof = browser_proof(&headers, &form);
    match state.auth.sign_in(&tenant_id, &flow_id, proof, input, client).await {
        Ok(signed_in) => {
            let target = signed_in.return_to.clone().unwrap_or_else(|| format!("/t/{tenant_id}/account"));
            let mut response = redirect(&target);
            mfa::set_session_cookie(&state, &tenant_id, &signed_in, &mut response);
            Ok(response)
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &format!("/t/{tenant_id}/login"))),
        // The copy of these two is not shown: the MFA page is.
        Err(error) if matches!(error.code, Code::MfaRequired | Code::MfaEnrolmentRequired) => {
            Ok(redirect(&mfa::mfa_path(&tenant_id, &flow_id)))
        }
        Err(error) if error.code == Code::PasswordMustBeReset => {
            let url = error.details.get("reset_url").and_then(|v| v.as_str()).unwrap_or_default();
            let path = url.strip_prefix(state.auth.public_url()).unwrap_or(url);
            Ok(redirect(&format!("{path}&reason=password_must_be_reset")))
        }
        Err(error) if shown_in_page(&error) => {
            let csrf = form.get("csrf_token");
            let shown = LoginForm { flow_id: &flow_id, csrf, email: form.get("email") };
            let csp_nonce = secret::generate("");
            let (before, extra) = login_error_parts(&tenant, &error, form.get("email"), csrf, &csp_nonce);
            let body = login_body(&tenant, &shown, &before, &extra);
            Ok(respond(status_of(&error), page(&tenant, "Sign in", &body), Some(error.code), Some(&csp_nonce)))
        }
        Err(error) => Err(error.into()),
    }
}

/// What a failed sign-in adds to the form: the copy above it, and for some codes a
/// control inside it (the captcha) or after it (resend verification).
fn login_error_parts(tenant: &Tenant, error: &Error, email: &str, csrf: &str, csp_nonce: &str) -> (String, String) {
    match error.code {
        Code::CaptchaRequired => {
            let details = &error.details;
            let widget = match details.get("provider").and_then(|p| p.as_str()) {
                Some("proof_of_work") => {
                    let challenge = &details["challenge"];
                    html::proof_of_work(
                        challenge["id"].as_str().unwrap_or_default(),
                        challenge["nonce"].as_str().unwrap_or_default(),
                        challenge["difficulty"].as_u64().unwrap_or(0),
                        csp_nonce,
                    )
                }
                _ => format!(
                    "<div class=\"captcha\" data-sitekey=\"{}\"></div>{}",
                    escape(details.get("site_key").and_then(|k| k.as_str()).unwrap_or_default()),
                    input("captcha", "Captcha answer", "text", "", "off", &[])
                ),
            };
            (String::new(), format!("<div data-code=\"captcha_required\">{widget}</div>"))
        }
        Code::AccountLocked => {
            let minutes = error.retry_after_s.unwrap_or(60).div_ceil(60);
            let wait = format!(
                "<p id=\"retry-after\">You can try again in about {minutes} minute{}.</p>",
                if minutes == 1 { "" } else { "s" }
            );
            (format!("{}{wait}", alert(error.message(), error.code.as_str())), String::new())
        }
        Code::EmailUnverified => {
            let resend = format!(
                "<form method=\"post\" action=\"/t/{t}/verify/resend\">{}{}<button type=\"submit\" class=\"secondary\">Resend verification email</button></form>",
                hidden("csrf_token", csrf),
                hidden("email", email),
                t = escape(&tenant.id)
            );
            (format!("{}{resend}", alert(error.message(), error.code.as_str())), String::new())
        }
        _ => (alert(error.message(), error.code.as_str()), String::new()),
    }
}

// ---- registration ----

fn register_body(
    tenant: &Tenant,
    flow_id: &str,
    csrf: &str,
    values: (&str, &str),
    fields: &serde_json::Value,
    before: &str,
) -> String {
    let errors = |field: &str| -> Vec<String> {
        fields
            .get(field)
            .and_then(|v| v.as_array())
            .map(|list| list.iter().filter_map(|m| m.as_str()).map(|m| format!("This {m}")).collect())
            .unwrap_or_default()
    };
    format!(
        "{before}<form method=\"post\" action=\"/t/{t}/register?flow={flow}\" novalidate>{csrf}{email}{name}{password}\
         <button type=\"submit\">Create account</button></form><nav><a href=\"/t/{t}/login\">Already have an account? Sign in</a></nav>",
        t = escape(&tenant.id),
        flow = escape(flow_id),
        csrf = hidden("csrf_token", csrf),
        email = input("email", "Email", "email", values.0, "email", &errors("email")),
        name = input("name", "Name", "text", values.1, "name", &errors("name")),
        password = input("password", "Password", "password", "", "new-password", &errors("password")),
    )
}

async fn register_page(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let (flow_id, csrf) =
        match shown_flow(&state, &tenant, FlowKind::Registration, "register", &query, &headers).await? {
            Ok(shown) => shown,
            Err(response) => return Ok(response),
        };
    let body = register_body(&tenant, &flow_id, &csrf, ("", ""), &serde_json::Value::Null, "");
    Ok(respond(StatusCode::OK, page(&tenant, "Create your account", &body), None, None))
}

async fn register_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let flow_id = query.flow.clone().unwrap_or_default();
    let name = form.get("name").trim().to_owned();
    let input = Registration {
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        name: (!name.is_empty()).then_some(name),
    };
    let proof = browser_proof(&headers, &form);
    match state.auth.register(&state.management, &tenant_id, &flow_id, proof, input, client).await {
        Ok(()) => {
            let body = notice("Check your inbox: we sent you a link to verify your email address.");
            Ok(respond(StatusCode::OK, page(&tenant, "Almost there", &body), None, None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &format!("/t/{tenant_id}/register"))),
        Err(error) if error.code == Code::ValidationFailed || matches!(error.code.family(), Family::Action) => {
            let fields = error.details.get("fields").cloned().unwrap_or_default();
            let message = if error.code == Code::ValidationFailed {
                "Please correct the highlighted fields."
            } else {
                error.message()
            };
            let before = alert(message, error.code.as_str());
            let body = register_body(
                &tenant,
                &flow_id,
                form.get("csrf_token"),
                (form.get("email"), form.get("name")),
                &fields,
                &before,
            );
            Ok(respond(status_of(&error), page(&tenant, "Create your account", &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- email verification ----

async fn verify_link(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    match state.auth.verify_email(&tenant_id, query.token.as_deref().unwrap_or_default()).await {
        Ok(()) => {
            let body = format!(
                "{}<p><a href=\"/t/{}/login\">Sign in</a></p>",
                notice("Your email address is verified."),
                escape(&tenant_id)
            );
            Ok(respond(StatusCode::OK, page(&tenant, "Email verified", &body), None, None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &format!("/t/{tenant_id}/login"))),
        Err(error) => Err(error.into()),
    }
}

/// A double-submit check for forms that are not tied to a flow.
pub(super) fn csrf_ok(headers: &HeaderMap, form: &FormBody) -> bool {
    cookies::read(headers, cookies::CSRF)
        .is_some_and(|cookie| secret::digests_equal(&secret::digest(cookie), &secret::digest(form.get("csrf_token"))))
}

async fn resend_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    if !csrf_ok(&headers, &form) {
        return Ok(restart_page(&tenant, &Error::new(Code::StateMismatch), &format!("/t/{tenant_id}/login")));
    }
    state.auth.resend_verification(&tenant_id, form.get("email"), client).await?;
    let body = format!(
        "{}<p><a href=\"/t/{}/login\">Back to sign in</a></p>",
        notice("If your address still needs verifying, a new link is on its way."),
        escape(&tenant_id)
    );
    Ok(respond(StatusCode::OK, page(&tenant, "Check your inbox", &body), None, None))
}

// ---- recovery ----

async fn forgot_page(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let (flow_id, csrf) = match shown_flow(&state, &tenant, FlowKind::Recovery, "forgot", &query, &headers).await? {
        Ok(shown) => shown,
        Err(response) => return Ok(response),
    };
    let body = format!(
        "<p>Enter your email address and we'll send you a link to choose a new password.</p>\
         <form method=\"post\" action=\"/t/{t}/forgot?flow={flow}\" novalidate>{csrf}{email}<button type=\"submit\">Send reset link</button></form>\
         <nav><a href=\"/t/{t}/login\">Back to sign in</a></nav>",
        t = escape(&tenant_id),
        flow = escape(&flow_id),
        csrf = hidden("csrf_token", &csrf),
        email = input("email", "Email", "email", "", "username", &[]),
    );
    Ok(respond(StatusCode::OK, page(&tenant, "Forgot your password?", &body), None, None))
}

async fn forgot_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let restart = format!("/t/{tenant_id}/forgot");
    let proof = browser_proof(&headers, &form);
    let flow = match posted_flow(&state, &tenant, FlowKind::Recovery, &query, proof, &restart).await? {
        Ok(flow) => flow,
        Err(response) => return Ok(response),
    };
    state.auth.request_recovery(&tenant_id, form.get("email"), client).await?;
    state.auth.finish_flow(&flow).await?;
    let body = notice("If an account exists for that address, we've sent it a link to choose a new password.");
    Ok(respond(StatusCode::OK, page(&tenant, "Check your inbox", &body), None, None))
}

fn reset_body(tenant: &Tenant, flow_id: &str, csrf: &str, token: &str, before: &str, errors: &[String]) -> String {
    format!(
        "{before}<form method=\"post\" action=\"/t/{t}/reset?flow={flow}\" novalidate>{csrf}{token}{password}\
         <button type=\"submit\">Set new password</button></form>",
        t = escape(&tenant.id),
        flow = escape(flow_id),
        csrf = hidden("csrf_token", csrf),
        token = hidden("token", token),
        password = input("password", "New password", "password", "", "new-password", errors),
    )
}

async fn reset_page(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let (flow_id, csrf) = match shown_flow(&state, &tenant, FlowKind::Recovery, "reset", &query, &headers).await? {
        Ok(shown) => shown,
        Err(response) => return Ok(response),
    };
    // Sent here by sign-in: say why, in the catalogue's words.
    let before = match query.reason.as_deref() {
        Some("password_must_be_reset") => {
            alert(Code::PasswordMustBeReset.default_message(), Code::PasswordMustBeReset.as_str())
        }
        _ => String::new(),
    };
    let body = reset_body(&tenant, &flow_id, &csrf, query.token.as_deref().unwrap_or_default(), &before, &[]);
    Ok(respond(StatusCode::OK, page(&tenant, "Choose a new password", &body), None, None))
}

async fn reset_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let flow_id = query.flow.clone().unwrap_or_default();
    let proof = browser_proof(&headers, &form);
    let restart = format!("/t/{tenant_id}/forgot");
    let flow = match posted_flow(&state, &tenant, FlowKind::Recovery, &query, proof, &restart).await? {
        Ok(flow) => flow,
        Err(response) => return Ok(response),
    };
    match state.auth.reset_password(&tenant_id, form.get("token"), form.get("password").to_owned()).await {
        Ok(_) => {
            state.auth.finish_flow(&flow).await?;
            let body = format!(
                "{}<p><a href=\"/t/{}/login\">Sign in</a></p>",
                notice("Your password has been changed."),
                escape(&tenant_id)
            );
            Ok(respond(StatusCode::OK, page(&tenant, "Password changed", &body), None, None))
        }
        Err(error) if error.code == Code::ValidationFailed => {
            let messages: Vec<String> = error.details["fields"]["password"]
                .as_array()
                .map(|list| list.iter().filter_map(|m| m.as_str()).map(|m| format!("The password {m}")).collect())
                .unwrap_or_default();
            let body = reset_body(&tenant, &flow_id, form.get("csrf_token"), form.get("token"), "", &messages);
            Ok(respond(status_of(&error), page(&tenant, "Choose a new password", &body), Some(error.code), None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &restart)),
        Err(error) => Err(error.into()),
    }
}

// ---- account ----

async fn account_page(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let session = state.auth.session(&tenant_id, cookies::read(&headers, cookies::SESSION)).await;
    let Ok((_, user)) = session else {
        return Ok(redirect(&format!("/t/{tenant_id}/login?return_to=/t/{tenant_id}/account")));
    };
    let csrf = cookies::read(&headers, cookies::CSRF).unwrap_or_default();
    let body = format!(
        "<p id=\"signed-in-as\">Signed in as <strong>{}</strong>.</p>{}\
         <form method=\"post\" action=\"/t/{}/logout\">{}<button type=\"submit\">Sign out</button></form>",
        escape(&user.email),
        account::methods_section(&state, &tenant, &user, csrf).await?,
        escape(&tenant_id),
        hidden("csrf_token", csrf)
    );
    Ok(respond(StatusCode::OK, page(&tenant, "Your account", &body), None, None))
}

async fn logout_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    if !csrf_ok(&headers, &form) {
        return Ok(restart_page(&tenant, &Error::new(Code::StateMismatch), &format!("/t/{tenant_id}/account")));
    }
    if let Some(token) = cookies::read(&headers, cookies::SESSION) {
        state.auth.end_session(token).await?;
    }
    let mut response = redirect(&format!("/t/{tenant_id}/login"));
    cookies::set(response.headers_mut(), state.auth.public_url(), &tenant_id, cookies::SESSION, "", Some(0));
    Ok(response)
}
