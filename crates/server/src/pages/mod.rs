//! Hosted pages: what every flow's pages share (routes, the page shell's headers, flows
//! started, loaded and restarted, and [`PageError`]); each flow's pages live in their own
//! module. Server-rendered forms over the same flow engine as the JSON API; each failure
//! shows the catalogue's copy for its code.

mod account;
pub(crate) mod cookies;
mod device;
pub(crate) mod html;
mod invitation;
mod login;
mod mfa;
pub(crate) mod oauth;
mod recovery;
mod register;
mod upstream;

pub(crate) use login::login_preview;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::{ClientContext, CsrfProof, FlowKind};
use intelliauth_core::model::Tenant;
use intelliauth_core::paths::{self, TenantPath};
use intelliauth_core::{secret, Error};
use serde::Deserialize;

use crate::error::{status_of, ApiError, ApiResult, Rendered};
use crate::extract::{ClientIp, FormBody};
use crate::i18n::t;
use crate::state::AppState;
use html::{alert, escape, page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&paths::LOGIN.route(), get(login::login_page).post(login::login_submit))
        .route(&paths::LOGIN_MFA.route(), get(mfa::mfa_page).post(mfa::mfa_submit))
        .route(&paths::LOGIN_MFA_SMS.route(), post(mfa::mfa_send_sms))
        .route(&paths::LOGIN_PASSKEY.route(), get(mfa::passkey_page).post(mfa::passkey_submit))
        .route(&paths::LOGIN_CONNECTION.route(), get(upstream::start))
        .route(&paths::LOGIN_UPSTREAM_CALLBACK.route(), get(upstream::callback).post(upstream::callback))
        .route(&paths::REGISTER.route(), get(register::register_page).post(register::register_submit))
        .route(&paths::VERIFY.route(), get(register::verify_link))
        .route(&paths::VERIFY_RESEND.route(), post(register::resend_submit))
        .route(&paths::FORGOT.route(), get(recovery::forgot_page).post(recovery::forgot_submit))
        .route(&paths::RESET.route(), get(recovery::reset_page).post(recovery::reset_submit))
        .route(&paths::ACCOUNT.route(), get(account::account_page))
        .route(&paths::ACCOUNT_FACTOR_REMOVAL.route(), post(account::remove_factor))
        .route(&paths::ACCOUNT_IDENTITY_REMOVAL.route(), post(upstream::remove_identity))
        .route(&paths::ACCOUNT_IDENTITY_LINK.route(), post(upstream::link_identity))
        .route(&paths::ACCOUNT_TOTP.route(), get(account::totp_page).post(account::totp_submit))
        .route(&paths::ACCOUNT_PHONE.route(), get(account::phone_page).post(account::phone_submit))
        .route(&paths::ACCOUNT_PHONE_CONFIRM.route(), post(account::phone_confirm))
        .route(&paths::ACCOUNT_PASSKEY.route(), get(account::passkey_page).post(account::passkey_submit))
        .route(&paths::LOGOUT.route(), post(account::logout_submit))
        .route(&paths::DEVICE.route(), get(device::device_page).post(device::device_submit))
        .route(&paths::INVITATION.route(), get(invitation::invitation_page).post(invitation::invitation_submit))
        .merge(oauth::routes())
}

/// Why a page handler stops before its own page: an answer already made for the browser
/// (the page that restarts a dead flow, a redirect to sign in first), or an error the
/// common renderer shows. Either renders itself, so a handler ends early with `?`.
pub(crate) enum PageError {
    Answer(Box<Response>),
    Failed(ApiError),
}

impl PageError {
    pub(crate) fn answer(response: Response) -> Self {
        PageError::Answer(Box::new(response))
    }
}

/// What a page handler returns.
pub(crate) type PageResult = Result<Response, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Answer(response) => *response,
            PageError::Failed(error) => error.into_response(),
        }
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError::Failed(ApiError::from(error))
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Failed(error)
    }
}

impl From<intelliauth_core::ports::StoreError> for PageError {
    fn from(error: intelliauth_core::ports::StoreError) -> Self {
        PageError::Failed(error.into())
    }
}

/// What a hosted page's handler starts from, read before it runs: the path's tenant (an
/// unknown one is `not_found`), the page's query, who is asking (address and user agent,
/// as `--trusted-proxies` resolves them) and the request's headers (its cookies).
pub(crate) struct Page {
    pub state: AppState,
    pub tenant: Tenant,
    pub query: PageQuery,
    pub client: ClientContext,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let tenant_id = crate::extract::path_param(parts, state, "tenant_id").await;
        let tenant =
            state.management.tenant(&tenant_id).await.map_err(|error| ApiError::from(error).into_response())?;
        crate::i18n::offer_tenant(&tenant);
        let Query(query) =
            Query::<PageQuery>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let ClientIp(client) = ClientIp::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        Ok(Page { state: state.clone(), tenant, query, client, headers: parts.headers.clone() })
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    flow: Option<String>,
    return_to: Option<String>,
    token: Option<String>,
    reason: Option<String>,
    /// An OAuth client's guess of who is signing in: pre-fills the email field.
    login_hint: Option<String>,
    /// `backup_code` on the MFA page: ask for a backup code instead of a TOTP code.
    method: Option<String>,
    /// The sign-in page links an upstream account (named here) once it signs in.
    link: Option<String>,
    /// The code a device shows (RFC 8628), on the device verification page.
    user_code: Option<String>,
}

/// Dresses the tenant's pages in `organization`'s branding, where it has one (its name, or
/// the organization's display name, as the brand).
pub(crate) fn wear_branding(
    tenant: &mut intelliauth_core::model::Tenant,
    organization: &intelliauth_core::organizations::Organization,
) {
    if let Some(branding) = &organization.config.branding {
        tenant.settings.theme = branding.clone();
        tenant.settings.theme.name.get_or_insert_with(|| organization.config.display_name.clone());
    }
}

/// A finished page. Pages that show an error carry its code so metrics and logs count it
/// and the error renderer leaves the page as it is.
pub(crate) fn respond(status: StatusCode, body: String, code: Option<Code>, csp_nonce: Option<&str>) -> Response {
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

/// The page for a flow that cannot continue: the copy and a clear way to start again.
pub(super) fn restart_page(tenant: &Tenant, error: &Error, restart: &str) -> Response {
    let body = format!(
        "{}<p><a href=\"{}\" id=\"start-again\">{}</a></p>",
        alert(&copy(error), error.code.as_str()),
        escape(restart),
        t("start-again"),
    );
    respond(status_of(error), page(tenant, &t("restart-title"), &body), Some(error.code), None)
}

pub(crate) use crate::i18n::message as copy;

fn is_flow_error(error: &Error) -> bool {
    matches!(error.code, Code::FlowExpired | Code::FlowInvalid | Code::StateMismatch)
}

/// Errors a page shows above its form so the user can try again: the client's (4xx), and
/// an Action's timeout or failure (the flow is still open; the copy is generic).
pub(crate) fn shown_in_page(error: &Error) -> bool {
    error.code.entry().http_status.is_some_and(|status| status < 500)
        || matches!(error.code, Code::StepTimeout | Code::StepError)
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
) -> Result<intelliauth_core::ports::FlowRecord, PageError> {
    match state.auth.load_flow(&tenant.id, query.flow.as_deref().unwrap_or_default(), kind, proof).await {
        Ok(flow) => Ok(flow),
        Err(error) if is_flow_error(&error) => Err(PageError::answer(restart_page(tenant, &error, restart))),
        Err(error) => Err(error.into()),
    }
}

impl Page {
    /// Starts a browser flow (keeping the browser's CSRF cookie) and sends it to the flow's page.
    async fn start_flow(&self, kind: FlowKind, flow_page: TenantPath) -> ApiResult<Response> {
        let (state, tenant, query) = (&self.state, &self.tenant, &self.query);
        let existing = cookies::read(&self.headers, cookies::CSRF);
        // A reset link opens recovery at its second step; everything else starts at the first.
        let step = if flow_page == paths::RESET { "new_password" } else { kind.first_step() };
        let started =
            state.auth.start_flow_with_csrf(&tenant.id, kind, step, true, query.return_to.as_deref(), existing).await?;
        let mut pairs = vec![("flow", started.flow.id.as_str())];
        for (name, value) in [("token", &query.token), ("login_hint", &query.login_hint), ("reason", &query.reason)] {
            if let Some(value) = value {
                pairs.push((name, value.as_str()));
            }
        }
        let mut response = redirect(&flow_page.with_query(&tenant.id, &pairs));
        let public_url = state.auth.public_url();
        cookies::set(response.headers_mut(), public_url, &tenant.id, cookies::CSRF, &started.csrf_token, None);
        Ok(response)
    }

    /// The flow and CSRF token a page shows, or where to go instead (a new flow's page, or
    /// the page that restarts a dead one).
    async fn shown_flow(
        &self,
        kind: FlowKind,
        flow_page: TenantPath,
    ) -> Result<(intelliauth_core::ports::FlowRecord, String), PageError> {
        let (Some(flow_id), Some(csrf)) = (&self.query.flow, cookies::read(&self.headers, cookies::CSRF)) else {
            return Err(PageError::answer(self.start_flow(kind, flow_page).await?));
        };
        match self.state.auth.live_flow(&self.tenant.id, flow_id, kind).await {
            Ok(flow) => Ok((flow, csrf.to_owned())),
            Err(error) if is_flow_error(&error) => {
                Err(PageError::answer(restart_page(&self.tenant, &error, &flow_page.of(&self.tenant.id))))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Goes on only if a form that is not tied to a flow carries the browser's CSRF token;
/// otherwise the answer is the page that starts again at `restart`.
pub(crate) fn require_csrf(
    tenant: &Tenant,
    headers: &HeaderMap,
    form: &FormBody,
    restart: &str,
) -> Result<(), PageError> {
    if csrf_ok(headers, form) {
        Ok(())
    } else {
        Err(PageError::answer(restart_page(tenant, &Error::new(Code::StateMismatch), restart)))
    }
}

/// A double-submit check for forms that are not tied to a flow.
pub(crate) fn csrf_ok(headers: &HeaderMap, form: &FormBody) -> bool {
    cookies::read(headers, cookies::CSRF)
        .is_some_and(|cookie| secret::digests_equal(&secret::digest(cookie), &secret::digest(form.get("csrf_token"))))
}
