//! The hosted pages' MFA step: a code from an authenticator app or a backup code, and
//! authenticator enrolment (QR code, secret, first code, then the backup codes, shown once)
//! when the tenant requires MFA and the user has no factor yet.

use axum::http::StatusCode;
use axum::response::Response;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::{CsrfProof, FlowKind, PasskeyChallenge, SecondFactor, SignedIn, STEP_ENROL, STEP_MFA};
use intelliauth_core::model::Tenant;
use intelliauth_core::paths;
use intelliauth_core::{secret, Error};

use super::copy;
use super::html::{alert, alert_with, escape, hidden, input, notice, page};
use super::Page;
use super::{browser_proof, cookies, is_flow_error, redirect, respond, restart_page, shown_in_page, status_of};
use crate::api::mfa::qr_svg;
use crate::error::ApiResult;
use crate::extract::FormBody;
use crate::i18n::{t, t_with};
use crate::state::AppState;

/// Where the login page sends a browser whose sign-in needs a second factor.
pub fn mfa_path(tenant_id: &str, flow_id: &str) -> String {
    paths::LOGIN_MFA.with_query(tenant_id, &[("flow", flow_id)])
}

/// The second factors the user can use now: the methods they have set up, and backup codes
/// while any are left. The page offers these and no others.
async fn methods_of(state: &AppState, user_id: &str) -> ApiResult<Vec<&'static str>> {
    let (factors, backup_left) = state.auth.factors(user_id).await?;
    let mut methods: Vec<&'static str> = ["webauthn", "totp", "sms"]
        .into_iter()
        .filter(|kind| factors.iter().any(|f| f.kind.as_str() == *kind))
        .collect();
    if backup_left > 0 {
        methods.push("backup_code");
    }
    Ok(methods)
}

/// [`methods_of`] the user a sign-in flow is for (none once the flow is gone), whose own
/// language the page then speaks.
async fn flow_methods(state: &AppState, tenant_id: &str, flow_id: &str) -> ApiResult<Vec<&'static str>> {
    match state.auth.live_flow(tenant_id, flow_id, FlowKind::Login).await {
        Ok(flow) => {
            let user_id = flow.user_id.as_deref().unwrap_or_default();
            speak_users_language(state, tenant_id, user_id).await;
            methods_of(state, user_id).await
        }
        Err(_) => Ok(Vec::new()),
    }
}

/// Past the password step the user is known: the page speaks the language they chose.
async fn speak_users_language(state: &AppState, tenant_id: &str, user_id: &str) {
    if let Ok(user) = state.management.user(tenant_id, user_id).await {
        crate::i18n::offer_saved(user.locale.as_deref());
    }
}

/// The code form for one method (`totp`, `sms`, `backup_code`), with links to the user's
/// other `methods`.
fn code_form(tenant: &Tenant, flow_id: &str, csrf: &str, method: &str, before: &str, methods: &[&str]) -> String {
    let action = escape(&mfa_path(&tenant.id, flow_id));
    let label = t(match method {
        "backup_code" => "code-label-backup",
        "sms" => "code-label-sms",
        _ => "code-label-totp",
    });
    let autocomplete = if method == "backup_code" { "off" } else { "one-time-code" };
    let texting = if method == "sms" {
        format!(
            "<form method=\"post\" action=\"{send}\">{}\
             <button type=\"submit\" class=\"secondary\" id=\"send-sms\">{}</button></form>",
            hidden("csrf_token", csrf),
            escape(&t("send-sms")),
            send = escape(&paths::LOGIN_MFA_SMS.with_query(&tenant.id, &[("flow", flow_id)])),
        )
    } else {
        String::new()
    };
    let others = others_nav(tenant, flow_id, method, methods);
    format!(
        "{before}{texting}<form method=\"post\" action=\"{action}\" novalidate>{}{}{}\
         <button type=\"submit\">{}</button></form>{others}",
        hidden("csrf_token", csrf),
        hidden("type", method),
        input("code", &label, "text", "", autocomplete, &[]),
        escape(&t("continue")),
    )
}

fn enrol_form(tenant: &Tenant, flow_id: &str, csrf: &str, qr: &str, secret: &str, before: &str) -> String {
    format!(
        "{before}<p>{}</p><div class=\"qr\" id=\"totp-qr\">{qr}</div><p>{} <code id=\"totp-secret\">{}</code></p>{}",
        escape(&t("enrol-intro")),
        escape(&t("totp-key")),
        escape(secret),
        code_form(tenant, flow_id, csrf, "totp", "", &[]),
    )
}

/// `GET /t/{tenant}/login/mfa?flow=…[&method=backup_code]`.
pub async fn mfa_page(Page { state, tenant, query, headers, .. }: Page) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let restart = paths::LOGIN.of(&tenant_id);
    let flow_id = query.flow.clone().unwrap_or_default();
    let flow = match state.auth.live_flow(&tenant_id, &flow_id, FlowKind::Login).await {
        Ok(flow) => flow,
        Err(error) if is_flow_error(&error) => return Ok(restart_page(&tenant, &error, &restart)),
        Err(error) => return Err(error.into()),
    };
    let Some(csrf) = cookies::read(&headers, cookies::CSRF) else {
        return Ok(restart_page(&tenant, &Error::new(Code::StateMismatch), &restart));
    };
    let body = match flow.step.as_str() {
        STEP_MFA => {
            let user_id = flow.user_id.as_deref().unwrap_or_default();
            speak_users_language(&state, &tenant_id, user_id).await;
            let methods = methods_of(&state, user_id).await?;
            let method = match query.method.as_deref() {
                Some(method @ ("backup_code" | "sms" | "totp" | "webauthn")) => method.to_owned(),
                // Without a choice: a passkey, else the authenticator app, else the phone.
                _ => ["webauthn", "totp", "sms"]
                    .into_iter()
                    .find(|kind| methods.contains(kind))
                    .unwrap_or("sms")
                    .to_owned(),
            };
            if method == "webauthn" {
                let proof = CsrfProof::Browser { cookie: Some(csrf), form: Some(csrf) };
                return match state.auth.start_flow_passkey(&tenant_id, &flow.id, proof).await {
                    Ok(challenge) => {
                        let action = mfa_path(&tenant_id, &flow.id);
                        Ok(webauthn_page(
                            &tenant,
                            &action,
                            csrf,
                            &challenge,
                            "",
                            &others_nav(&tenant, &flow.id, "webauthn", &methods),
                            false,
                        ))
                    }
                    Err(error) if error.code == Code::WebauthnFailed => {
                        Ok(webauthn_failed_page(&tenant, &flow.id, &error, &methods))
                    }
                    Err(error) => Err(error.into()),
                };
            }
            code_form(&tenant, &flow.id, csrf, &method, "", &methods)
        }
        STEP_ENROL => {
            // Showing the page starts an enrolment; the browser proves itself with its cookie.
            let proof = CsrfProof::Browser { cookie: Some(csrf), form: Some(csrf) };
            match state.auth.enrol_totp_in_flow(&tenant_id, &flow.id, proof).await {
                Ok(enrolment) => enrol_form(
                    &tenant,
                    &flow.id,
                    csrf,
                    &qr_svg(&enrolment.otpauth_uri),
                    &enrolment.secret,
                    &alert(&t("code-mfa_enrolment_required"), Code::MfaEnrolmentRequired.as_str()),
                ),
                Err(error) if is_flow_error(&error) => return Ok(restart_page(&tenant, &error, &restart)),
                Err(error) => return Err(error.into()),
            }
        }
        _ => return Ok(restart_page(&tenant, &Error::new(Code::FlowInvalid), &restart)),
    };
    Ok(respond(StatusCode::OK, page(&tenant, &t("mfa-title"), &body), None, None))
}

/// `POST /t/{tenant}/login/mfa?flow=…`: the code; success signs the browser in.
pub async fn mfa_submit(Page { state, tenant, query, client, headers }: Page, form: FormBody) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let method = form.get("type").to_owned();
    let code = form.get("code").to_owned();
    let answer = match method.as_str() {
        "backup_code" => SecondFactor::BackupCode(code),
        "sms" => SecondFactor::Sms(code),
        "webauthn" => SecondFactor::Webauthn {
            ceremony_id: form.get("ceremony_id").to_owned(),
            response: serde_json::from_str(form.get("credential")).unwrap_or_default(),
        },
        _ => SecondFactor::Totp(code),
    };
    let proof = browser_proof(&headers, &form);
    let previous = cookies::read(&headers, cookies::SESSION);
    match state.auth.submit_second_factor(&tenant_id, &flow_id, proof, answer, previous, client).await {
        Ok(done) => {
            let target = done.signed_in.return_to.clone().unwrap_or_else(|| paths::ACCOUNT.of(&tenant_id));
            let mut response = match &done.backup_codes {
                Some(codes) => backup_codes_page(&tenant, codes, &target),
                None => redirect(&target),
            };
            set_session_cookie(&state, &tenant_id, &done.signed_in, &mut response);
            Ok(response)
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &paths::LOGIN.of(&tenant_id))),
        Err(error) if error.code == Code::WebauthnFailed => {
            let methods = flow_methods(&state, &tenant_id, &flow_id).await?;
            Ok(webauthn_failed_page(&tenant, &flow_id, &error, &methods))
        }
        Err(error) if shown_in_page(&error) => {
            let csrf = form.get("csrf_token");
            let more = if error.code == Code::BackupCodeInvalid {
                format!("<p id=\"single-use\">{}</p>", escape(&t("single-use")))
            } else {
                String::new()
            };
            let before = alert_with(&copy(&error), error.code.as_str(), &more);
            let methods = flow_methods(&state, &tenant_id, &flow_id).await?;
            let body = code_form(&tenant, &flow_id, csrf, &method, &before, &methods);
            Ok(respond(status_of(&error), page(&tenant, &t("mfa-title"), &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

/// Links to the user's `methods` other than `method`.
fn others_nav(tenant: &Tenant, flow_id: &str, method: &str, methods: &[&str]) -> String {
    let action = escape(&mfa_path(&tenant.id, flow_id));
    let links: String =
        [("webauthn", "use-passkey"), ("totp", "use-totp"), ("sms", "use-sms"), ("backup_code", "use-backup-code")]
            .into_iter()
            .filter(|(kind, ..)| *kind != method && methods.contains(kind))
            .map(|(kind, id)| format!("<a href=\"{action}&amp;method={kind}\" id=\"{id}\">{}</a>", escape(&t(id))))
            .collect();
    format!("<nav>{links}</nav>")
}

/// A page that runs a WebAuthn ceremony in the browser (`create`: a new passkey, else a
/// sign-in) and posts its answer to `action`.
pub fn webauthn_page(
    tenant: &Tenant,
    action: &str,
    csrf: &str,
    challenge: &PasskeyChallenge,
    before: &str,
    after: &str,
    create: bool,
) -> Response {
    let nonce = secret::generate("");
    // `</` cannot end the script element early.
    let options = challenge.options.to_string().replace("</", "<\\/");
    let body = format!(
        "{before}<script type=\"application/json\" id=\"webauthn-options\">{options}</script>\
         <form method=\"post\" action=\"{action}\" id=\"webauthn-form\" data-autostart=\"true\" data-mode=\"{mode}\">{}{}{}{}{}\
         <button type=\"button\" id=\"webauthn-start\">{use_passkey}</button></form>{after}\
         <script nonce=\"{nonce}\">{}</script>",
        hidden("csrf_token", csrf),
        hidden("type", "webauthn"),
        hidden("ceremony_id", &challenge.ceremony_id),
        hidden("credential", ""),
        hidden("reason", ""),
        include_str!("webauthn.js"),
        action = escape(action),
        mode = if create { "create" } else { "get" },
        use_passkey = escape(&t("use-passkey")),
    );
    respond(StatusCode::OK, page(tenant, &t("use-passkey"), &body), None, Some(&nonce))
}

/// `webauthn_failed`: the copy, and the other ways to finish signing in.
fn webauthn_failed_page(tenant: &Tenant, flow_id: &str, error: &Error, methods: &[&str]) -> Response {
    let others = others_nav(tenant, flow_id, "webauthn", methods);
    let body = format!("{}{others}", alert(&copy(error), error.code.as_str()));
    respond(status_of(error), page(tenant, &t("use-another-title"), &body), Some(error.code), None)
}

/// `GET /t/{tenant}/login/passkey?flow=…`: passwordless sign-in with a discoverable passkey.
pub async fn passkey_page(Page { state, tenant, query, headers, .. }: Page) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let restart = paths::LOGIN.of(&tenant_id);
    let Some(csrf) = cookies::read(&headers, cookies::CSRF) else {
        return Ok(restart_page(&tenant, &Error::new(Code::StateMismatch), &restart));
    };
    let proof = CsrfProof::Browser { cookie: Some(csrf), form: Some(csrf) };
    match state.auth.start_passwordless(&tenant_id, &flow_id, proof).await {
        Ok(challenge) => {
            let action = paths::LOGIN_PASSKEY.with_query(&tenant_id, &[("flow", &flow_id)]);
            Ok(webauthn_page(&tenant, &action, csrf, &challenge, "", &password_link(&tenant_id, &flow_id), false))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &restart)),
        Err(error) => Err(error.into()),
    }
}

fn password_link(tenant_id: &str, flow_id: &str) -> String {
    format!(
        "<nav><a href=\"{}\" id=\"use-password\">{}</a></nav>",
        escape(&paths::LOGIN.with_query(tenant_id, &[("flow", flow_id)])),
        escape(&t("sign-in-with-password")),
    )
}

/// `POST /t/{tenant}/login/passkey?flow=…`: the assertion; the passkey names the user.
pub async fn passkey_submit(
    Page { state, tenant, query, client, headers }: Page,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let response = serde_json::from_str(form.get("credential")).unwrap_or_default();
    let proof = browser_proof(&headers, &form);
    let previous = cookies::read(&headers, cookies::SESSION);
    let ceremony_id = form.get("ceremony_id");
    match state.auth.finish_passwordless(&tenant_id, &flow_id, proof, ceremony_id, &response, previous, client).await {
        Ok(signed_in) => {
            let target = signed_in.return_to.clone().unwrap_or_else(|| paths::ACCOUNT.of(&tenant_id));
            let mut response = redirect(&target);
            set_session_cookie(&state, &tenant_id, &signed_in, &mut response);
            Ok(response)
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &paths::LOGIN.of(&tenant_id))),
        Err(error) if shown_in_page(&error) => {
            let body = format!("{}{}", alert(&copy(&error), error.code.as_str()), password_link(&tenant_id, &flow_id));
            Ok(respond(status_of(&error), page(&tenant, &t("use-another-title"), &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /t/{tenant}/login/mfa/sms?flow=…`: texts a code, then shows where to type it.
pub async fn mfa_send_sms(Page { state, tenant, query, headers, .. }: Page, form: FormBody) -> ApiResult<Response> {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let csrf = form.get("csrf_token");
    let proof = browser_proof(&headers, &form);
    let (status, before, code) = match state.auth.send_flow_sms(&tenant_id, &flow_id, proof).await {
        Ok(sent) => (StatusCode::OK, notice(&t_with("sms-sent", "phone", sent.sent_to)), None),
        Err(error) if is_flow_error(&error) => return Ok(restart_page(&tenant, &error, &paths::LOGIN.of(&tenant_id))),
        Err(error) if matches!(error.code, Code::SmsSendFailed | Code::SmsRateLimited) => {
            (status_of(&error), alert(&copy(&error), error.code.as_str()), Some(error.code))
        }
        Err(error) => return Err(error.into()),
    };
    let methods = flow_methods(&state, &tenant_id, &flow_id).await?;
    let body = code_form(&tenant, &flow_id, csrf, "sms", &before, &methods);
    Ok(respond(status, page(&tenant, &t("mfa-title"), &body), code, None))
}

pub(super) fn backup_codes_page(tenant: &Tenant, codes: &[String], target: &str) -> Response {
    let items: String = codes.iter().map(|code| format!("<li><code>{}</code></li>", escape(code))).collect();
    let body = format!(
        "<p>{}</p><ol id=\"backup-codes\">{items}</ol><p><a href=\"{}\" id=\"continue\">{}</a></p>",
        escape(&t("backup-codes-intro")),
        escape(target),
        escape(&t("continue")),
    );
    respond(StatusCode::OK, page(tenant, &t("backup-codes-title"), &body), None, None)
}

/// Sets the session cookie of a finished sign-in on `response`.
pub fn set_session_cookie(state: &AppState, tenant_id: &str, signed_in: &SignedIn, response: &mut Response) {
    let record = &signed_in.session.record;
    let lifetime = (record.expires_at - record.created_at) / 1000;
    let token = signed_in.session.token.as_deref().unwrap_or_default();
    cookies::set(
        response.headers_mut(),
        state.auth.public_url(),
        tenant_id,
        cookies::SESSION,
        token,
        Some(lifetime as u64),
    );
}
