//! Registration and email verification: the sign-up form, the link in the email, and
//! asking for another link.

use axum::http::StatusCode;
use intelliauth_catalogue::{Code, Family};
use intelliauth_core::auth::{FlowKind, Registration};
use intelliauth_core::model::Tenant;
use intelliauth_core::paths;
use intelliauth_core::Error;

use super::copy;
use super::html::{alert, escape, hidden, input, notice, page};
use super::Page;
use super::{browser_proof, csrf_ok, is_flow_error, respond, restart_page, status_of, PageResult};
use crate::extract::FormBody;
use crate::i18n::{t, t_with};

fn register_body(
    tenant: &Tenant,
    flow_id: &str,
    csrf: &str,
    values: (&str, &str),
    fields: &serde_json::Value,
    before: &str,
) -> String {
    let errors = |field: &str| -> Vec<String> {
        fields
            .get(field)
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|m| m.as_str())
                    .map(|problem| t_with("field-error", "problem", crate::i18n::field_problem(problem)))
                    .collect()
            })
            .unwrap_or_default()
    };
    format!(
        "{before}<form method=\"post\" action=\"{action}\" novalidate>{csrf}{email}{name}{password}\
         <button type=\"submit\">{submit}</button></form><nav><a href=\"{login}\">{have_account}</a></nav>",
        submit = escape(&t("register-submit")),
        have_account = escape(&t("have-account-link")),
        action = escape(&paths::REGISTER.with_query(&tenant.id, &[("flow", flow_id)])),
        login = escape(&paths::LOGIN.of(&tenant.id)),
        csrf = hidden("csrf_token", csrf),
        email = input("email", &t("field-email"), "email", values.0, "email", &errors("email")),
        name = input("name", &t("field-name"), "text", values.1, "name", &errors("name")),
        password = input("password", &t("field-password"), "password", "", "new-password", &errors("password")),
    )
}

pub(super) async fn register_page(visit: Page) -> PageResult {
    let (flow, csrf) = visit.shown_flow(FlowKind::Registration, paths::REGISTER).await?;
    let Page { state, tenant, query, .. } = visit;
    // The way back the flow kept (checked when it started), for the upstream buttons too.
    let return_to = flow.return_to.map(|back| back.path(&tenant.id));
    let buttons = super::upstream::buttons(&state, &tenant, (None, None), return_to.as_deref()).await;
    let email = query.login_hint.as_deref().unwrap_or("");
    let body = register_body(&tenant, &flow.id, &csrf, (email, ""), &serde_json::Value::Null, "") + &buttons;
    Ok(respond(StatusCode::OK, page(&tenant, &t("register-title"), &body), None, None))
}

pub(super) async fn register_submit(
    Page { state, tenant, query, client, headers }: Page,
    form: FormBody,
) -> PageResult {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let name = form.get("name").trim().to_owned();
    let input = Registration {
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        name: (!name.is_empty()).then_some(name),
    };
    let proof = browser_proof(&headers, &form);
    match state.auth.register(&state.management, &tenant_id, &flow_id, proof, input, client).await {
        Ok(()) => {
            let body = notice(&t("register-sent"));
            Ok(respond(StatusCode::OK, page(&tenant, &t("register-sent-title"), &body), None, None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &paths::REGISTER.of(&tenant_id))),
        Err(error) if error.code == Code::ValidationFailed || matches!(error.code.family(), Family::Action) => {
            let fields = error.details.get("fields").cloned().unwrap_or_default();
            let message = if error.code == Code::ValidationFailed { t("fix-fields") } else { copy(&error) };
            let before = alert(&message, error.code.as_str());
            let body = register_body(
                &tenant,
                &flow_id,
                form.get("csrf_token"),
                (form.get("email"), form.get("name")),
                &fields,
                &before,
            );
            Ok(respond(status_of(&error), page(&tenant, &t("register-title"), &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- email verification ----

pub(super) async fn verify_link(Page { state, tenant, query, .. }: Page) -> PageResult {
    let tenant_id = tenant.id.clone();
    match state.auth.verify_email(&tenant_id, query.token.as_deref().unwrap_or_default()).await {
        Ok(()) => {
            // Signing in goes on to where the registration was headed (a same-site path only:
            // the sign-in flow checks it again when it starts).
            let back = query.return_to.as_deref().and_then(paths::ReturnTo::parse).map(|back| back.path(&tenant_id));
            let sign_in = paths::LOGIN.returning_to(&tenant_id, back.as_deref());
            let body = format!(
                "{}<p><a href=\"{}\" id=\"sign-in-after-verify\">{}</a></p>",
                notice(&t("verified")),
                escape(&sign_in),
                escape(&t("sign-in-submit")),
            );
            Ok(respond(StatusCode::OK, page(&tenant, &t("verified-title"), &body), None, None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &paths::LOGIN.of(&tenant_id))),
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn resend_submit(Page { state, tenant, client, headers, .. }: Page, form: FormBody) -> PageResult {
    let tenant_id = tenant.id.clone();
    if !csrf_ok(&headers, &form) {
        return Ok(restart_page(&tenant, &Error::new(Code::StateMismatch), &paths::LOGIN.of(&tenant_id)));
    }
    state.auth.resend_verification(&tenant_id, form.get("email"), client).await?;
    let body = format!(
        "{}<p><a href=\"{}\">{}</a></p>",
        notice(&t("resent")),
        escape(&paths::LOGIN.of(&tenant_id)),
        escape(&t("back-to-sign-in")),
    );
    Ok(respond(StatusCode::OK, page(&tenant, &t("resent-title"), &body), None, None))
}
