//! The device verification page (RFC 8628 §3.3): a signed-in person enters, or confirms, the
//! code their device shows, sees which application asks for what, and allows or declines.

use axum::http::StatusCode;
use axum::response::Response;
use intelliauth_core::model::Tenant;
use intelliauth_core::{paths, Error};

use super::html::{alert, escape, hidden, input, notice, page};
use super::oauth::session_info;
use super::{cookies, copy, redirect, require_csrf, respond, status_of, Page, PageResult};
use crate::extract::FormBody;
use crate::i18n::{t, t_with};

/// The form that asks for the code, with the copy of why it is asked again, if it is.
fn code_form(tenant: &Tenant, csrf: &str, typed: &str, error: Option<&Error>) -> Response {
    let before = error.map(|error| alert(&copy(error), error.code.as_str())).unwrap_or_default();
    let body = format!(
        "{before}<form method=\"post\" action=\"{}\" novalidate>{}{}<button type=\"submit\">{}</button></form>",
        escape(&paths::DEVICE.of(&tenant.id)),
        hidden("csrf_token", csrf),
        input("user_code", &t("device-code-label"), "text", typed, "one-time-code", &[]),
        escape(&t("continue")),
    );
    let status = error.map_or(StatusCode::OK, status_of);
    respond(status, page(tenant, &t("device-title"), &body), error.map(|error| error.code), None)
}

/// Where a visitor without a session signs in first, to come back to this code.
fn sign_in_first(tenant: &Tenant, typed: &str) -> Response {
    let back = paths::DEVICE.with_query(&tenant.id, &[("user_code", typed)]);
    redirect(&paths::LOGIN.with_query(&tenant.id, &[("return_to", &back)]))
}

pub(super) async fn device_page(Page { state, tenant, query, headers, .. }: Page) -> PageResult {
    let typed = query.user_code.clone().unwrap_or_default();
    if session_info(&state, &tenant.id, &headers).await.is_none() {
        return Ok(sign_in_first(&tenant, &typed));
    }
    let csrf = cookies::read(&headers, cookies::CSRF).unwrap_or_default().to_owned();
    if typed.is_empty() {
        return Ok(code_form(&tenant, &csrf, "", None));
    }
    let request = match state.oidc.device_request(&tenant.id, &typed).await {
        Ok(request) => request,
        Err(error) if error.code.http_status() < 500 => return Ok(code_form(&tenant, &csrf, &typed, Some(&error))),
        Err(error) => return Err(error.into()),
    };
    let asked: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
    let scopes = super::oauth::scope_list(&state, &tenant.id, request.audience.as_deref(), &asked).await?;
    let body = format!(
        "<p>{intro}</p><p class=\"user-code\" id=\"user-code\">{code}</p><p>{asks}</p>{scopes}\
         <form method=\"post\" action=\"{action}\">{csrf}{typed}\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">{allow}</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" class=\"secondary\">{deny}</button></form>",
        intro = escape(&t_with("device-confirm", "app", request.application.name.clone())),
        code = escape(&request.user_code),
        asks = escape(&t("device-scopes")),
        action = escape(&paths::DEVICE.of(&tenant.id)),
        csrf = hidden("csrf_token", &csrf),
        typed = hidden("user_code", &request.user_code),
        allow = escape(&t("allow")),
        deny = escape(&t("deny")),
    );
    Ok(respond(StatusCode::OK, page(&tenant, &t("device-title"), &body), None, None))
}

pub(super) async fn device_submit(Page { state, tenant, client, headers, .. }: Page, form: FormBody) -> PageResult {
    let typed = form.get("user_code").to_owned();
    require_csrf(&tenant, &headers, &form, &paths::DEVICE.of(&tenant.id))?;
    let Some(session) = session_info(&state, &tenant.id, &headers).await else {
        return Ok(sign_in_first(&tenant, &typed));
    };
    // The code form posts the code alone: the confirmation page comes next.
    let decision = form.get("decision");
    if decision.is_empty() {
        return Ok(redirect(&paths::DEVICE.with_query(&tenant.id, &[("user_code", &typed)])));
    }
    let approve = decision == "allow";
    match state.oidc.decide_device(&tenant.id, &typed, session, approve, &client).await {
        Ok(()) => {
            let said = if approve { t("device-approved") } else { t("device-declined") };
            let body = format!("<div id=\"device-done\">{}</div>", notice(&said));
            Ok(respond(StatusCode::OK, page(&tenant, &t("device-title"), &body), None, None))
        }
        Err(error) if error.code.http_status() < 500 => {
            Ok(code_form(&tenant, form.get("csrf_token"), &typed, Some(&error)))
        }
        Err(error) => Err(error.into()),
    }
}
