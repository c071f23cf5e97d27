//! Account recovery: asking for a reset link, and choosing a new password with it (also
//! where sign-in sends a user whose password must be reset).

use axum::http::StatusCode;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::FlowKind;
use intelliauth_core::model::Tenant;
use intelliauth_core::paths;

use super::html::{alert, escape, hidden, input, notice, page};
use super::Page;
use super::{browser_proof, is_flow_error, posted_flow, respond, restart_page, status_of, PageResult};
use crate::extract::FormBody;
use crate::i18n::{t, t_with};

pub(super) async fn forgot_page(visit: Page) -> PageResult {
    let (flow, csrf) = visit.shown_flow(FlowKind::Recovery, paths::FORGOT).await?;
    let flow_id = flow.id;
    let Page { tenant, .. } = visit;
    let tenant_id = tenant.id.clone();
    let body = format!(
        "<p>{intro}</p>\
         <form method=\"post\" action=\"{action}\" novalidate>{csrf}{email}<button type=\"submit\">{submit}</button></form>\
         <nav><a href=\"{login}\">{back}</a></nav>",
        intro = escape(&t("forgot-intro")),
        submit = escape(&t("forgot-submit")),
        back = escape(&t("back-to-sign-in")),
        action = escape(&paths::FORGOT.with_query(&tenant_id, &[("flow", &flow_id)])),
        login = escape(&paths::LOGIN.of(&tenant_id)),
        csrf = hidden("csrf_token", &csrf),
        email = input("email", &t("field-email"), "email", "", "username", &[]),
    );
    Ok(respond(StatusCode::OK, page(&tenant, &t("forgot-title"), &body), None, None))
}

pub(super) async fn forgot_submit(Page { state, tenant, query, client, headers }: Page, form: FormBody) -> PageResult {
    let tenant_id = tenant.id.clone();
    let restart = paths::FORGOT.of(&tenant_id);
    let proof = browser_proof(&headers, &form);
    let flow = posted_flow(&state, &tenant, FlowKind::Recovery, &query, proof, &restart).await?;
    state.auth.request_recovery(&tenant_id, form.get("email"), client).await?;
    state.auth.finish_flow(&flow).await?;
    let body = notice(&t("forgot-sent"));
    Ok(respond(StatusCode::OK, page(&tenant, &t("forgot-sent-title"), &body), None, None))
}

fn reset_body(tenant: &Tenant, flow_id: &str, csrf: &str, token: &str, before: &str, errors: &[String]) -> String {
    format!(
        "{before}<form method=\"post\" action=\"{action}\" novalidate>{csrf}{token}{password}\
         <button type=\"submit\">{submit}</button></form>",
        submit = escape(&t("reset-submit")),
        action = escape(&paths::RESET.with_query(&tenant.id, &[("flow", flow_id)])),
        csrf = hidden("csrf_token", csrf),
        token = hidden("token", token),
        password = input("password", &t("field-new-password"), "password", "", "new-password", errors),
    )
}

pub(super) async fn reset_page(visit: Page) -> PageResult {
    let (flow, csrf) = visit.shown_flow(FlowKind::Recovery, paths::RESET).await?;
    let flow_id = flow.id;
    let Page { tenant, query, .. } = visit;
    // Sent here by sign-in: say why, in the catalogue's words.
    let before = match query.reason.as_deref() {
        Some("password_must_be_reset") => alert(&t("code-password_must_be_reset"), Code::PasswordMustBeReset.as_str()),
        _ => String::new(),
    };
    let body = reset_body(&tenant, &flow_id, &csrf, query.token.as_deref().unwrap_or_default(), &before, &[]);
    Ok(respond(StatusCode::OK, page(&tenant, &t("reset-title"), &body), None, None))
}

pub(super) async fn reset_submit(Page { state, tenant, query, headers, .. }: Page, form: FormBody) -> PageResult {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let proof = browser_proof(&headers, &form);
    let restart = paths::FORGOT.of(&tenant_id);
    let flow = posted_flow(&state, &tenant, FlowKind::Recovery, &query, proof, &restart).await?;
    match state.auth.reset_password(&tenant_id, form.get("token"), form.get("password").to_owned()).await {
        Ok(_) => {
            state.auth.finish_flow(&flow).await?;
            let body = format!(
                "{}<p><a href=\"{}\">{}</a></p>",
                notice(&t("reset-done")),
                escape(&paths::LOGIN.of(&tenant_id)),
                escape(&t("sign-in-submit")),
            );
            Ok(respond(StatusCode::OK, page(&tenant, &t("reset-done-title"), &body), None, None))
        }
        Err(error) if error.code == Code::ValidationFailed => {
            let messages: Vec<String> = error.details["fields"]["password"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|m| m.as_str())
                        .map(|problem| t_with("password-error", "problem", crate::i18n::field_problem(problem)))
                        .collect()
                })
                .unwrap_or_default();
            // The summary says what happened; the field says what is wrong with it.
            let before = alert(&t("fix-fields"), error.code.as_str());
            let body = reset_body(&tenant, &flow_id, form.get("csrf_token"), form.get("token"), &before, &messages);
            Ok(respond(status_of(&error), page(&tenant, &t("reset-title"), &body), Some(error.code), None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &restart)),
        Err(error) => Err(error.into()),
    }
}
