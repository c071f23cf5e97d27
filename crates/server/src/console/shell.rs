//! The console's one HTML page: signed out, the sign-in and first-admin forms; signed in,
//! the frame the script fills (navigation, tenant switcher, sign-out). Its own CSP: scripts
//! and styles from this origin only, API calls to this origin only.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use intelliauth_core::log::RequestContext;
use intelliauth_core::Error;

use super::session::Session;
use crate::pages::html::escape;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
     connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const HEAD: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<link rel=\"stylesheet\" href=\"/console/assets/codemirror.css\">\
<link rel=\"stylesheet\" href=\"/console/assets/console.css\">";

const SCRIPTS: &str = "<script src=\"/console/assets/chart.umd.min.js\" defer></script>\
<script src=\"/console/assets/codemirror.js\" defer></script>\
<script src=\"/console/assets/codemirror-javascript.js\" defer></script>\
<script src=\"/console/assets/diff.min.js\" defer></script>\
<script src=\"/console/assets/console.js\" defer></script>";

/// The page, signed in or not, with `error` (what stopped a sign-in) shown in an alert.
pub fn render(session: Option<&Session>, error: Option<&Error>) -> Response {
    let body = match session {
        Some(session) => signed_in(session),
        None => signed_out(error),
    };
    let status = error.map_or(StatusCode::OK, crate::error::status_of);
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Some(error) = error {
        response.extensions_mut().insert(crate::error::Rendered(error.code));
    }
    response
}

fn signed_in(session: &Session) -> String {
    let tenant = escape(&session.tenant_id);
    format!(
        "{HEAD}<title>Console · {tenant} · IntelliAuth</title>\
<meta name=\"ia-csrf\" content=\"{csrf}\"><meta name=\"ia-tenant\" content=\"{tenant}\">\
<meta name=\"ia-role\" content=\"{role}\"><meta name=\"ia-email\" content=\"{email}\">\
<meta name=\"ia-instance-admin\" content=\"{instance_admin}\"></head>\
<body data-mode=\"console\"><a class=\"skip\" href=\"#view\">Skip to content</a>\
<header class=\"top\"><button type=\"button\" class=\"menu\" aria-expanded=\"false\" aria-controls=\"nav\">Menu</button>\
<strong class=\"brand\">IntelliAuth</strong>\
<form class=\"switch\" method=\"get\" action=\"/console/login\"><label for=\"switch-tenant\">Tenant</label>\
<input id=\"switch-tenant\" name=\"tenant\" value=\"{tenant}\" autocomplete=\"off\" size=\"12\">\
<button type=\"submit\">Switch</button></form>\
<span class=\"who\">{email} <span class=\"role\">{role}</span></span>\
<form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
<button type=\"submit\" id=\"sign-out\">Sign out</button></form></header>\
<div class=\"frame\"><nav id=\"nav\" aria-label=\"Console\"><ul>\
<li><a href=\"#/\">Dashboard</a></li><li><a href=\"#/users\">Users</a></li>\
<li><a href=\"#/applications\">Applications</a></li><li><a href=\"#/apis\">APIs</a></li><li><a href=\"#/roles\">Roles</a></li><li><a href=\"#/organizations\">Organizations</a></li><li><a href=\"#/connections\">Connections</a></li><li><a href=\"#/actions\">Actions</a></li>\
<li><a href=\"#/webhooks\">Webhooks</a></li><li><a href=\"#/logs\">Logs</a></li>\
<li><a href=\"#/settings\">Settings</a></li></ul></nav>\
<main id=\"view\" tabindex=\"-1\"><p>Loading…</p></main></div>{SCRIPTS}</body></html>\n",
        csrf = escape(&session.csrf),
        role = escape(&session.role),
        email = escape(&session.email),
        instance_admin = session.instance_admin,
    )
}

fn signed_out(error: Option<&Error>) -> String {
    let alert = error.map(alert).unwrap_or_default();
    format!(
        "{HEAD}<title>{title}Sign in · IntelliAuth console</title></head>\
<body data-mode=\"signed-out\"><main id=\"view\" class=\"narrow\"><h1>IntelliAuth console</h1>{alert}\
<section aria-labelledby=\"sign-in-title\"><h2 id=\"sign-in-title\">Sign in</h2>\
<p>Admins sign in with their account in the tenant they run.</p>\
<form method=\"get\" action=\"/console/login\"><label for=\"tenant\">Tenant</label>\
<input id=\"tenant\" name=\"tenant\" value=\"default\" autocomplete=\"organization\" required>\
<button type=\"submit\" id=\"sign-in\">Sign in</button></form></section>\
<section aria-labelledby=\"setup-title\"><h2 id=\"setup-title\">Create the first admin</h2>\
<p>A new installation has no admin yet. Paste the management token the server printed at its \
first start to create the tenant's owner, then sign in as them.</p>\
<form id=\"setup\"><label for=\"setup-tenant\">Tenant</label>\
<input id=\"setup-tenant\" name=\"tenant\" value=\"default\" required>\
<label for=\"setup-token\">Management token</label>\
<input id=\"setup-token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>\
<label for=\"setup-email\">Email</label><input id=\"setup-email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
<label for=\"setup-password\">Password</label>\
<input id=\"setup-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required>\
<button type=\"submit\" id=\"create-admin\">Create the first admin</button><div id=\"setup-result\"></div></form>\
</section></main>{SCRIPTS}</body></html>\n",
        title = if error.is_some() { "Error: " } else { "" },
    )
}

/// The catalogue's copy for the code, the code, and the request id to quote to support.
fn alert(error: &Error) -> String {
    let request_id = RequestContext::current().map(|context| context.request_id.clone()).unwrap_or_default();
    format!(
        "<div class=\"alert\" role=\"alert\" data-code=\"{code}\"><p class=\"message\">{message}</p>\
<p class=\"meta\">Code <code>{code}</code> · request <code class=\"request-id\">{request_id}</code></p></div>",
        code = escape(error.code.as_str()),
        message = escape(error.message()),
        request_id = escape(&request_id),
    )
}
