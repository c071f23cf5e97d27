//! The browser side of OAuth: the authorization endpoint (which signs the user in through
//! the login page when needed) and the consent screen for third-party applications.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::ClientContext;
use intelliauth_core::paths;
use intelliauth_core::{secret, Error};
use intelliauth_oidc::{AuthorizeParams, ConsentAnswer, LogoutParams, LogoutPlan, Outcome, SessionInfo};
use serde::Deserialize;

use super::html::{escape, hidden, notice, page};
use super::Page;
use super::{cookies, redirect, require_csrf, respond, restart_page, PageResult};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, FormBody};
use crate::i18n::{t, t_with};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&paths::AUTHORIZE.route(), get(authorize))
        .route(&paths::CONSENT.route(), get(consent_page).post(consent_submit))
        .route(&paths::ORGANIZATION_PICKER.route(), get(organization_page).post(organization_submit))
        .route(&paths::END_SESSION.route(), get(logout_request).post(logout_confirmed))
}

/// The CSRF token for a form that is not tied to a flow: the browser's cookie, or a new
/// one that the response sets.
struct FormCsrf {
    token: String,
    is_new: bool,
}

impl FormCsrf {
    fn for_browser(headers: &HeaderMap) -> FormCsrf {
        match cookies::read(headers, cookies::CSRF) {
            Some(token) => FormCsrf { token: token.to_owned(), is_new: false },
            None => FormCsrf { token: secret::generate(""), is_new: true },
        }
    }

    fn set_cookie(&self, response: &mut Response, public_url: &str, tenant_id: &str) {
        if self.is_new {
            cookies::set(response.headers_mut(), public_url, tenant_id, cookies::CSRF, &self.token, None);
        }
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    request_id: Option<String>,
    #[serde(flatten)]
    params: AuthorizeParams,
}

pub(crate) async fn session_info(state: &AppState, tenant_id: &str, headers: &HeaderMap) -> Option<SessionInfo> {
    let (session, user) = state.auth.session(tenant_id, cookies::read(headers, cookies::SESSION)).await.ok()?;
    Some(SessionInfo {
        user_id: user.id,
        session_id: session.record.id,
        auth_time_ms: session.record.created_at,
        amr: session.record.amr,
        custom_claims: session.record.custom_claims,
    })
}

/// Runs (or resumes) an authorization request and turns its outcome into a response.
async fn run(
    state: &AppState,
    tenant_id: &str,
    query: AuthorizeQuery,
    headers: &HeaderMap,
    consent: ConsentAnswer,
    client: &ClientContext,
) -> ApiResult<Response> {
    let (params, resumed) = match &query.request_id {
        Some(id) => match state.oidc.resume_request(tenant_id, id).await? {
            Some((params, resumed)) => (params, Some(resumed)),
            None => {
                let tenant = state.management.tenant(tenant_id).await?;
                return Ok(restart_page(&tenant, &Error::new(Code::FlowExpired), "/"));
            }
        },
        None => {
            // Only the server marks a request pushed: never the request's own query.
            let mut params = AuthorizeParams { pushed: false, ..query.params };
            if let Some(request_uri) = params.request_uri.take() {
                params = state.oidc.pushed_request(tenant_id, &request_uri, params.client_id.as_deref()).await?;
            }
            (params, None)
        }
    };
    let session = session_info(state, tenant_id, headers).await;
    match state.oidc.authorize(tenant_id, params, resumed, session, consent, client).await? {
        Outcome::ErrorPage(error) => Err(ApiError::from(error)),
        Outcome::Redirect(location) | Outcome::SignIn(location) => Ok(redirect(&location)),
        Outcome::Refused { redirect_uri, state, issuer, error } => {
            Ok(redirect(&refused_redirect(&redirect_uri, state.as_deref(), &issuer, &error)))
        }
        Outcome::StepUp(return_to) => {
            let session = cookies::read(headers, cookies::SESSION);
            let csrf = cookies::read(headers, cookies::CSRF);
            let started = state.auth.start_step_up(tenant_id, session, &return_to, csrf).await?;
            let mut response = redirect(&super::mfa::mfa_path(tenant_id, &started.flow.id));
            cookies::set(
                response.headers_mut(),
                state.auth.public_url(),
                tenant_id,
                cookies::CSRF,
                &started.csrf_token,
                None,
            );
            Ok(response)
        }
        Outcome::Consent { request_id, .. } => {
            Ok(redirect(&paths::CONSENT.with_query(tenant_id, &[("request_id", &request_id)])))
        }
        Outcome::PickOrganization { request_id } => {
            Ok(redirect(&paths::ORGANIZATION_PICKER.with_query(tenant_id, &[("request_id", &request_id)])))
        }
    }
}

/// The organization picker: the signed-in user's organizations, one button each.
async fn organization_page(
    Page { state, tenant, headers, .. }: Page,
    Query(query): Query<ConsentQuery>,
) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let (Some(_), Some(session)) = (
        state.oidc.resume_request(&tenant_id, &query.request_id).await?,
        session_info(&state, &tenant_id, &headers).await,
    ) else {
        return Ok(restart_page(&tenant, &Error::new(Code::FlowExpired), "/"));
    };
    let organizations = state.oidc.organizations_of(&tenant_id, &session.user_id).await?;
    let csrf = FormCsrf::for_browser(&headers);
    let buttons: String = organizations
        .iter()
        .map(|organization| {
            format!(
                "<li><button type=\"submit\" name=\"organization\" value=\"{id}\" class=\"secondary\">{name}</button></li>",
                id = escape(&organization.id),
                name = escape(&organization.config.display_name),
            )
        })
        .collect();
    let body = format!(
        "<p>{intro}</p><form method=\"post\" action=\"{action}\">{csrf_field}<ul id=\"organizations\" class=\"choices\">{buttons}</ul></form>",
        intro = escape(&t("organization-intro")),
        action = escape(&paths::ORGANIZATION_PICKER.with_query(&tenant_id, &[("request_id", &query.request_id)])),
        csrf_field = hidden("csrf_token", &csrf.token),
    );
    let mut response = respond(StatusCode::OK, page(&tenant, &t("organization-title"), &body), None, None);
    csrf.set_cookie(&mut response, state.auth.public_url(), &tenant_id);
    Ok(response)
}

/// The user's pick: the request goes on for that organization (membership checked there).
async fn organization_submit(
    Query(query): Query<ConsentQuery>,
    Page { state, tenant, client, headers, .. }: Page,
    form: FormBody,
) -> PageResult {
    require_csrf(&tenant, &headers, &form, "/")?;
    let Some(request_id) =
        state.oidc.choose_organization(&tenant.id, &query.request_id, form.get("organization")).await?
    else {
        return Ok(restart_page(&tenant, &Error::new(Code::FlowExpired), "/"));
    };
    let query = AuthorizeQuery { request_id: Some(request_id), params: AuthorizeParams::default() };
    Ok(run(&state, &tenant.id, query, &headers, ConsentAnswer::NotAsked, &client).await?)
}

/// The client's redirect URI with `error` in RFC 6749 §4.1.2.1 form, RFC 9207's `iss`, and
/// what our JSON answers add (the catalogue code, an Action's verdict, refused scopes).
fn refused_redirect(redirect_uri: &str, state: Option<&str>, issuer: &str, error: &Error) -> String {
    let mut pairs = vec![
        ("error", crate::error::oauth_error(error).unwrap_or("invalid_request")),
        ("error_description", error.developer_description()),
        // Not `code`, nor any name ending in it: clients look for `code=` in the URL and
        // take what follows for an authorization code (authlib does).
        ("catalogue_error", error.code.as_str()),
        ("iss", issuer),
    ];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    // An Action's verdict names the Action (details.step) and its reason, as in JSON.
    let step = |field: &str| error.details.get("step").and_then(|step| step.get(field)).and_then(|v| v.as_str());
    let reason = error.details.get("reason").and_then(|reason| reason.as_str());
    let refused = error
        .details
        .get("scopes")
        .and_then(|scopes| scopes.as_array())
        .map(|scopes| scopes.iter().filter_map(|scope| scope.as_str()).collect::<Vec<_>>().join(" "));
    let reason = reason.filter(|_| error.code != Code::InvalidScope);
    for (name, value) in [
        ("step_id", step("id")),
        ("step_name", step("name")),
        ("reason", reason),
        ("refused_scopes", refused.as_deref()),
    ] {
        if let Some(value) = value {
            pairs.push((name, value));
        }
    }
    intelliauth_oidc::authorize::with_query(redirect_uri, &pairs)
}

async fn authorize(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<AuthorizeQuery>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
) -> ApiResult<Response> {
    run(&state, &tenant_id, query, &headers, ConsentAnswer::NotAsked, &client).await
}

#[derive(Deserialize)]
struct ConsentQuery {
    request_id: String,
}

async fn consent_page(
    Page { state, tenant, headers, .. }: Page,
    Query(query): Query<ConsentQuery>,
) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let Some((params, _)) = state.oidc.resume_request(&tenant_id, &query.request_id).await? else {
        return Ok(restart_page(&tenant, &Error::new(Code::FlowExpired), "/"));
    };
    let application = state.management.application(&tenant_id, params.client_id.as_deref().unwrap_or_default()).await?;
    let scopes: Vec<&str> = params.scope.as_deref().unwrap_or("openid").split(' ').filter(|s| !s.is_empty()).collect();
    let audience = params.audience.as_deref().or(params.resource.as_deref());
    let scopes = scope_list(&state, &tenant_id, audience, &scopes).await?;
    let csrf = FormCsrf::for_browser(&headers);
    let body = format!(
        "<p>{intro}</p>{scopes}\
         <form method=\"post\" action=\"{action}\">{csrf_field}\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">{allow}</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" class=\"secondary\">{deny}</button></form>",
        intro = escape(&t_with("consent-intro", "app", application.name.clone())),
        allow = escape(&t("allow")),
        deny = escape(&t("deny")),
        action = escape(&paths::CONSENT.with_query(&tenant_id, &[("request_id", &query.request_id)])),
        csrf_field = hidden("csrf_token", &csrf.token),
    );
    let mut response = respond(StatusCode::OK, page(&tenant, &t("consent-title"), &body), None, None);
    csrf.set_cookie(&mut response, state.auth.public_url(), &tenant_id);
    Ok(response)
}

/// The scopes a request asks for, as a list: with an API, its name first and each
/// permission's description beside it (what an admin wrote for people to read).
pub(super) async fn scope_list(
    state: &AppState,
    tenant_id: &str,
    audience: Option<&str>,
    scopes: &[&str],
) -> ApiResult<String> {
    let api = match audience {
        Some(audience) => state.oidc.api_by_identifier(tenant_id, audience).await?,
        None => None,
    };
    let items: String = scopes
        .iter()
        .map(|scope| {
            let described = api
                .as_ref()
                .and_then(|api| api.config.permissions.iter().find(|permission| permission.value == *scope))
                .filter(|permission| !permission.description.is_empty())
                .map(|permission| format!(" <span class=\"muted\">{}</span>", escape(&permission.description)))
                .unwrap_or_default();
            format!("<li><code>{}</code>{described}</li>", escape(scope))
        })
        .collect();
    let heading = match &api {
        Some(api) => {
            format!("<p id=\"scopes-api\">{}</p>", escape(&t_with("scopes-api", "api", api.config.name.clone())))
        }
        None => String::new(),
    };
    Ok(format!("{heading}<ul id=\"scopes\">{items}</ul>"))
}

async fn consent_submit(
    Query(query): Query<ConsentQuery>,
    Page { state, tenant, client, headers, .. }: Page,
    form: FormBody,
) -> PageResult {
    require_csrf(&tenant, &headers, &form, "/")?;
    let answer = if form.get("decision") == "allow" { ConsentAnswer::Approved } else { ConsentAnswer::Denied };
    let query = AuthorizeQuery { request_id: Some(query.request_id), params: AuthorizeParams::default() };
    Ok(run(&state, &tenant.id, query, &headers, answer, &client).await?)
}

/// Ends the browser's session (and its refresh tokens) and goes where the plan says.
async fn sign_out(state: &AppState, tenant_id: &str, headers: &HeaderMap, plan: LogoutPlan) -> ApiResult<Response> {
    let mut frames = Vec::new();
    if let Some(token) = cookies::read(headers, cookies::SESSION) {
        // The applications the session signed in to are told in the browser, after it ends.
        if let Ok((session, _)) = state.auth.session(tenant_id, Some(token)).await {
            frames = state.oidc.frontchannel_logout_urls(tenant_id, &session.record.id).await?;
        }
        state.auth.end_session(token).await?;
    }
    let mut response = match (plan.redirect, frames.is_empty()) {
        (Some(location), true) => redirect(&location),
        (next, _) => {
            let tenant = state.management.tenant(tenant_id).await?;
            crate::i18n::offer_tenant(&tenant);
            signed_out_page(&tenant, &frames, next.as_deref())
        }
    };
    cookies::set(response.headers_mut(), state.auth.public_url(), tenant_id, cookies::SESSION, "", Some(0));
    Ok(response)
}

/// The signed-out page: a hidden frame per front-channel logout URI, then on to `next` (the
/// client's post-logout redirect) after the frames had their moment, without script.
fn signed_out_page(tenant: &intelliauth_core::model::Tenant, frames: &[String], next: Option<&str>) -> Response {
    let iframes: String = frames
        .iter()
        .map(|url| {
            format!("<iframe src=\"{}\" title=\"\" tabindex=\"-1\" aria-hidden=\"true\" class=\"logout-frame\" style=\"width:0;height:0;border:0\"></iframe>", escape(url))
        })
        .collect();
    let onward = next
        .map(|next| {
            format!(
                "<meta http-equiv=\"refresh\" content=\"2;url={0}\"><p><a href=\"{0}\" id=\"continue\">{1}</a></p>",
                escape(next),
                escape(&t("continue"))
            )
        })
        .unwrap_or_default();
    let body = format!("{}{onward}{iframes}", notice(&t("signed-out")));
    let mut response = respond(StatusCode::OK, page(tenant, &t("signed-out-title"), &body), None, None);
    // Frames only of the applications' own origins.
    let origins: Vec<&str> = frames.iter().filter_map(|url| origin_of(url)).collect();
    if !origins.is_empty() {
        let headers = response.headers_mut();
        let policy = headers
            .get(axum::http::header::CONTENT_SECURITY_POLICY)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let policy = format!("{policy}; frame-src {}", origins.join(" "));
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            headers.insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// `scheme://host[:port]` of an absolute http(s) URL (checked when it was saved).
fn origin_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |at| after_scheme + at);
    Some(&url[..end]).filter(|origin| !origin.contains([' ', ';', '\'', '"']))
}

async fn logout_request(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(params): Query<LogoutParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let plan = state.oidc.plan_logout(&tenant_id, &params).await?;
    if plan.hinted_subject.is_some() {
        return sign_out(&state, &tenant_id, &headers, plan).await;
    }
    // Without proof that the client holds the user's ID token, ask: a link on another site
    // must not be able to sign people out.
    let tenant = state.management.tenant(&tenant_id).await?;
    crate::i18n::offer_tenant(&tenant);
    let csrf = FormCsrf::for_browser(&headers);
    let carried: String = [
        ("client_id", &params.client_id),
        ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
        ("state", &params.state),
    ]
    .iter()
    .filter_map(|(name, value)| value.as_deref().map(|value| hidden(name, value)))
    .collect();
    let body = format!(
        "<p>{question}</p><form method=\"post\" action=\"{action}\">{csrf_field}{carried}\
         <button type=\"submit\" id=\"sign-out\">{sign_out}</button></form>",
        question = escape(&t("sign-out-question")),
        sign_out = escape(&t("sign-out")),
        action = escape(&paths::END_SESSION.of(&tenant_id)),
        csrf_field = hidden("csrf_token", &csrf.token),
    );
    let mut response = respond(StatusCode::OK, page(&tenant, &t("sign-out-title"), &body), None, None);
    csrf.set_cookie(&mut response, state.auth.public_url(), &tenant_id);
    Ok(response)
}

async fn logout_confirmed(Page { state, tenant, headers, .. }: Page, form: FormBody) -> PageResult {
    require_csrf(&tenant, &headers, &form, "/")?;
    let optional = |key: &str| form.0.get(key).cloned();
    let params = LogoutParams {
        id_token_hint: None,
        client_id: optional("client_id"),
        post_logout_redirect_uri: optional("post_logout_redirect_uri"),
        state: optional("state"),
    };
    let plan = state.oidc.plan_logout(&tenant.id, &params).await?;
    Ok(sign_out(&state, &tenant.id, &headers, plan).await?)
}
