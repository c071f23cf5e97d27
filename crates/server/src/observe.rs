//! The outermost middleware: request id, rate limits, deadline, error rendering, logs
//! and metrics, in one place so every response on every route gets the same treatment.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use intelliauth_catalogue::Code;
use intelliauth_core::log::RequestContext;
use intelliauth_core::paths::tenant_of as path_tenant;
use intelliauth_core::Error;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::error::{code_for_bare_status, render, ApiError, PendingError, Reader, Rendered};
use crate::i18n::{self, Choice, Locale, Source};
use crate::request_id;
use crate::state::AppState;
use crate::{client_ip, door};

/// Operational endpoints that probes and scrapers hit; they are not rate limited so a
/// busy instance is never declared dead for being busy.
fn is_operational(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// The most of a user agent the tenant log keeps.
const USER_AGENT_CHARS: usize = 256;

/// Who will read an error on this request: a browser (it accepts HTML) is offered the sign-in
/// page of the tenant in the path.
fn reader(request: &Request, tenant_id: Option<&String>) -> Reader {
    let html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !html {
        return Reader::Client;
    }
    Reader::Browser { tenant_id: tenant_id.cloned(), tenant: None }
}

fn credential_key(request: &Request) -> Option<[u8; 32]> {
    let value = request.headers().get(header::AUTHORIZATION)?;
    Some(Sha256::digest(value.as_bytes()).into())
}

pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id::for_request(request.headers());
    let tenant_id = path_tenant(request.uri().path()).map(str::to_owned);
    let mut reader = reader(&request, tenant_id.as_ref());
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |path| path.as_str()).to_owned();
    let client_ip =
        client_ip::resolve(client_ip::peer(request.extensions()), request.headers(), &state.settings.trusted_proxies);
    request.extensions_mut().insert(client_ip::ClientAddress(client_ip));
    request.extensions_mut().insert(request_id::RequestId(request_id.clone()));

    let span = tracing::info_span!("request", %request_id, %method, %route);
    let (choice, remember) = locale_choice(&request);

    let limited = match door::check(&request) {
        Ok(()) if !is_operational(&route) => {
            state.rate_limits.check(client_ip, credential_key(&request)).await.map_err(Into::into)
        }
        checked => checked,
    };
    let (response, choice) = match limited {
        Err(error) => (error.into_response(), choice),
        Ok(()) => {
            // The tenant log reads who asked, from where, with this context.
            let user_agent = request
                .headers()
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(|agent| agent.chars().take(USER_AGENT_CHARS).collect())
                .unwrap_or_default();
            let context = RequestContext::new(request_id.clone(), client_ip.to_string(), user_agent);
            let handled = RequestContext::scope(context, next.run(request).instrument(span.clone()));
            // The handler may learn more of the locale (a page, its tenant's default).
            let handled = i18n::scope(choice, async { (handled.await, i18n::current_choice()) });
            match tokio::time::timeout(state.settings.request_timeout, handled).await {
                Ok(answered) => answered,
                Err(_) => (
                    ApiError::from(
                        Error::unavailable("request deadline exceeded")
                            .with_message("The request took too long. Try again shortly."),
                    )
                    .into_response(),
                    choice,
                ),
            }
        }
    };

    // An error about a tenant speaks the tenant's default language and wording, and a person
    // reading it in a browser sees the tenant's brand.
    let tenant = match &tenant_id {
        Some(tenant_id) if renders_error(&response) => state.management.tenant(tenant_id).await.ok(),
        _ => None,
    };
    if let Reader::Browser { tenant: brand, .. } = &mut reader {
        *brand = tenant.clone().map(Box::new);
    }
    let ((mut response, error_code), choice) = i18n::scope(choice, async {
        if let Some(tenant) = &tenant {
            i18n::offer_tenant(tenant);
        }
        (finish(response, &request_id, method.as_str(), &reader, &span), i18n::current_choice())
    })
    .await;
    // A ui_locales asked for on a tenant's path holds for the rest of the browser's sign-in.
    if let (Some(locale), Some(tenant_id)) = (remember, &tenant_id) {
        let public_url = state.auth.public_url();
        crate::pages::cookies::set(response.headers_mut(), public_url, tenant_id, i18n::COOKIE, locale.tag(), None);
    }
    speak(&mut response, choice, error_code.is_some());
    door::harden(&mut response, route != "unmatched");
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    state.metrics.record(method.as_str(), &route, response.status().as_u16(), started.elapsed(), error_code);
    response
}

/// Whether [`finish`] will render an error for `response` (one a page did not render itself).
fn renders_error(response: &Response) -> bool {
    let status = response.status();
    response.extensions().get::<Rendered>().is_none()
        && (response.extensions().get::<PendingError>().is_some()
            || status.is_client_error()
            || status.is_server_error())
}

/// Renders a pending error, or maps a bare error status onto the catalogue.
fn finish(
    mut response: Response,
    request_id: &str,
    method: &str,
    reader: &Reader,
    span: &tracing::Span,
) -> (Response, Option<&'static str>) {
    let status = response.status();
    if let Some(Rendered(code)) = response.extensions_mut().remove::<Rendered>() {
        let _entered = span.enter();
        tracing::info!(code = code.as_str(), "request refused");
        return (response, Some(code.as_str()));
    }
    let error = match response.extensions_mut().remove::<PendingError>() {
        Some(PendingError(error)) => error,
        // The router adds the route's `Allow` to its 405 after this middleware.
        None if status == StatusCode::METHOD_NOT_ALLOWED => {
            let mut refused = door::method_not_allowed(method);
            refused.error = refused.error.with_cause("method not routed");
            return log_and_render(&refused, request_id, reader, span);
        }
        None if status.is_client_error() || status.is_server_error() => Arc::new(ApiError::from(
            Error::new(code_for_bare_status(status)).with_cause(format!("bare {status} from the framework")),
        )),
        None => return (response, None),
    };
    log_and_render(&error, request_id, reader, span)
}

/// Logs a refused or failed request and renders its error.
fn log_and_render(
    failure: &ApiError,
    request_id: &str,
    reader: &Reader,
    span: &tracing::Span,
) -> (Response, Option<&'static str>) {
    let _entered = span.enter();
    let error = &failure.error;
    let cause = error.cause.as_ref().map(ToString::to_string);
    // An Action's timeout or failure is the tenant's event (its execution log and metrics by
    // code), not an operator error: a tenant must not be able to fill the operator's log.
    let tenant_event = matches!(error.code, Code::StepError | Code::StepTimeout);
    if !tenant_event && (error.code == Code::ServerError || failure.status().is_server_error()) {
        tracing::error!(code = error.code.as_str(), cause = cause.as_deref().unwrap_or(""), "request failed");
    } else {
        tracing::info!(code = error.code.as_str(), cause = cause.as_deref().unwrap_or(""), "request refused");
    }
    (render(failure, request_id, reader), Some(error.code.as_str()))
}

/// The locale a request asks for by itself (pages add the user's and the tenant's):
/// `ui_locales` in the query, else the one a sign-in started with (the `ia_locale`
/// cookie), else `Accept-Language`; and the locale of a `ui_locales` we speak, to remember.
fn locale_choice(request: &Request) -> (Choice, Option<Locale>) {
    let mut choice = Choice::default();
    let asked = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == "ui_locales").map(|(_, value)| value)
    });
    if let Some(asked) = &asked {
        choice.offer(Source::UiLocales, asked.split(' '));
    }
    let remember = (choice.source == Source::UiLocales).then_some(choice.locale);
    choice.offer(Source::UiLocales, crate::pages::cookies::read(request.headers(), i18n::COOKIE));
    if let Some(header) = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()) {
        choice.offer(Source::AcceptLanguage, i18n::accept_language(header));
    }
    (choice, remember)
}

/// Says which language a page or an error speaks (`Content-Language`, and `Vary` for
/// caches, as the choice read `Accept-Language` and cookies).
fn speak(response: &mut Response, choice: Choice, error: bool) {
    let headers = response.headers_mut();
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/html"));
    if !(html || error) {
        return;
    }
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(choice.locale.tag()));
    headers.append(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
}
