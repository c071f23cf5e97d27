//! The hosted pages' MFA step: a code from an authenticator app or a backup code, and
//! authenticator enrolment (QR code, secret, first code, then the backup codes, shown once)
//! when the tenant requires MFA and the user has no factor yet.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::{CsrfProof, FlowKind, SecondFactor, SignedIn, STEP_ENROL, STEP_MFA};
use intelliauth_core::model::Tenant;
use intelliauth_core::Error;

use super::html::{alert, escape, hidden, input, notice, page};
use super::{browser_proof, cookies, is_flow_error, redirect, respond, restart_page, status_of, PageQuery};
use crate::api::mfa::qr_svg;
use crate::error::ApiResult;
use crate::extract::{ClientIp, FormBody};
use crate::state::AppState;

/// Where the login page sends a browser whose sign-in needs a second factor.
pub fn mfa_path(tenant_id: &str, flow_id: &str) -> String {
    format!("/t/{tenant_id}/login/mfa?flow={flow_id}")
}

/// The code form for one method (`totp`, `sms`, `backup_code`), with links to the others.
fn code_form(tenant: &Tenant, flow_id: &str, csrf: &str, method: &str, before: &str) -> String {
    let action = escape(&mfa_path(&tenant.id, flow_id));
    let label = match method {
        "backup_code" => "Backup code",
        "sms" => "Code from the text message",
        _ => "Code from your authenticator app",
    };
    let autocomplete = if method == "backup_code" { "off" } else { "one-time-code" };
    let texting = if method == "sms" {
        format!(
            "<form method=\"post\" action=\"/t/{t}/login/mfa/sms?flow={f}\">{}\
             <button type=\"submit\" class=\"secondary\" id=\"send-sms\">Text me a code</button></form>",
            hidden("csrf_token", csrf),
            t = escape(&tenant.id),
            f = escape(flow_id),
        )
    } else {
        String::new()
    };
    let others: String = [
        ("totp", "use-totp", "Use your authenticator app"),
        ("sms", "use-sms", "Text a code to your phone"),
        ("backup_code", "use-backup-code", "Use a backup code instead"),
    ]
    .into_iter()
    .filter(|(kind, ..)| *kind != method)
    .map(|(kind, id, text)| format!("<a href=\"{action}&amp;method={kind}\" id=\"{id}\">{text}</a>"))
    .collect();
    format!(
        "{before}{texting}<form method=\"post\" action=\"{action}\" novalidate>{}{}{}\
         <button type=\"submit\">Continue</button></form><nav>{others}</nav>",
        hidden("csrf_token", csrf),
        hidden("type", method),
        input("code", label, "text", "", autocomplete, &[]),
    )
}

fn enrol_form(tenant: &Tenant, flow_id: &str, csrf: &str, qr: &str, secret: &str, before: &str) -> String {
    format!(
        "{before}<p>Your organisation requires a second step at sign-in. Scan this code with an \
         authenticator app (or type the key), then enter the code it shows.</p>\
         <div class=\"qr\" id=\"totp-qr\">{qr}</div><p>Key: <code id=\"totp-secret\">{}</code></p>{}",
        escape(secret),
        code_form(tenant, flow_id, csrf, "totp", ""),
    )
}

/// `GET /t/{tenant}/login/mfa?flow=…[&method=backup_code]`.
pub async fn mfa_page(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let restart = format!("/t/{tenant_id}/login");
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
            let method = match query.method.as_deref() {
                Some(method @ ("backup_code" | "sms" | "totp")) => method.to_owned(),
                // Without a choice: the authenticator app if there is one, else the phone.
                _ => {
                    let user_id = flow.user_id.as_deref().unwrap_or_default();
                    let (factors, _) = state.auth.factors(user_id).await?;
                    let has_totp = factors.iter().any(|f| f.kind.as_str() == "totp");
                    if has_totp { "totp" } else { "sms" }.to_owned()
                }
            };
            code_form(&tenant, &flow.id, csrf, &method, "")
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
                    &alert(Code::MfaEnrolmentRequired.default_message(), Code::MfaEnrolmentRequired.as_str()),
                ),
                Err(error) if is_flow_error(&error) => return Ok(restart_page(&tenant, &error, &restart)),
                Err(error) => return Err(error.into()),
            }
        }
        _ => return Ok(restart_page(&tenant, &Error::new(Code::FlowInvalid), &restart)),
    };
    Ok(respond(StatusCode::OK, page(&tenant, "Verify it's you", &body), None, None))
}

/// `POST /t/{tenant}/login/mfa?flow=…`: the code; success signs the browser in.
pub async fn mfa_submit(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let flow_id = query.flow.clone().unwrap_or_default();
    let method = form.get("type").to_owned();
    let code = form.get("code").to_owned();
    let answer = match method.as_str() {
        "backup_code" => SecondFactor::BackupCode(code),
        "sms" => SecondFactor::Sms(code),
        _ => SecondFactor::Totp(code),
    };
    let proof = browser_proof(&headers, &form);
    let previous = cookies::read(&headers, cookies::SESSION);
    match state.auth.submit_second_factor(&tenant_id, &flow_id, proof, answer, previous, client).await {
        Ok(done) => {
            let target = done.signed_in.return_to.clone().unwrap_or_else(|| format!("/t/{tenant_id}/account"));
            let mut response = match &done.backup_codes {
                Some(codes) => backup_codes_page(&tenant, codes, &target),
                None => redirect(&target),
            };
            set_session_cookie(&state, &tenant_id, &done.signed_in, &mut response);
            Ok(response)
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &format!("/t/{tenant_id}/login"))),
        Err(error) if error.code.entry().http_status.is_some_and(|s| s < 500) => {
            let csrf = form.get("csrf_token");
            let body = code_form(&tenant, &flow_id, csrf, &method, &alert(error.message(), error.code.as_str()));
            Ok(respond(status_of(&error), page(&tenant, "Verify it's you", &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /t/{tenant}/login/mfa/sms?flow=…`: texts a code, then shows where to type it.
pub async fn mfa_send_sms(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    form: FormBody,
) -> ApiResult<Response> {
    let tenant = state.management.tenant(&tenant_id).await?;
    let flow_id = query.flow.clone().unwrap_or_default();
    let csrf = form.get("csrf_token");
    let proof = browser_proof(&headers, &form);
    let (status, before, code) = match state.auth.send_flow_sms(&tenant_id, &flow_id, proof).await {
        Ok(sent) => (StatusCode::OK, notice(&format!("We sent a code to {}.", sent.sent_to)), None),
        Err(error) if is_flow_error(&error) => {
            return Ok(restart_page(&tenant, &error, &format!("/t/{tenant_id}/login")))
        }
        Err(error) if matches!(error.code, Code::SmsSendFailed | Code::SmsRateLimited) => {
            (status_of(&error), alert(error.message(), error.code.as_str()), Some(error.code))
        }
        Err(error) => return Err(error.into()),
    };
    let body = code_form(&tenant, &flow_id, csrf, "sms", &before);
    Ok(respond(status, page(&tenant, "Verify it's you", &body), code, None))
}

fn backup_codes_page(tenant: &Tenant, codes: &[String], target: &str) -> Response {
    let items: String = codes.iter().map(|code| format!("<li><code>{}</code></li>", escape(code))).collect();
    let body = format!(
        "<p>Your authenticator app is set up. Keep these backup codes somewhere safe: each one \
         signs you in once if you lose your device. They are shown only now.</p>\
         <ol id=\"backup-codes\">{items}</ol><p><a href=\"{}\" id=\"continue\">Continue</a></p>",
        escape(target)
    );
    respond(StatusCode::OK, page(tenant, "Save your backup codes", &body), None, None)
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
