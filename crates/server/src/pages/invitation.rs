//! The page an organization invitation's link opens: a visitor signs in (or registers) with
//! the invited address first, then joins with one button.

use axum::http::StatusCode;
use axum::response::Response;
use intelliauth_core::model::Tenant;
use intelliauth_core::{paths, Error};

use super::html::{alert, escape, hidden, notice, page};
use super::{cookies, copy, redirect, require_csrf, respond, status_of, Page, PageResult};
use crate::extract::FormBody;
use crate::i18n::{t, t_with};

/// The invitation's own error on its page (an unknown or spent link, another address).
fn refused(tenant: &Tenant, error: &Error) -> Response {
    let body = alert(&copy(error), error.code.as_str());
    respond(status_of(error), page(tenant, &t("invitation-title-plain"), &body), Some(error.code), None)
}

pub(super) async fn invitation_page(Page { state, mut tenant, query, headers, .. }: Page) -> PageResult {
    let token = query.token.clone().unwrap_or_default();
    let (invitation, organization) = match state.auth.open_invitation(&tenant.id, &token).await {
        Ok(opened) => opened,
        Err(error) if error.code.http_status() < 500 => return Ok(refused(&tenant, &error)),
        Err(error) => return Err(error.into()),
    };
    super::wear_branding(&mut tenant, &organization);
    let back = paths::INVITATION.with_query(&tenant.id, &[("token", &token)]);
    let session = state.auth.session(&tenant.id, cookies::read(&headers, cookies::SESSION)).await;
    let Ok((_, user)) = session else {
        // Sign in (or register from there) with the invited address, then come back.
        let login = paths::LOGIN.with_query(&tenant.id, &[("return_to", &back), ("login_hint", &invitation.email)]);
        return Ok(redirect(&login));
    };
    let csrf = cookies::read(&headers, cookies::CSRF).unwrap_or_default().to_owned();
    let name = organization.config.display_name.clone();
    let body = format!(
        "<p>{intro}</p><form method=\"post\" action=\"{action}\">{csrf}{token}\
         <button type=\"submit\" id=\"accept-invitation\">{join}</button></form><p class=\"muted\">{who}</p>",
        intro = escape(&t_with("invitation-intro", "organization", name.clone())),
        action = escape(&paths::INVITATION.of(&tenant.id)),
        csrf = hidden("csrf_token", &csrf),
        token = hidden("token", &token),
        join = escape(&t("invitation-accept")),
        who = escape(&t_with("invitation-signed-in-as", "email", user.email.clone())),
    );
    Ok(respond(StatusCode::OK, page(&tenant, &t_with("invitation-title", "organization", name), &body), None, None))
}

pub(super) async fn invitation_submit(Page { state, tenant, headers, .. }: Page, form: FormBody) -> PageResult {
    let token = form.get("token").to_owned();
    let back = paths::INVITATION.with_query(&tenant.id, &[("token", &token)]);
    require_csrf(&tenant, &headers, &form, &back)?;
    let session = state.auth.session(&tenant.id, cookies::read(&headers, cookies::SESSION)).await;
    let Ok((_, user)) = session else {
        return Ok(redirect(&paths::LOGIN.with_query(&tenant.id, &[("return_to", &back)])));
    };
    match state.auth.accept_invitation(&tenant.id, &token, &user).await {
        Ok(organization) => {
            let said = t_with("invitation-joined", "organization", organization.config.display_name.clone());
            let body = format!("<div id=\"invitation-done\">{}</div>", notice(&said));
            Ok(respond(StatusCode::OK, page(&tenant, &t("invitation-title-plain"), &body), None, None))
        }
        Err(error) if error.code.http_status() < 500 => Ok(refused(&tenant, &error)),
        Err(error) => Err(error.into()),
    }
}
