//! Registration and email verification: the sign-up form, the link in the email, and
//! asking for another link.

use axum::http::StatusCode;
use intelliauth_catalogue::{Code, Family};
use intelliauth_core::auth::{FlowKind, Registration};
use intelliauth_core::model::Tenant;
use intelliauth_core::paths;
use intelliauth_core::Error;

use super::html::{alert, escape, hidden, input, notice, page};
use super::Page;
use super::{browser_proof, csrf_ok, is_flow_error, respond, restart_page, status_of, PageResult};
use crate::extract::FormBody;

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
            .map(|list| list.iter().filter_map(|m| m.as_str()).map(|m| format!("This {m}")).collect())
            .unwrap_or_default()
    };
    format!(
        "{before}<form method=\"post\" action=\"{action}\" novalidate>{csrf}{email}{name}{password}\
         <button type=\"submit\">Create account</button></form><nav><a href=\"{login}\">Already have an account? Sign in</a></nav>",
        action = escape(&paths::REGISTER.with_query(&tenant.id, &[("flow", flow_id)])),
        login = escape(&paths::LOGIN.of(&tenant.id)),
        csrf = hidden("csrf_token", csrf),
        email = input("email", "Email", "email", values.0, "email", &errors("email")),
        name = input("name", "Name", "text", values.1, "name", &errors("name")),
        password = input("password", "Password", "password", "", "new-password", &errors("password")),
    )
}

pub(super) async fn register_page(visit: Page) -> PageResult {
    let (flow_id, csrf) = visit.shown_flow(FlowKind::Registration, paths::REGISTER).await?;
    let Page { tenant, .. } = visit;
    let body = register_body(&tenant, &flow_id, &csrf, ("", ""), &serde_json::Value::Null, "");
    Ok(respond(StatusCode::OK, page(&tenant, "Create your account", &body), None, None))
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
            let body = notice("Check your inbox: we sent you a link to verify your email address.");
            Ok(respond(StatusCode::OK, page(&tenant, "Almost there", &body), None, None))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &paths::REGISTER.of(&tenant_id))),
        Err(error) if error.code == Code::ValidationFailed || matches!(error.code.family(), Family::Action) => {
            let fields = error.details.get("fields").cloned().unwrap_or_default();
            let message = if error.code == Code::ValidationFailed {
                "Please correct the highlighted fields."
            } else {
                error.message()
            };
            let before = alert(message, error.code.as_str());
            let body = register_body(
                &tenant,
                &flow_id,
                form.get("csrf_token"),
                (form.get("email"), form.get("name")),
                &fields,
                &before,
            );
            Ok(respond(status_of(&error), page(&tenant, "Create your account", &body), Some(error.code), None))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- email verification ----

pub(super) async fn verify_link(Page { state, tenant, query, .. }: Page) -> PageResult {
    let tenant_id = tenant.id.clone();
    match state.auth.verify_email(&tenant_id, query.token.as_deref().unwrap_or_default()).await {
        Ok(()) => {
            let body = format!(
                "{}<p><a href=\"{}\">Sign in</a></p>",
                notice("Your email address is verified."),
                escape(&paths::LOGIN.of(&tenant_id))
            );
            Ok(respond(StatusCode::OK, page(&tenant, "Email verified", &body), None, None))
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
        "{}<p><a href=\"{}\">Back to sign in</a></p>",
        notice("If your address still needs verifying, a new link is on its way."),
        escape(&paths::LOGIN.of(&tenant_id))
    );
    Ok(respond(StatusCode::OK, page(&tenant, "Check your inbox", &body), None, None))
}
