//! What hostile requests and standard clients found, over real HTTP on both backends: NUL
//! bytes, oversized headers, unsupported methods, hardening headers on every response,
//! login CSRF across channels, partial updates of nested settings, RFC error forms.

mod common;

use common::{no_redirects, Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A client that does not follow redirects, as a browser's fetch of one step would.

#[tokio::test]
async fn nul_bytes_are_validation_failed_at_every_door() {
    let server = Server::start().await;
    let id = server.create_user("nul@example.com").await;

    // The JSON sign-in, recovery and registration: no credential needed to send these.
    let email = "a\u{0}b@example.com";
    let sign_in = server.sign_in("default", json!({ "email": email, "password": "x" })).await;
    assert!(sign_in.assert_error(400, "validation_failed")["fields"]["email"].is_array(), "{}", sign_in.text);
    let recovery = Reply::from(
        server.http.post(server.url("/t/default/api/recovery")).json(&json!({ "email": email })).send().await.unwrap(),
    )
    .await;
    recovery.assert_error(400, "validation_failed");
    let nested =
        server.post("/v1/tenants/default/users", json!({ "email": "n@example.com", "name": ["ok", "bad\u{0}"] })).await;
    assert!(nested.assert_error(400, "validation_failed")["fields"]["name[1]"].is_array(), "{}", nested.text);

    // The hosted login form, as a browser would post it.
    let form = server
        .http
        .post(server.url("/t/default/login?flow=flw_x"))
        .form(&[("email", email), ("password", "x"), ("csrf_token", "t")])
        .send()
        .await
        .unwrap();
    Reply::from(form).await.assert_error(400, "validation_failed");

    // Path ids and query filters.
    for path in [
        format!("/v1/tenants/default/users/{id}%00"),
        "/v1/tenants/default%00/users".to_owned(),
        "/v1/tenants/default/users?email_prefix=nul%00".to_owned(),
        "/t/default%00/login".to_owned(),
    ] {
        let reply = server.get(&path).await;
        reply.assert_error(400, "validation_failed");
        assert!(reply.header("x-request-id").is_some(), "{path}");
    }
    // Client credentials that decode to a NUL.
    let basic = reqwest::Client::new()
        .post(server.url("/t/default/oauth/token"))
        .basic_auth("app\u{0}x", Some("secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    Reply::from(basic).await.assert_error(401, "invalid_client");
    assert!(!server.logs().contains("request failed"), "no 500 behind any of these:\n{}", server.logs());
}

#[tokio::test]
async fn oversized_headers_unsupported_methods_and_hardening_headers() {
    let server = Server::start().await;

    let huge = "a".repeat(1024 * 1024);
    let reply =
        Reply::from(server.http.get(server.url("/v1/errors")).header("x-big", &huge).send().await.unwrap()).await;
    let fields = reply.assert_error(431, "validation_failed");
    assert!(fields["fields"]["headers"].is_array(), "{}", reply.text);
    assert!(reply.header("x-request-id").is_some());

    let mut many = server.http.get(server.url("/v1/errors"));
    for n in 0..300 {
        many = many.header(format!("x-h-{n}"), "1");
    }
    Reply::from(many.send().await.unwrap()).await.assert_error(431, "validation_failed");

    let trace = Reply::from(server.http.request(Method::TRACE, server.url("/v1/errors")).send().await.unwrap()).await;
    trace.assert_error(405, "validation_failed");
    assert!(trace.header("allow").is_some_and(|allow| allow.contains("GET")), "{:?}", trace.headers);
    let wrong = Reply::from(server.http.delete(server.url("/v1/errors")).send().await.unwrap()).await;
    wrong.assert_error(405, "validation_failed");
    assert_eq!(wrong.header("allow"), Some("GET,HEAD"), "the route's own methods");

    // Every response, success or error, JSON or HTML, says nosniff.
    for path in ["/healthz", "/v1/errors", "/nope", "/t/default/login", "/t/unknown-tenant/login", "/docs"] {
        let response = no_redirects().get(server.url(path)).header("accept", "text/html").send().await.unwrap();
        assert_eq!(
            response.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path}"
        );
    }
    // An error page (an unknown tenant's login page) has the sign-in pages' protection.
    let page =
        server.http.get(server.url("/t/unknown-tenant/login")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn a_flow_started_in_the_json_api_cannot_be_finished_by_a_browser_form() {
    let server = Server::start().await;
    server.user_with_password("default", "csrf@example.com", PASSWORD, true).await;
    let flow = server.flow("default", "login").await;
    let hosted = no_redirects()
        .post(server.url(&format!("/t/default/login?flow={flow}")))
        .header("origin", "https://evil.example")
        .header("accept", "text/html")
        .form(&[("email", "csrf@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> =
        hosted.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_ne!(hosted.status(), StatusCode::SEE_OTHER, "no sign-in redirect");
    assert!(!cookies.iter().any(|c| c.starts_with("ia_session=")), "no session: {cookies:?}");
    assert!(hosted.text().await.unwrap().contains("data-code=\"state_mismatch\""));
    // The flow is still the API's to finish.
    let finished =
        server.submit("default", "login", &flow, json!({ "email": "csrf@example.com", "password": PASSWORD })).await;
    assert_eq!(finished.status, StatusCode::OK, "{}", finished.text);

    // And the other way: a browser flow cannot be finished through the JSON API.
    let started = no_redirects().get(server.url("/t/default/login")).send().await.unwrap();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let browser_flow = location.split("flow=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let api = server
        .submit("default", "login", &browser_flow, json!({ "email": "csrf@example.com", "password": PASSWORD }))
        .await;
    api.assert_error(400, "state_mismatch");
}

#[tokio::test]
async fn patching_one_settings_section_keeps_the_others() {
    let server = Server::start().await;
    server
        .tenant("merge", json!({ "sign_in": { "lockout_threshold": 3 }, "oauth": { "refresh_reuse_grace_s": 4 } }))
        .await;
    let patched = server
        .call(Method::PATCH, "/v1/tenants/merge", Some(json!({ "settings": { "theme": { "name": "Merged" } } })))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let settings = &patched.body["settings"];
    assert_eq!(settings["sign_in"]["lockout_threshold"], 3, "{settings}");
    assert_eq!(settings["oauth"]["refresh_reuse_grace_s"], 4);
    assert_eq!(settings["theme"]["name"], "Merged");
    // A member inside a section changes alone; null puts it back to its default.
    let inner =
        json!({ "settings": { "sign_in": { "lockout_duration_s": 60 }, "oauth": { "refresh_reuse_grace_s": null } } });
    let patched = server.call(Method::PATCH, "/v1/tenants/merge", Some(inner)).await;
    let settings = &patched.body["settings"];
    assert_eq!(
        (settings["sign_in"]["lockout_threshold"].as_u64(), settings["sign_in"]["lockout_duration_s"].as_u64()),
        (Some(3), Some(60))
    );
    assert_eq!(settings["oauth"]["refresh_reuse_grace_s"], 10, "back to the default");
    // The merged document is validated as a whole.
    let bad = server
        .call(
            Method::PATCH,
            "/v1/tenants/merge",
            Some(json!({ "settings": { "sign_in": { "lockout_threshold": 0 } } })),
        )
        .await;
    bad.assert_error(400, "validation_failed");
    assert_eq!(
        server.get("/v1/tenants/merge").await.body["settings"]["sign_in"]["lockout_threshold"],
        3,
        "nothing changed"
    );

    // Applications' token settings merge the same way.
    let app = server
        .post(
            "/v1/tenants/merge/applications",
            json!({ "name": "m", "client_type": "public", "redirect_uris": ["https://m.example/cb"],
                    "token_settings": { "access_token_lifetime_s": 600, "refresh_idle_s": 3600 } }),
        )
        .await;
    let path = format!("/v1/tenants/merge/applications/{}", app.body["client_id"].as_str().unwrap());
    let patched =
        server.call(Method::PATCH, &path, Some(json!({ "token_settings": { "refresh_idle_s": 7200 } }))).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["token_settings"]["access_token_lifetime_s"], 600, "{}", patched.text);
    assert_eq!(patched.body["token_settings"]["refresh_idle_s"], 7200);
}

/// A patch that is valid on its own but cannot apply to the stored application (schemathesis
/// found one) is a conflict with its state (RFC 5789 §2.2), naming the clashing field.
#[tokio::test]
async fn a_patch_that_clashes_with_the_stored_application_is_a_conflict() {
    let server = Server::start().await;
    let service_body =
        json!({ "name": "svc", "client_type": "confidential", "allowed_grants": ["client_credentials"] });
    let service = server.post("/v1/tenants/default/applications", service_body).await;
    assert_eq!(service.status, StatusCode::CREATED, "{}", service.text);
    let path = format!("/v1/tenants/default/applications/{}", service.body["client_id"].as_str().unwrap());
    let grants = json!({ "allowed_grants": ["client_credentials", "authorization_code"] });
    let clash = server.call(Method::PATCH, &path, Some(grants)).await;
    let details = clash.assert_error(409, "conflict");
    assert_eq!(details["fields"]["redirect_uris"][0], "at least one redirect URI is needed for authorization_code");
    let with_uris = json!({ "allowed_grants": ["client_credentials", "authorization_code"],
                            "redirect_uris": ["https://svc.example/cb"] });
    let applied = server.call(Method::PATCH, &path, Some(with_uris)).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);

    // Keys on a public client clash the same way (creation refuses them outright).
    let spa_body = json!({ "name": "spa", "client_type": "public", "redirect_uris": ["https://spa.example/cb"] });
    let spa = server.post("/v1/tenants/default/applications", spa_body).await;
    let spa_path = format!("/v1/tenants/default/applications/{}", spa.body["client_id"].as_str().unwrap());
    let key = json!({ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "k1",
                      "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
    let keyed = server.call(Method::PATCH, &spa_path, Some(json!({ "jwks": { "keys": [key] } }))).await;
    assert_eq!(
        keyed.assert_error(409, "conflict")["fields"]["jwks"][0],
        "only confidential clients authenticate with keys"
    );
}

/// JSON Schema's `integer` includes `594.0`; a client (schemathesis found it) that writes a
/// whole number with a fraction part has sent a valid integer. `594.5` is not one.
#[tokio::test]
async fn integers_written_with_a_zero_fraction_are_integers() {
    let server = Server::start().await;
    server.tenant("floats", json!({})).await;
    let patch = |value: Value| json!({ "settings": { "sign_in": { "lockout_duration_s": value } } });
    let whole = server.call(Method::PATCH, "/v1/tenants/floats", Some(patch(json!(594.0)))).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    assert_eq!(whole.body["settings"]["sign_in"]["lockout_duration_s"], 594);
    let fraction = server.call(Method::PATCH, "/v1/tenants/floats", Some(patch(json!(594.5)))).await;
    fraction.assert_error(400, "validation_failed");
    let app = server
        .post(
            "/v1/tenants/floats/applications",
            json!({ "name": "f", "client_type": "public", "redirect_uris": ["https://f.example/cb"],
                    "token_settings": { "access_token_lifetime_s": 6e2 } }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    assert_eq!(app.body["token_settings"]["access_token_lifetime_s"], 600);
}

#[tokio::test]
async fn oauth_error_forms_follow_the_rfcs() {
    let server = Server::start().await;
    // RFC 8414 §3.1: the well-known segment before the issuer's path.
    let metadata = server.get("/.well-known/oauth-authorization-server/t/default").await;
    assert_eq!(metadata.status, StatusCode::OK, "{}", metadata.text);
    assert!(metadata.body["issuer"].as_str().unwrap().ends_with("/t/default"));

    // RFC 7235: a 401 names its scheme, here the authorization endpoint's JSON invalid_client.
    let unknown = Reply::from(
        server
            .http
            .get(server.url("/t/default/oauth/authorize?client_id=nope&response_type=code"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    unknown.assert_error(401, "invalid_client");
    assert!(unknown.header("www-authenticate").is_some(), "{:?}", unknown.headers);

    // The token endpoint's invalid_grant is 400 (RFC 6749 §5.2), with the catalogue code.
    let app = server
        .post(
            "/v1/tenants/default/applications",
            json!({ "name": "rfc", "client_type": "public", "redirect_uris": ["https://rfc.example/cb"],
                    "allowed_grants": ["authorization_code", "refresh_token"] }),
        )
        .await;
    let client_id = app.body["client_id"].as_str().unwrap().to_owned();
    let form = [("grant_type", "refresh_token"), ("refresh_token", "iar_unknown"), ("client_id", client_id.as_str())];
    let refused =
        Reply::from(server.http.post(server.url("/t/default/oauth/token")).form(&form).send().await.unwrap()).await;
    refused.assert_error(400, "invalid_grant");
    assert_eq!(refused.body["error"], "invalid_grant");

    // pkce_required with plain: the seed's copy, the reason for the developer.
    let authorize = format!(
        "/t/default/oauth/authorize?client_id={client_id}&response_type=code&redirect_uri=https://rfc.example/cb\
         &scope=openid&state=s&code_challenge=abc&code_challenge_method=plain"
    );
    let redirected = no_redirects().get(server.url(&authorize)).send().await.unwrap();
    let location = redirected.headers()["location"].to_str().unwrap().to_owned();
    let param = |name: &str| common::tokens::query_param(&location, name);
    assert_eq!(param("error").as_deref(), Some("invalid_request"), "{location}");
    assert_eq!(param("catalogue_error").as_deref(), Some("pkce_required"));
    assert!(param("error_description").unwrap().contains("S256"), "{location}");
    assert_eq!(param("code"), None, "the catalogue code is never sent as `code`");
    assert!(!location.contains("code="), "nor under a name ending in `code` (authlib looks for `code=`): {location}");
    assert_ne!(param("error_description").as_deref(), Some("Use PKCE with code_challenge_method=S256."));

    // invalid_scope names what was refused.
    let authorize =
        authorize.replace("&code_challenge_method=plain", "").replace("scope=openid", "scope=openid%20admin%3Aall");
    let authorize =
        format!("{authorize}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
            .replace("&code_challenge=abc", "");
    let redirected = no_redirects().get(server.url(&authorize)).send().await.unwrap();
    let location = redirected.headers()["location"].to_str().unwrap().to_owned();
    let param = |name: &str| common::tokens::query_param(&location, name);
    assert_eq!(param("catalogue_error").as_deref(), Some("invalid_scope"), "{location}");
    assert_eq!(param("refused_scopes").as_deref(), Some("admin:all"), "{location}");
}

#[tokio::test]
async fn boolean_flags_work_bare() {
    let server =
        Server::start_with(Options::default().flag("--webhooks-allow-loopback").flag("--webhook-delivery")).await;
    assert_eq!(server.get("/healthz").await.status, StatusCode::OK);
    // webhook.test, which the event-type list names, can be subscribed to.
    let listed = server.get("/v1/webhook-event-types").await;
    assert!(listed.text.contains("webhook.test"));
    let subscription_body = json!({ "url": "http://127.0.0.1:9/hook", "event_types": ["webhook.test"] });
    let subscription = server.post("/v1/tenants/default/webhooks/subscriptions", subscription_body).await;
    assert_eq!(subscription.status, StatusCode::CREATED, "{}", subscription.text);
}
