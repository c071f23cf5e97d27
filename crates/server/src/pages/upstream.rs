//! Signing in through upstream identity providers on the hosted pages: the buttons, the
//! redirect to the upstream, the callback (query or Apple's form post), and the linked
//! accounts on the account page.

use axum::extract::{Path, Request};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use intelliauth_core::auth::{FlowKind, SignInStep, UpstreamCallback, UpstreamPurpose, UpstreamReturn};
use intelliauth_core::federation::Connection;
use intelliauth_core::model::{Tenant, User};
use intelliauth_core::organizations::Organization;
use intelliauth_core::{paths, secret};

use super::account::AccountForm;
use super::html::{alert, escape, hidden, page};
use super::{
    cookies, copy, is_flow_error, mfa, redirect, respond, restart_page, status_of, Page, PageError, PageResult,
};
use crate::extract::FormBody;
use crate::i18n::{t, t_with};
use crate::state::AppState;

/// A button per enabled connection (those the sign-in's `organization` allows), each
/// starting its sign-in on `flow_id` (or, without a flow, on a new one that returns to
/// `return_to`).
pub(crate) async fn buttons(
    state: &AppState,
    tenant: &Tenant,
    (flow_id, organization): (Option<&str>, Option<&Organization>),
    return_to: Option<&str>,
) -> String {
    let Ok(connections) = state.auth.connections_for(&tenant.id, organization).await else { return String::new() };
    if connections.is_empty() {
        return String::new();
    }
    let links: String = connections
        .iter()
        .map(|connection| {
            let mut query = Vec::new();
            if let Some(flow) = flow_id {
                query.push(("flow", flow));
            }
            if let Some(back) = return_to {
                query.push(("return_to", back));
            }
            let path = start_path(tenant, connection, &query);
            format!(
                "<a class=\"button secondary connection\" href=\"{}\" data-connection=\"{}\">{}</a>",
                escape(&path),
                escape(&connection.name),
                escape(&t_with("continue-with", "provider", connection.config.display_name.clone())),
            )
        })
        .collect();
    format!(
        "<div class=\"connections\" id=\"connections\"><p class=\"divider\">{}</p>{links}</div>",
        escape(&t("or-divider"))
    )
}

fn start_path(tenant: &Tenant, connection: &Connection, query: &[(&str, &str)]) -> String {
    paths::with_pairs(paths::LOGIN_CONNECTION.fill(&tenant.id, &[("connection", &connection.name)]), query)
}

/// `GET /t/{tenant}/login/connection/{connection}`: sends the browser to the upstream, on
/// the sign-in page's flow or (from the registration page, or the authorization endpoint's
/// `connection=`) a new one.
pub(crate) async fn start(Path((_, connection)): Path<(String, String)>, visit: Page) -> PageResult {
    let existing = cookies::read(&visit.headers, cookies::CSRF).map(str::to_owned);
    let (state, tenant) = (&visit.state, &visit.tenant);
    let live = match (&visit.query.flow, &existing) {
        // Only a browser's own flow: a JSON flow's result goes to its app, never to a page.
        (Some(flow_id), Some(_)) => {
            state.auth.live_flow(&tenant.id, flow_id, FlowKind::Login).await.ok().filter(|flow| flow.browser)
        }
        _ => None,
    };
    let (flow, new_csrf) = match live {
        Some(flow) => (flow, None),
        None => {
            let return_to = visit.query.return_to.as_deref();
            let started = state
                .auth
                .start_flow_with_csrf(&tenant.id, FlowKind::Login, "credentials", true, return_to, existing.as_deref())
                .await?;
            (started.flow, Some(started.csrf_token))
        }
    };
    let hint = visit.query.login_hint.as_deref();
    let url = match state.auth.start_upstream(&tenant.id, &flow, &connection, hint, UpstreamPurpose::SignIn).await {
        Ok(url) => url,
        Err(error) => return Ok(restart_page(tenant, &error, &paths::LOGIN.of(&tenant.id))),
    };
    let mut response = redirect(&url);
    if let Some(csrf) = new_csrf {
        cookies::set(response.headers_mut(), state.auth.public_url(), &tenant.id, cookies::CSRF, &csrf, None);
    }
    Ok(response)
}

/// The upstream's redirect back: `GET` with the answer in the query, or (`response_mode=
/// form_post`, Apple) a cross-site `POST`, which carries no `SameSite=Lax` cookie: that one
/// is posted again from our own origin first, so the flow's cookie comes with it.
pub(crate) async fn callback(visit: Page, request: Request) -> PageResult {
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let fields = if method == Method::POST {
        let form = <FormBody as axum::extract::FromRequest<AppState>>::from_request(request, &visit.state).await?;
        form.0.into_iter().collect::<Vec<_>>()
    } else {
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    };
    let get = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let csrf = cookies::read(&visit.headers, cookies::CSRF).map(str::to_owned);
    if method == Method::POST && csrf.is_none() && get("same_site").is_none() {
        return Ok(repost(&visit.tenant, &fields));
    }
    let Page { state, tenant, client, headers, .. } = visit;
    let answer = UpstreamCallback {
        state: get("state").unwrap_or_default(),
        code: get("code"),
        error: get("error"),
        error_description: get("error_description"),
    };
    let previous = cookies::read(&headers, cookies::SESSION);
    let login = paths::LOGIN.of(&tenant.id);
    match state.auth.upstream_callback(&tenant.id, answer, csrf.as_deref(), client, previous).await {
        Ok(UpstreamReturn::Browser(step)) => Ok(after_sign_in(&state, &tenant, step)),
        Ok(UpstreamReturn::LinkRequired { flow_id, email, .. }) => {
            let pairs = [("flow", flow_id.as_str()), ("login_hint", email.as_str()), ("link", "1")];
            Ok(redirect(&paths::LOGIN.with_query(&tenant.id, &pairs)))
        }
        Ok(UpstreamReturn::App(url)) => Ok(redirect(&url)),
        Ok(UpstreamReturn::Linked) => Ok(redirect(&paths::ACCOUNT.of(&tenant.id))),
        Err(error) if is_flow_error(&error) || super::shown_in_page(&error) => {
            Ok(restart_page(&tenant, &error, &login))
        }
        Err(error) => Err(error.into()),
    }
}

/// Where a browser goes once the upstream sign-in went on.
fn after_sign_in(state: &AppState, tenant: &Tenant, step: SignInStep) -> Response {
    let tenant_id = &tenant.id;
    match step {
        SignInStep::SignedIn(signed_in) => {
            let target = signed_in.return_to.clone().unwrap_or_else(|| paths::ACCOUNT.of(tenant_id));
            let mut response = redirect(&target);
            mfa::set_session_cookie(state, tenant_id, &signed_in, &mut response);
            response
        }
        SignInStep::SecondFactor(due) => redirect(&mfa::mfa_path(tenant_id, &due.flow_id)),
        SignInStep::MustResetPassword { ticket, .. } => {
            redirect(&paths::RESET.with_query(tenant_id, &[("token", ticket.as_str())]))
        }
        SignInStep::Captcha(_) => redirect(&paths::LOGIN.of(tenant_id)),
    }
}

/// A page that posts the upstream's answer to the callback again, from our origin.
fn repost(tenant: &Tenant, fields: &[(String, String)]) -> Response {
    let nonce = secret::generate("");
    let inputs: String = fields.iter().map(|(name, value)| hidden(name, value)).collect();
    let body = format!(
        "<form method=\"post\" action=\"{action}\" id=\"repost\">{inputs}{same_site}\
         <button type=\"submit\">{go_on}</button></form>\
         <script nonce=\"{nonce}\">document.getElementById('repost').submit();</script>",
        action = escape(&paths::LOGIN_UPSTREAM_CALLBACK.of(&tenant.id)),
        same_site = hidden("same_site", "1"),
        go_on = escape(&t("continue")),
    );
    respond(StatusCode::OK, page(tenant, &t("sign-in-title"), &body), None, Some(&nonce))
}

/// The "linked accounts" part of the account page: each linked upstream account with its
/// removal, and a button for each enabled connection not linked yet.
pub(crate) async fn identities_section(state: &AppState, tenant: &Tenant, user: &User, csrf: &str) -> String {
    let (Ok(identities), Ok(connections)) = (
        state.management.identities_with_names(&tenant.id, &user.id).await,
        state.auth.enabled_connections(&tenant.id).await,
    ) else {
        return String::new();
    };
    if identities.is_empty() && connections.is_empty() {
        return String::new();
    }
    let form = |action: String, label: String| {
        format!(
            "<form method=\"post\" action=\"{}\" class=\"inline\">{}<button type=\"submit\" class=\"secondary\">{}</button></form>",
            escape(&action),
            hidden("csrf_token", csrf),
            escape(&label)
        )
    };
    let rows: String = identities
        .iter()
        .map(|(identity, connection)| {
            let removal = paths::ACCOUNT_IDENTITY_REMOVAL.fill(&tenant.id, &[("identity_id", &identity.id)]);
            format!("<li data-identity=\"{0}\">{0} {1}</li>", escape(connection), form(removal, t("remove")))
        })
        .collect();
    let links: String = connections
        .iter()
        .filter(|connection| identities.iter().all(|(_, name)| *name != connection.name))
        .map(|connection| {
            let action = paths::ACCOUNT_IDENTITY_LINK.fill(&tenant.id, &[("connection", &connection.name)]);
            form(action, t_with("link-with", "provider", connection.config.display_name.clone()))
        })
        .collect();
    format!(
        "<h2>{}</h2><ul id=\"identities\">{rows}</ul><div id=\"link-identities\">{links}</div>",
        escape(&t("identities-heading"))
    )
}

/// `POST /t/{tenant}/account/identities/link/{connection}`: the signed-in user signs in at
/// the upstream, and its account is linked to theirs.
pub(crate) async fn link_identity(
    Path((_, connection)): Path<(String, String)>,
    AccountForm { state, tenant, user, form }: AccountForm,
) -> PageResult {
    let account = paths::ACCOUNT.of(&tenant.id);
    let csrf = form.get("csrf_token");
    let started = state
        .auth
        .start_flow_with_csrf(&tenant.id, FlowKind::Login, "credentials", true, Some(&account), Some(csrf))
        .await?;
    let purpose = UpstreamPurpose::Link { user_id: &user.id };
    match state.auth.start_upstream(&tenant.id, &started.flow, &connection, None, purpose).await {
        Ok(url) => Ok(redirect(&url)),
        Err(error) => Ok(restart_page(&tenant, &error, &account)),
    }
}

/// `POST /t/{tenant}/account/identities/{id}/remove`.
pub(crate) async fn remove_identity(
    Path((_, identity_id)): Path<(String, String)>,
    AccountForm { state, tenant, user, .. }: AccountForm,
) -> PageResult {
    let account = paths::ACCOUNT.of(&tenant.id);
    match state.management.remove_identity(&tenant.id, &user.id, &identity_id, false).await {
        Ok(()) => Ok(redirect(&account)),
        Err(error) if error.code.entry().http_status.is_some_and(|status| status < 500) => {
            let body = format!(
                "{}<p><a href=\"{}\">{}</a></p>",
                alert(&copy(&error), error.code.as_str()),
                escape(&account),
                escape(&t("back-to-account"))
            );
            Ok(respond(status_of(&error), page(&tenant, &t("account-title"), &body), Some(error.code), None))
        }
        Err(error) => Err(PageError::from(error)),
    }
}
