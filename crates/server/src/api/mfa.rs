//! Second factors over JSON: the MFA step of an API login flow, a signed-in user's own
//! factors (`/t/{tenant}/api/factors`), and an admin's view and reset.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::auth::{
    check_phone, CsrfProof, MfaSignedIn, PasskeyChallenge, SecondFactor, SmsSent, TotpEnrolment,
};
use intelliauth_core::ids::rfc3339;
use intelliauth_core::mfa::Factor;
use intelliauth_core::validate::FieldErrors;
use intelliauth_core::Error;
use serde_json::{json, Value};

use super::allowed::{Allowed, Item, UsersRead, UsersWrite};
use super::auth::signed_in_json;
use super::{only_string, reject_invalid};
use crate::error::ApiResult;
use crate::extract::{Fields, JsonObject, OnFlow, PublicCall, SignedInUser};
use crate::state::AppState;

/// The QR code an authenticator app scans, as inline SVG.
pub fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
            // Inline in HTML: drop the XML declaration.
            svg.split_once("?>").map_or(svg.clone(), |(_, rest)| rest.to_owned())
        }
        Err(_) => String::new(),
    }
}

pub fn enrolment_json(enrolment: &TotpEnrolment) -> Value {
    json!({
        "factor_id": enrolment.factor_id,
        "type": "totp",
        "secret": enrolment.secret,
        "otpauth_uri": enrolment.otpauth_uri,
        "qr_svg": qr_svg(&enrolment.otpauth_uri),
    })
}

fn factor_json(factor: &Factor) -> Value {
    json!({
        "id": factor.id,
        "type": factor.kind.as_str(),
        "label": factor.label,
        "created_at": rfc3339(factor.created_at),
        "last_used_at": factor.last_used_at.map(rfc3339),
    })
}

fn factors_json(factors: &[Factor], backup_codes_left: i64) -> Value {
    json!({
        "factors": factors.iter().map(factor_json).collect::<Vec<_>>(),
        "backup_codes_left": backup_codes_left,
    })
}

/// `{"type": "totp" | "sms" | "backup_code", "code": "…"}` or
/// `{"type": "webauthn", "ceremony_id": "…", "credential": {…}}`.
pub fn second_factor(fields: &mut Fields) -> Option<SecondFactor> {
    let kind = fields.required_string("type");
    if kind == "webauthn" {
        let ceremony_id = fields.required_string("ceremony_id");
        let response = fields.nullable_object("credential").flatten().unwrap_or_default();
        return Some(SecondFactor::Webauthn { ceremony_id, response });
    }
    let code = fields.required_string("code");
    match kind.as_str() {
        "totp" => Some(SecondFactor::Totp(code)),
        "backup_code" => Some(SecondFactor::BackupCode(code)),
        "sms" => Some(SecondFactor::Sms(code)),
        _ => None,
    }
}

pub fn bad_factor_type(errors: &mut FieldErrors) {
    if !errors.has("type") {
        errors.add("type", "must be totp, sms, webauthn or backup_code");
    }
}

fn mfa_signed_in_json(done: &MfaSignedIn) -> Value {
    let mut body = signed_in_json(&done.signed_in);
    if let Some(codes) = &done.backup_codes {
        body["backup_codes"] = json!(codes);
    }
    body
}

/// `POST /t/{tenant}/api/login/{flow}/mfa`: the code that finishes an MFA sign-in.
pub async fn submit_flow_factor(
    PublicCall { state, path: (tenant_id, flow_id), client }: PublicCall<OnFlow>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let answer = second_factor(&mut fields);
    let mut errors = fields.finish();
    if answer.is_none() {
        bad_factor_type(&mut errors);
    }
    reject_invalid(errors, FieldErrors::new())?;
    let answer = answer.ok_or_else(|| Error::internal("validated above"))?;
    let done = state.auth.submit_second_factor(&tenant_id, &flow_id, CsrfProof::Api, answer, None, client).await?;
    Ok(Json(mfa_signed_in_json(&done)).into_response())
}

/// `POST /t/{tenant}/api/login/{flow}/mfa/totp`: starts enrolment when the tenant requires MFA.
pub async fn enrol_flow_totp(
    PublicCall { state, path: (tenant_id, flow_id), .. }: PublicCall<OnFlow>,
) -> ApiResult<Response> {
    let enrolment = state.auth.enrol_totp_in_flow(&tenant_id, &flow_id, CsrfProof::Api).await?;
    Ok((StatusCode::CREATED, Json(enrolment_json(&enrolment))).into_response())
}

fn sms_sent_json(sent: &SmsSent) -> Value {
    json!({ "factor_id": sent.factor_id, "sent_to": sent.sent_to, "expires_in_s": sent.expires_in_s })
}

/// `POST /t/{tenant}/api/login/{flow}/mfa/sms`: texts a code to the user's phone.
pub async fn send_flow_sms(
    PublicCall { state, path: (tenant_id, flow_id), .. }: PublicCall<OnFlow>,
) -> ApiResult<Response> {
    let sent = state.auth.send_flow_sms(&tenant_id, &flow_id, CsrfProof::Api).await?;
    Ok((StatusCode::ACCEPTED, Json(sms_sent_json(&sent))).into_response())
}

/// `POST /t/{tenant}/api/factors/sms` `{"phone": "+14155550100"}`: texts a code to confirm the phone.
pub async fn enrol_my_sms(
    SignedInUser { state, user, .. }: SignedInUser,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let phone = fields.required_string("phone");
    let mut semantic = FieldErrors::new();
    if !phone.is_empty() {
        check_phone(&mut semantic, "phone", &phone);
    }
    reject_invalid(fields.finish(), semantic)?;
    let sent = state.auth.start_sms_enrolment(&user, &phone).await?;
    Ok((StatusCode::ACCEPTED, Json(sms_sent_json(&sent))).into_response())
}

fn challenge_json(challenge: &PasskeyChallenge) -> Value {
    json!({ "ceremony_id": challenge.ceremony_id, "options": challenge.options })
}

/// `POST /t/{tenant}/api/login/{flow}/mfa/webauthn`: a challenge for the user's passkeys.
pub async fn start_flow_passkey(
    PublicCall { state, path: (tenant_id, flow_id), .. }: PublicCall<OnFlow>,
) -> ApiResult<Response> {
    let challenge = state.auth.start_flow_passkey(&tenant_id, &flow_id, CsrfProof::Api).await?;
    Ok((StatusCode::CREATED, Json(challenge_json(&challenge))).into_response())
}

/// `POST /t/{tenant}/api/login/{flow}/passkey`: passwordless, any discoverable passkey.
pub async fn start_passwordless(
    PublicCall { state, path: (tenant_id, flow_id), .. }: PublicCall<OnFlow>,
) -> ApiResult<Response> {
    let challenge = state.auth.start_passwordless(&tenant_id, &flow_id, CsrfProof::Api).await?;
    Ok((StatusCode::CREATED, Json(challenge_json(&challenge))).into_response())
}

/// `POST /t/{tenant}/api/login/{flow}/passkey/finish` `{"ceremony_id", "credential"}`.
pub async fn finish_passwordless(
    PublicCall { state, path: (tenant_id, flow_id), client }: PublicCall<OnFlow>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Json<Value>> {
    let ceremony_id = fields.required_string("ceremony_id");
    let response = fields.nullable_object("credential").flatten().unwrap_or_default();
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let signed_in = state
        .auth
        .finish_passwordless(&tenant_id, &flow_id, CsrfProof::Api, &ceremony_id, &response, None, client)
        .await?;
    Ok(Json(signed_in_json(&signed_in)))
}

/// `POST /t/{tenant}/api/factors/webauthn`: options for `navigator.credentials.create`.
pub async fn enrol_my_passkey(SignedInUser { state, user, .. }: SignedInUser) -> ApiResult<Response> {
    let challenge = state.auth.start_passkey_enrolment(&user).await?;
    Ok((StatusCode::CREATED, Json(challenge_json(&challenge))).into_response())
}

/// `POST /t/{tenant}/api/factors/webauthn/confirm` `{"ceremony_id", "credential"}`.
pub async fn confirm_my_passkey(
    SignedInUser { state, user, .. }: SignedInUser,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Json<Value>> {
    let ceremony_id = fields.required_string("ceremony_id");
    let response = fields.nullable_object("credential").flatten().unwrap_or_default();
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let codes = state.auth.finish_passkey_enrolment(&user, &ceremony_id, &response).await?;
    Ok(Json(json!({ "status": "enrolled", "backup_codes": codes })))
}

/// `GET /t/{tenant}/api/factors`: the signed-in user's factors.
pub async fn my_factors(SignedInUser { state, user, .. }: SignedInUser) -> ApiResult<Json<Value>> {
    let (factors, left) = state.auth.factors(&user.id).await?;
    Ok(Json(factors_json(&factors, left)))
}

/// `POST /t/{tenant}/api/factors/totp`: the signed-in user adds an authenticator app.
pub async fn enrol_my_totp(SignedInUser { state, user, .. }: SignedInUser) -> ApiResult<Response> {
    let enrolment = state.auth.start_totp_enrolment(&user).await?;
    Ok((StatusCode::CREATED, Json(enrolment_json(&enrolment))).into_response())
}

/// `POST /t/{tenant}/api/factors/{totp|sms}/confirm` `{"code": "…"}`: the factor's first
/// code confirms it; the answer holds the user's backup codes, shown once.
pub async fn confirm_my_factor(
    SignedInUser { state, user, .. }: SignedInUser,
    Path((_, kind)): Path<(String, String)>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    let code = only_string(body, "code")?;
    let codes = match kind.as_str() {
        "totp" => state.auth.confirm_totp(&user, &code).await?,
        "sms" => state.auth.confirm_sms(&user, &code).await?,
        _ => return Err(Error::not_found("factor type").into()),
    };
    Ok(Json(json!({ "status": "enrolled", "backup_codes": codes })))
}

/// `DELETE /t/{tenant}/api/factors/{factor_id}`.
pub async fn remove_my_factor(
    State(state): State<AppState>,
    Path((_, factor_id)): Path<(String, String)>,
    SignedInUser { user, .. }: SignedInUser,
) -> ApiResult<StatusCode> {
    let tenant = state.management.tenant(&user.tenant_id).await?;
    state.auth.remove_own_factor(&tenant, &user, &factor_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /t/{tenant}/api/factors/backup-codes`: ten new codes replace the old ones.
pub async fn regenerate_my_backup_codes(SignedInUser { state, user, .. }: SignedInUser) -> ApiResult<Json<Value>> {
    let (factors, _) = state.auth.factors(&user.id).await?;
    if factors.is_empty() {
        return Err(Error::new(intelliauth_catalogue::Code::PermissionDenied)
            .with_message("Add an authenticator app before creating backup codes.")
            .into());
    }
    Ok(Json(json!({ "backup_codes": state.auth.regenerate_backup_codes(&user.id).await? })))
}

/// `GET /v1/tenants/{tenant}/users/{user}/factors`.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/factors", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, description = "The user's enrolled factors and how many backup codes are left", body = Object)),
    security(("bearer" = ["users:read"])))]
pub async fn user_factors(at: Allowed<UsersRead, Item>) -> ApiResult<Json<Value>> {
    at.state.management.user(at.tenant_id(), at.id()).await?;
    let (factors, left) = at.state.auth.factors(at.id()).await?;
    Ok(Json(factors_json(&factors, left)))
}

/// `DELETE /v1/tenants/{tenant}/users/{user}/factors`: a lost device; the user enrols again.
#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/factors", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "Every factor removed; the user enrols again")),
    security(("bearer" = ["users:write"])))]
pub async fn reset_user_factors(at: Allowed<UsersWrite, Item>) -> ApiResult<StatusCode> {
    at.caller.require_step_up()?;
    at.state.management.user(at.tenant_id(), at.id()).await?;
    at.state.auth.reset_factors(at.tenant_id(), at.id()).await?;
    let details = serde_json::json!({ "user_id": at.id() });
    at.state.management.record_change(at.tenant_id(), "admin.user.factors_reset", details).await;
    Ok(StatusCode::NO_CONTENT)
}
