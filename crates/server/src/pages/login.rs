//! The sign-in page: email and password, with the captcha, lockout and verification
//! answers shown in the form, and the console's live preview of it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::{CaptchaWidget, CsrfProof, FlowKind, SignIn, SignInStep};
use intelliauth_core::model::Tenant;
use intelliauth_core::paths;
use intelliauth_core::{secret, Error};

use super::html::{self, alert, escape, hidden, input, page};
use super::Page;
use super::{
    browser_proof, cookies, is_flow_error, mfa, redirect, respond, restart_page, shown_in_page, status_of, PageResult,
};
use crate::extract::FormBody;
use crate::i18n::{t, t_with};
use crate::state::AppState;

struct LoginForm<'a> {
    flow_id: &'a str,
    csrf: &'a str,
    email: &'a str,
    /// Shown again only after a captcha was asked for: the user did nothing wrong.
    password: &'a str,
    /// The page's error summary is about these credentials (a refused sign-in).
    refused: bool,
    /// Where the sign-in returns to: registering from here returns there too.
    return_to: Option<&'a str>,
}

fn login_body(tenant: &Tenant, form: &LoginForm<'_>, before: &str, extra: &str) -> String {
    let in_flow = [("flow", form.flow_id)];
    format!(
        "{before}<form method=\"post\" action=\"{action}\" novalidate>{csrf}{email}{password}{extra}\
         <button type=\"submit\">{submit}</button></form>\
         <nav><a href=\"{passkey}\" id=\"use-passkey\">{with_passkey}</a>\
         <a href=\"{forgot}\">{forgot_text}</a><a href=\"{register}\">{register_text}</a></nav>",
        action = escape(&paths::LOGIN.with_query(&tenant.id, &in_flow)),
        csrf = hidden("csrf_token", form.csrf),
        email = credential_field(form, "email", &t("field-email"), "email", form.email, "username webauthn"),
        password =
            credential_field(form, "password", &t("field-password"), "password", form.password, "current-password"),
        submit = escape(&t("sign-in-submit")),
        with_passkey = escape(&t("sign-in-with-passkey")),
        forgot_text = escape(&t("forgot-password-link")),
        register_text = escape(&t("create-account-link")),
        passkey = escape(&paths::LOGIN_PASSKEY.with_query(&tenant.id, &in_flow)),
        forgot = escape(&paths::FORGOT.of(&tenant.id)),
        register = escape(&register_link(tenant, form)),
    )
}

/// The registration page, carrying where this sign-in returns to and the address typed or
/// hinted, so that registering ends where signing in would have.
fn register_link(tenant: &Tenant, form: &LoginForm<'_>) -> String {
    let mut pairs = Vec::with_capacity(2);
    if let Some(back) = form.return_to {
        pairs.push(("return_to", back));
    }
    if !form.email.is_empty() {
        pairs.push(("login_hint", form.email));
    }
    paths::REGISTER.with_query(&tenant.id, &pairs)
}

fn credential_field(
    form: &LoginForm<'_>,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
) -> String {
    if form.refused {
        html::input_in_error(name, label, kind, value, autocomplete)
    } else {
        input(name, label, kind, value, autocomplete, &[])
    }
}

/// The sign-in page as `tenant` (with a theme not yet saved) would show it, for the
/// console's live preview: the real renderer, a form that goes nowhere, framable only by
/// the console's own origin.
pub(crate) fn login_preview(tenant: &Tenant) -> Response {
    let form =
        LoginForm { flow_id: "preview", csrf: "preview", email: "", password: "", refused: false, return_to: None };
    let body = login_body(tenant, &form, "", "");
    let mut response = respond(StatusCode::OK, page(tenant, &t("sign-in-title"), &body), None, None);
    let headers = response.headers_mut();
    headers.remove(header::X_FRAME_OPTIONS);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; \
             frame-ancestors 'self'; base-uri 'none'",
        ),
    );
    response
}

pub(super) async fn login_page(visit: Page) -> PageResult {
    let (flow, csrf) = visit.shown_flow(FlowKind::Login, paths::LOGIN).await?;
    let Page { state, mut tenant, query, .. } = visit;
    let flow_id = flow.id.clone();
    let return_to = flow.return_to.as_ref().map(|back| back.path(&tenant.id));
    // Signing in to an organization: its look, where it has one, and its connections.
    let organization = state.auth.flow_organization(&flow).await.ok().flatten();
    if let Some(organization) = &organization {
        super::wear_branding(&mut tenant, organization);
    }
    let form = LoginForm {
        flow_id: &flow_id,
        csrf: &csrf,
        email: query.login_hint.as_deref().unwrap_or(""),
        password: "",
        refused: false,
        return_to: return_to.as_deref(),
    };
    let csp_nonce = secret::generate("");
    // A tenant that asks for a captcha on every attempt gets it ready with the page.
    let captcha = match state.auth.captcha_up_front(&tenant).await? {
        Some(widget) => captcha_widget(&widget, &csp_nonce),
        None => String::new(),
    };
    let autofill = passkey_autofill(&state, &tenant.id, &flow_id, &csrf, &csp_nonce).await;
    // Back from an upstream whose account has this email here: signing in links it.
    // (The notice is the catalogue's copy, never words from the query.)
    let before = if query.link.is_some() { html::notice(&t("code-link_required")) } else { String::new() };
    let buttons = super::upstream::buttons(&state, &tenant, (Some(&flow_id), organization.as_ref()), None).await;
    let body = login_body(&tenant, &form, &before, &captcha) + &buttons + &autofill;
    Ok(respond(StatusCode::OK, page(&tenant, &t("sign-in-title"), &body), None, Some(&csp_nonce)))
}

/// Passkey autofill (conditional mediation) beside the password: a discoverable ceremony
/// for this flow, and the script that offers it in the email field's suggestions and posts
/// the chosen passkey to the passwordless endpoint. Nothing when the instance has no
/// passkeys (the rest of the page works without it, as in browsers without autofill).
async fn passkey_autofill(state: &AppState, tenant_id: &str, flow_id: &str, csrf: &str, csp_nonce: &str) -> String {
    let proof = CsrfProof::Browser { cookie: Some(csrf), form: Some(csrf) };
    let Ok(challenge) = state.auth.start_passwordless(tenant_id, flow_id, proof).await else { return String::new() };
    // `</` cannot end the script element early.
    let options = challenge.options.to_string().replace("</", "<\\/");
    format!(
        "<script type=\"application/json\" id=\"passkey-autofill\">{options}</script>\
         <form method=\"post\" action=\"{action}\" id=\"passkey-autofill-form\" hidden>{}{}{}{}</form>\
         <script nonce=\"{csp_nonce}\">{}</script>",
        hidden("csrf_token", csrf),
        hidden("ceremony_id", &challenge.ceremony_id),
        hidden("credential", ""),
        hidden("reason", ""),
        include_str!("passkey_autofill.js"),
        action = escape(&paths::LOGIN_PASSKEY.with_query(tenant_id, &[("flow", flow_id)])),
    )
}

pub(super) async fn login_submit(Page { state, tenant, query, client, headers }: Page, form: FormBody) -> PageResult {
    let tenant_id = tenant.id.clone();
    let flow_id = query.flow.clone().unwrap_or_default();
    let captcha = ["captcha", "h-captcha-response", "cf-turnstile-response"]
        .into_iter()
        .map(|key| form.get(key))
        .find(|v| !v.is_empty());
    let input = SignIn {
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
        captcha: captcha.map(str::to_owned),
        previous_session: cookies::read(&headers, cookies::SESSION).map(str::to_owned),
    };
    let proof = browser_proof(&headers, &form);
    // Only a form shown again needs the flow's way back (for its registration link).
    let form_again = |before: &str, extra: &str, code: Code, csp_nonce: Option<&str>, return_to: Option<&str>| {
        // A captcha asked for is not a refusal of what was typed: it is all kept.
        let refused = code != Code::CaptchaRequired;
        let password = if refused { "" } else { form.get("password") };
        let shown = LoginForm {
            flow_id: &flow_id,
            csrf: form.get("csrf_token"),
            email: form.get("email"),
            password,
            refused,
            return_to,
        };
        let body = login_body(&tenant, &shown, before, extra);
        respond(status_of(&Error::new(code)), page(&tenant, &t("sign-in-title"), &body), Some(code), csp_nonce)
    };
    match state.auth.sign_in(&tenant_id, &flow_id, proof, input, client).await {
        Ok(SignInStep::SignedIn(signed_in)) => {
            let target = signed_in.return_to.clone().unwrap_or_else(|| paths::ACCOUNT.of(&tenant_id));
            let mut response = redirect(&target);
            mfa::set_session_cookie(&state, &tenant_id, &signed_in, &mut response);
            Ok(response)
        }
        // The copy is not shown: the MFA page is.
        Ok(SignInStep::SecondFactor(_)) => Ok(redirect(&mfa::mfa_path(&tenant_id, &flow_id))),
        Ok(SignInStep::MustResetPassword { ticket, .. }) => {
            let reset = [("token", ticket.as_str()), ("reason", "password_must_be_reset")];
            Ok(redirect(&paths::RESET.with_query(&tenant_id, &reset)))
        }
        Ok(SignInStep::Captcha(due)) => {
            let csp_nonce = secret::generate("");
            let widget = captcha_widget(&due.widget, &csp_nonce);
            let extra = format!("<div data-code=\"captcha_required\">{widget}</div>");
            // Why the form is back: the catalogue's copy, in the summary that takes focus.
            let before = alert(&t("code-captcha_required"), Code::CaptchaRequired.as_str());
            let back = way_back(&state, &tenant_id, &flow_id).await;
            Ok(form_again(&before, &extra, Code::CaptchaRequired, Some(&csp_nonce), back.as_deref()))
        }
        Err(error) if is_flow_error(&error) => Ok(restart_page(&tenant, &error, &paths::LOGIN.of(&tenant_id))),
        Err(error) if shown_in_page(&error) => {
            let before = refusal_copy(&tenant, &error, form.get("email"), form.get("csrf_token"));
            let back = way_back(&state, &tenant_id, &flow_id).await;
            Ok(form_again(&before, "", error.code, None, back.as_deref()))
        }
        Err(error) => Err(error.into()),
    }
}

/// Where a live login flow returns to, as a path.
async fn way_back(state: &AppState, tenant_id: &str, flow_id: &str) -> Option<String> {
    let flow = state.auth.live_flow(tenant_id, flow_id, FlowKind::Login).await.ok()?;
    flow.return_to.map(|back| back.path(tenant_id))
}

/// The control a sign-in that must prove a person shows inside its form.
fn captcha_widget(widget: &CaptchaWidget, csp_nonce: &str) -> String {
    match widget {
        CaptchaWidget::ProofOfWork(challenge) => {
            html::proof_of_work(&challenge.id, &challenge.nonce, u64::from(challenge.difficulty), csp_nonce)
        }
        CaptchaWidget::Siteverify { site_key } => format!(
            "<div class=\"captcha\" data-sitekey=\"{}\"></div>{}",
            escape(site_key),
            input("captcha", &t("captcha-answer"), "text", "", "off", &[])
        ),
    }
}

/// What a refused sign-in shows above its form: the copy, and for some codes what to do
/// next (when to try again, resending the verification email).
fn refusal_copy(tenant: &Tenant, error: &Error, email: &str, csrf: &str) -> String {
    let copy = alert(&super::copy(error), error.code.as_str());
    match error.code {
        Code::AccountLocked => {
            let minutes = error.retry_after_s.unwrap_or(60).div_ceil(60);
            let retry = escape(&t_with("retry-after", "minutes", minutes));
            html::alert_with(&super::copy(error), error.code.as_str(), &format!("<p id=\"retry-after\">{retry}</p>"))
        }
        Code::EmailUnverified => format!(
            "{copy}<form method=\"post\" action=\"{resend}\">{}{}<button type=\"submit\" class=\"secondary\">{}</button></form>",
            hidden("csrf_token", csrf),
            hidden("email", email),
            escape(&t("resend-verification")),
            resend = escape(&paths::VERIFY_RESEND.of(&tenant.id))
        ),
        _ => copy,
    }
}
