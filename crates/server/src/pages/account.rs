//! The signed-in user's account page: their sign-in methods (the list, removal, and adding
//! an authenticator app, a phone or a passkey) and signing out.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use intelliauth_catalogue::Code;
use intelliauth_core::model::{Tenant, User};
use intelliauth_core::paths;
use intelliauth_core::Error;

use super::copy;
use super::html::{self, alert, escape, hidden, input, notice, page};
use super::mfa::{backup_codes_page, webauthn_page};
use super::Page;
use super::{cookies, csrf_ok, redirect, require_csrf, respond, status_of, PageError, PageResult};
use crate::api::mfa::qr_svg;
use crate::error::ApiResult;
use crate::extract::FormBody;
use crate::i18n::{t, t_with};
use crate::state::AppState;

/// A visitor of the account pages: the tenant, the user its session cookie signs in, and the
/// CSRF token its forms carry. Without a session the answer is the redirect to sign in.
pub(crate) struct AccountVisitor {
    pub state: AppState,
    /// The tenant of the path, and the user its session cookie signs in.
    pub tenant: Tenant,
    pub user: User,
    /// The browser's CSRF token (its cookie), for the page's forms to carry.
    pub csrf: String,
}

impl FromRequestParts<AppState> for AccountVisitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let Page { state, tenant, headers, .. } =
            Page::from_request_parts(parts, state).await.map_err(PageError::answer)?;
        let Ok((_, user)) = state.auth.session(&tenant.id, cookies::read(&headers, cookies::SESSION)).await else {
            let back = paths::ACCOUNT.of(&tenant.id);
            return Err(PageError::answer(redirect(&paths::LOGIN.with_query(&tenant.id, &[("return_to", &back)]))));
        };
        let csrf = cookies::read(&headers, cookies::CSRF).unwrap_or_default().to_owned();
        crate::i18n::offer_saved(user.locale.as_deref());
        Ok(AccountVisitor { state, tenant, user, csrf })
    }
}

/// A form posted from an account page by its signed-in user, with the browser's CSRF token;
/// a form without it is answered with the page saying so.
pub(crate) struct AccountForm {
    pub state: AppState,
    /// The tenant of the path, and the user its session cookie signs in.
    pub tenant: Tenant,
    pub user: User,
    /// The posted fields; `csrf_token` among them matched the cookie.
    pub form: FormBody,
}

impl FromRequest<AppState> for AccountForm {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        let AccountVisitor { tenant, user, .. } = AccountVisitor::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let form = FormBody::from_request(Request::from_parts(parts, body), state).await?;
        if !csrf_ok(&headers, &form) {
            return Err(PageError::answer(forged(&tenant)));
        }
        Ok(AccountForm { state: state.clone(), tenant, user, form })
    }
}

/// A form that failed its CSRF check: the copy and the way back.
fn forged(tenant: &Tenant) -> Response {
    let error = Error::new(Code::StateMismatch);
    let body = format!("{}{}", alert(&copy(&error), error.code.as_str()), back_to_account(&tenant.id));
    respond(status_of(&error), page(tenant, &t("account-title"), &body), Some(error.code), None)
}

/// The link back to the account page.
fn back_to_account(tenant_id: &str) -> String {
    format!("<p><a href=\"{}\">{}</a></p>", escape(&paths::ACCOUNT.of(tenant_id)), escape(&t("back-to-account")))
}

/// The "sign-in methods" part of the account page.
pub async fn methods_section(state: &AppState, tenant: &Tenant, user: &User, csrf: &str) -> ApiResult<String> {
    let (factors, backup_left) = state.auth.factors(&user.id).await?;
    let tenant_id = &tenant.id;
    let rows: String = factors
        .iter()
        .map(|factor| {
            format!(
                "<li data-factor=\"{kind}\">{label} <form method=\"post\" action=\"{removal}\" class=\"inline\">{csrf}\
                 <button type=\"submit\" class=\"secondary\">{remove}</button></form></li>",
                remove = escape(&t("remove")),
                kind = factor.kind.as_str(),
                label = escape(factor.label.as_deref().unwrap_or(factor.kind.as_str())),
                removal = escape(&paths::ACCOUNT_FACTOR_REMOVAL.fill(tenant_id, &[("factor_id", &factor.id)])),
                csrf = hidden("csrf_token", csrf),
            )
        })
        .collect();
    let backup = if factors.is_empty() {
        String::new()
    } else {
        format!("<p id=\"backup-left\">{}</p>", escape(&t_with("backup-left", "count", backup_left)))
    };
    Ok(format!(
        "<h2>{heading}</h2><ul id=\"factors\">{rows}</ul>{backup}\
         <nav><a href=\"{totp}\" id=\"add-totp\">{add_totp}</a>\
         <a href=\"{phone}\" id=\"add-phone\">{add_phone}</a>\
         <a href=\"{passkey}\" id=\"add-passkey\">{add_passkey}</a></nav>",
        heading = escape(&t("methods-heading")),
        add_totp = escape(&t("add-totp")),
        add_phone = escape(&t("add-phone")),
        add_passkey = escape(&t("add-passkey")),
        totp = escape(&paths::ACCOUNT_TOTP.of(tenant_id)),
        phone = escape(&paths::ACCOUNT_PHONE.of(tenant_id)),
        passkey = escape(&paths::ACCOUNT_PASSKEY.of(tenant_id)),
    ))
}

pub(crate) async fn remove_factor(
    Path((_, factor_id)): Path<(String, String)>,
    AccountForm { state, tenant, user, .. }: AccountForm,
) -> PageResult {
    let tenant_id = &tenant.id;
    match state.auth.remove_own_factor(&tenant, &user, &factor_id).await {
        Ok(()) => Ok(redirect(&paths::ACCOUNT.of(tenant_id))),
        Err(error) if error.code.entry().http_status.is_some_and(|s| s < 500) => {
            let body = format!("{}{}", alert(&copy(&error), error.code.as_str()), back_to_account(tenant_id));
            Ok(respond(status_of(&error), page(&tenant, &t("account-title"), &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

fn code_page(tenant: &Tenant, action: &str, csrf: &str, label: &str, before: &str) -> String {
    format!(
        "{before}<form method=\"post\" action=\"{}\" novalidate>{}{}<button type=\"submit\">{}</button></form>",
        escape(action),
        hidden("csrf_token", csrf),
        input("code", &t(label), "text", "", "one-time-code", &[]),
        escape(&t("confirm")),
    ) + &cancel_link(&tenant.id)
}

/// The link that leaves a form for the account page.
fn cancel_link(tenant_id: &str) -> String {
    format!("<p><a href=\"{}\">{}</a></p>", escape(&paths::ACCOUNT.of(tenant_id)), escape(&t("cancel")))
}

/// After a confirmed factor: the backup codes if they are new, else the account page.
fn enrolled(tenant: &Tenant, codes: Option<Vec<String>>) -> Response {
    let account = paths::ACCOUNT.of(&tenant.id);
    match codes {
        Some(codes) => backup_codes_page(tenant, &codes, &account),
        None => redirect(&account),
    }
}

/// The answer to a confirmation code: the backup codes or the account page, or the code
/// form again with the error's copy.
fn confirmation(
    tenant: &Tenant,
    form: &FormBody,
    result: intelliauth_core::Result<Option<Vec<String>>>,
    (action, label, title): (&str, &str, &str),
) -> PageResult {
    match result {
        Ok(codes) => Ok(enrolled(tenant, codes)),
        Err(error) if error.code.entry().http_status.is_some_and(|s| s < 500) => {
            let before = alert(&copy(&error), error.code.as_str());
            let body = code_page(tenant, action, form.get("csrf_token"), label, &before);
            Ok(failed_page(tenant, &t(title), &error, body))
        }
        Err(error) => Err(error.into()),
    }
}

fn failed_page(tenant: &Tenant, title: &str, error: &Error, body: String) -> Response {
    respond(status_of(error), page(tenant, title, &body), Some(error.code), None)
}

pub(crate) async fn totp_page(AccountVisitor { state, tenant, user, csrf }: AccountVisitor) -> PageResult {
    let (tenant_id, csrf) = (&tenant.id, csrf.as_str());
    let enrolment = state.auth.start_totp_enrolment(&user).await?;
    let before = format!(
        "<p>{}</p><div class=\"qr\" id=\"totp-qr\">{}</div><p>{} <code id=\"totp-secret\">{}</code></p>",
        escape(&t("totp-intro")),
        qr_svg(&enrolment.otpauth_uri),
        escape(&t("totp-key")),
        escape(&enrolment.secret)
    );
    let body = code_page(&tenant, &paths::ACCOUNT_TOTP.of(tenant_id), csrf, "code-label-totp", &before);
    Ok(respond(StatusCode::OK, page(&tenant, &t("add-totp"), &body), None, None))
}

pub(crate) async fn totp_submit(AccountForm { state, tenant, user, form }: AccountForm) -> PageResult {
    let tenant_id = &tenant.id;
    let result = state.auth.confirm_totp(&user, form.get("code")).await;
    let action = paths::ACCOUNT_TOTP.of(tenant_id);
    confirmation(&tenant, &form, result, (&action, "code-label-totp", "add-totp"))
}

fn phone_form(tenant: &Tenant, csrf: &str, before: &str) -> String {
    format!(
        "{before}<form method=\"post\" action=\"{}\" novalidate>{}{}\
         <button type=\"submit\">{}</button></form>",
        escape(&paths::ACCOUNT_PHONE.of(&tenant.id)),
        hidden("csrf_token", csrf),
        input("phone", &t("field-phone"), "tel", "", "tel", &[]),
        escape(&t("send-sms")),
    )
}

pub(crate) async fn phone_page(AccountVisitor { tenant, csrf, .. }: AccountVisitor) -> PageResult {
    Ok(respond(StatusCode::OK, page(&tenant, &t("add-phone"), &phone_form(&tenant, &csrf, "")), None, None))
}

pub(crate) async fn phone_submit(AccountForm { state, tenant, user, form }: AccountForm) -> PageResult {
    let tenant_id = &tenant.id;
    let csrf = form.get("csrf_token");
    match state.auth.start_sms_enrolment(&user, form.get("phone").trim()).await {
        Ok(sent) => {
            let before = notice(&t_with("sms-sent", "phone", sent.sent_to));
            let body = code_page(&tenant, &paths::ACCOUNT_PHONE_CONFIRM.of(tenant_id), csrf, "code-label-sms", &before);
            Ok(respond(StatusCode::OK, page(&tenant, &t("add-phone"), &body), None, None))
        }
        Err(error) if error.code.entry().http_status.is_some_and(|s| s < 500 || s == 502) => {
            let more = match error.details.get("fields").and_then(|f| f.get("phone")) {
                Some(fields) => {
                    let problem = crate::i18n::field_problem(fields[0].as_str().unwrap_or(""));
                    format!("<p id=\"phone-error\">{}</p>", escape(&t_with("phone-error", "problem", problem)))
                }
                None => String::new(),
            };
            let before = html::alert_with(&copy(&error), error.code.as_str(), &more);
            Ok(failed_page(&tenant, &t("add-phone"), &error, phone_form(&tenant, csrf, &before)))
        }
        Err(error) => Err(error.into()),
    }
}

pub(crate) async fn phone_confirm(AccountForm { state, tenant, user, form }: AccountForm) -> PageResult {
    let tenant_id = &tenant.id;
    let result = state.auth.confirm_sms(&user, form.get("code")).await;
    let action = paths::ACCOUNT_PHONE_CONFIRM.of(tenant_id);
    confirmation(&tenant, &form, result, (&action, "code-label-sms", "add-phone"))
}

pub(crate) async fn passkey_page(AccountVisitor { state, tenant, user, csrf }: AccountVisitor) -> PageResult {
    let (tenant_id, csrf) = (&tenant.id, csrf.as_str());
    let challenge = state.auth.start_passkey_enrolment(&user).await?;
    Ok(webauthn_page(
        &tenant,
        &paths::ACCOUNT_PASSKEY.of(tenant_id),
        csrf,
        &challenge,
        "",
        &cancel_link(tenant_id),
        true,
    ))
}

pub(crate) async fn passkey_submit(AccountForm { state, tenant, user, form }: AccountForm) -> PageResult {
    let tenant_id = &tenant.id;
    let response = serde_json::from_str(form.get("credential")).unwrap_or_default();
    match state.auth.finish_passkey_enrolment(&user, form.get("ceremony_id"), &response).await {
        Ok(codes) => Ok(enrolled(&tenant, codes)),
        Err(error) if error.code.entry().http_status.is_some_and(|s| s < 500) => {
            let body = format!(
                "{}<p><a href=\"{again}\" id=\"try-again\">{}</a> · <a href=\"{back}\">{}</a></p>",
                alert(&copy(&error), error.code.as_str()),
                escape(&t("try-again")),
                escape(&t("back-to-account")),
                again = escape(&paths::ACCOUNT_PASSKEY.of(tenant_id)),
                back = escape(&paths::ACCOUNT.of(tenant_id)),
            );
            Ok(failed_page(&tenant, &t("add-passkey"), &error, body))
        }
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn account_page(AccountVisitor { state, tenant, user, csrf }: AccountVisitor) -> PageResult {
    let (tenant_id, csrf) = (&tenant.id, csrf.as_str());
    let body = format!(
        "<p id=\"signed-in-as\">{}</p>{}{}\
         <form method=\"post\" action=\"{}\">{}<button type=\"submit\">{}</button></form>",
        escape(&t_with("signed-in-as", "email", user.email.clone())),
        methods_section(&state, &tenant, &user, csrf).await?,
        super::upstream::identities_section(&state, &tenant, &user, csrf).await,
        escape(&paths::LOGOUT.of(tenant_id)),
        hidden("csrf_token", csrf),
        escape(&t("sign-out")),
    );
    Ok(respond(StatusCode::OK, page(&tenant, &t("account-title"), &body), None, None))
}

pub(super) async fn logout_submit(Page { state, tenant, headers, .. }: Page, form: FormBody) -> PageResult {
    let tenant_id = tenant.id.clone();
    require_csrf(&tenant, &headers, &form, &paths::ACCOUNT.of(&tenant_id))?;
    if let Some(token) = cookies::read(&headers, cookies::SESSION) {
        state.auth.end_session(token).await?;
    }
    let mut response = redirect(&paths::LOGIN.of(&tenant_id));
    cookies::set(response.headers_mut(), state.auth.public_url(), &tenant_id, cookies::SESSION, "", Some(0));
    Ok(response)
}
