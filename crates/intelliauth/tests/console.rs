//! The admin console's server side over raw HTTP: signing in as the built-in
//! `intelliauth-console` client (state, PKCE, nonce, exact redirect URI, admins only), and
//! the gateway to the management API (session cookie, CSRF token, Origin), plus the
//! application secret rotation the console offers.

mod common;

use common::tokens::query_param;
use common::{no_redirects, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A `name=value` pair of the response's `Set-Cookie` named `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or_default().to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The console's sign-in up to the callback: the public origin, the flow cookie and the
/// callback URL the authorization endpoint sent the signed-in browser to.
struct Started {
    origin: String,
    flow_cookie: String,
    callback: String,
}

async fn start_sign_in(server: &Server, tenant: &str, email: &str) -> Started {
    let http = no_redirects();
    // The console starts on the public URL, whatever host the browser used.
    let first = http.get(server.url(&format!("/console/login?tenant={tenant}"))).send().await.unwrap();
    let at_public = match first.status() {
        StatusCode::SEE_OTHER if location(&first).contains("/console/login") => location(&first),
        _ => server.url(&format!("/console/login?tenant={tenant}")),
    };
    let origin = at_public.split("/console/").next().unwrap().to_owned();
    let started = http.get(&at_public).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let authorize = location(&started);
    for (name, value) in [("client_id", "intelliauth-console"), ("code_challenge_method", "S256")] {
        assert_eq!(query_param(&authorize, name).as_deref(), Some(value), "{authorize}");
    }
    assert!(query_param(&authorize, "nonce").is_some() && query_param(&authorize, "state").is_some());
    let flow_cookie = set_cookie(&started, "ia_console_flow").expect("a flow cookie");
    let cookie = server.browser_session(tenant, email, PASSWORD).await;
    let authorized = http.get(server.url(&authorize)).header("cookie", cookie).send().await.unwrap();
    let callback = location(&authorized);
    assert!(callback.contains("/console/callback?code="), "{} {callback}", authorized.status());
    Started { origin, flow_cookie, callback }
}

/// Signs in to the console; returns the public origin, the session cookie and the page.
async fn sign_in(server: &Server, tenant: &str, email: &str) -> (String, String, String) {
    let started = start_sign_in(server, tenant, email).await;
    let finished = no_redirects().get(&started.callback).header("cookie", &started.flow_cookie).send().await.unwrap();
    assert_eq!(finished.status(), StatusCode::SEE_OTHER, "{}", finished.text().await.unwrap());
    assert_eq!(location(&finished), "/console#/");
    let session = set_cookie(&finished, "ia_console").expect("a session cookie");
    let page = no_redirects()
        .get(format!("{}/console", started.origin))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (started.origin, session, page)
}

fn csrf_of(page: &str) -> String {
    page.split("name=\"ia-csrf\" content=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

fn code_of(page: &str) -> &str {
    page.split("data-code=\"").nth(1).map_or("", |rest| rest.split('"').next().unwrap())
}

#[tokio::test]
async fn admins_sign_in_as_the_built_in_client_and_nobody_else_gets_a_session() {
    let server = Server::start().await;
    for (email, role) in [("owner@example.com", json!("owner")), ("user@example.com", Value::Null)] {
        let body = json!({ "email": email, "password": PASSWORD, "email_verified": true, "role": role });
        assert_eq!(server.post("/v1/tenants/default/users", body).await.status, StatusCode::CREATED);
    }

    let (_, session, page) = sign_in(&server, "default", "owner@example.com").await;
    assert!(page.contains("name=\"ia-role\" content=\"owner\""), "{page}");
    assert!(!session.contains("eyJ"), "the access token is sealed, not readable in the cookie");

    // The same callback twice: the code is spent, no second session.
    let started = start_sign_in(&server, "default", "owner@example.com").await;
    let http = no_redirects();
    let first = http.get(&started.callback).header("cookie", &started.flow_cookie).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let replayed = http.get(&started.callback).header("cookie", &started.flow_cookie).send().await.unwrap();
    assert!(set_cookie(&replayed, "ia_console").is_none());
    assert_eq!(code_of(&replayed.text().await.unwrap()), "invalid_grant");

    // A callback without the browser's flow cookie, or with another state: state_mismatch.
    let started = start_sign_in(&server, "default", "owner@example.com").await;
    let bare = http.get(&started.callback).send().await.unwrap();
    assert!(set_cookie(&bare, "ia_console").is_none());
    assert_eq!(code_of(&bare.text().await.unwrap()), "state_mismatch");
    let code = query_param(&started.callback, "code").unwrap();
    let forged = format!("{}/console/callback?code={code}&state=forged", started.origin);
    let refused = http.get(&forged).header("cookie", &started.flow_cookie).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code_of(&refused.text().await.unwrap()), "state_mismatch");

    // A user who administers nothing signs in to the tenant but gets no console session.
    let started = start_sign_in(&server, "default", "user@example.com").await;
    let outsider = http.get(&started.callback).header("cookie", &started.flow_cookie).send().await.unwrap();
    assert_eq!(outsider.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&outsider, "ia_console").is_none());
    let page = outsider.text().await.unwrap();
    assert_eq!(code_of(&page), "permission_denied");
    assert!(page.contains("class=\"request-id\">") && !page.contains("class=\"request-id\"></code>"), "{page}");

    // The built-in client returns only to the console, and has no machine grant.
    let elsewhere = "/t/default/oauth/authorize?response_type=code&client_id=intelliauth-console\
        &redirect_uri=https%3A%2F%2Fevil.example%2Fconsole%2Fcallback&code_challenge=x&code_challenge_method=S256";
    let misdirected = http.get(server.url(elsewhere)).header("accept", "text/html").send().await.unwrap();
    assert!(location(&misdirected).is_empty(), "no redirect to an unregistered URI");
    assert!(misdirected.text().await.unwrap().contains("invalid_redirect_uri"));
    let machine = server
        .http
        .post(server.url("/t/default/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "intelliauth-console")])
        .send()
        .await;
    let machine = Reply::from(machine.unwrap()).await;
    assert!(machine.status.is_client_error(), "{}", machine.text);
    assert_eq!(machine.body["error"], "unauthorized_client", "{}", machine.text);
}

#[tokio::test]
async fn the_console_api_needs_the_session_and_for_a_change_its_csrf_token_and_origin() {
    let server = Server::start().await;
    let body = json!({ "email": "admin@example.com", "password": PASSWORD, "email_verified": true, "role": "admin" });
    assert_eq!(server.post("/v1/tenants/default/users", body).await.status, StatusCode::CREATED);
    let target = server.create_user("target@example.com").await;
    let (origin, session, page) = sign_in(&server, "default", "admin@example.com").await;
    let csrf = csrf_of(&page);
    let http = no_redirects();
    let user_path = format!("{origin}/console/api/v1/tenants/default/users/{target}");
    let call = |method: Method, url: &str, headers: &[(&str, &str)], body: Option<Value>| {
        let mut request = http.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { Reply::from(request.send().await.unwrap()).await }
    };

    let listed =
        call(Method::GET, &format!("{origin}/console/api/v1/tenants/default/users"), &[("cookie", &session)], None)
            .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);

    let rename = Some(json!({ "name": "Renamed" }));
    let no_token = call(Method::PATCH, &user_path, &[("cookie", &session)], rename.clone()).await;
    assert_eq!(
        no_token.assert_error(400, "state_mismatch")["reason"],
        "the X-CSRF-Token header or the Origin is not this console's"
    );
    let wrong_token =
        call(Method::PATCH, &user_path, &[("cookie", &session), ("x-csrf-token", "guess")], rename.clone()).await;
    wrong_token.assert_error(400, "state_mismatch");
    let cross_site =
        &[("cookie", session.as_str()), ("x-csrf-token", csrf.as_str()), ("origin", "https://evil.example")];
    call(Method::PATCH, &user_path, cross_site, rename.clone()).await.assert_error(400, "state_mismatch");
    assert_eq!(server.get(&format!("/v1/tenants/default/users/{target}")).await.body["name"], Value::Null);

    let same_site = &[("cookie", session.as_str()), ("x-csrf-token", csrf.as_str()), ("origin", origin.as_str())];
    let renamed = call(Method::PATCH, &user_path, same_site, rename).await;
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (StatusCode::OK, Some("Renamed")), "{}", renamed.text);
    // The change is the admin's in the tenant log, not the console's.
    let logged = server.get(&format!("/v1/tenants/default/logs?type=user.updated&user_id={target}")).await;
    assert!(logged.body["data"][0]["actor"].as_str().unwrap().starts_with("user:"), "{}", logged.text);

    // A tampered cookie is no session; a bearer token sent along is not used either.
    let mut tampered = session.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let bearer = format!("Bearer {}", server.token);
    for headers in [vec![("cookie", tampered.as_str())], vec![("authorization", bearer.as_str())]] {
        let refused =
            call(Method::GET, &format!("{origin}/console/api/v1/tenants/default/users"), &headers, None).await;
        refused.assert_error(401, "session_expired");
    }
    // Only the management API is behind the gateway; an admin reaches only their tenant.
    let other =
        call(Method::GET, &format!("{origin}/console/api/t/default/api/session"), &[("cookie", &session)], None);
    other.await.assert_error(404, "not_found");
    assert_eq!(server.tenant("elsewhere", json!({})).await.status, StatusCode::CREATED);
    let foreign =
        call(Method::GET, &format!("{origin}/console/api/v1/tenants/elsewhere/users"), &[("cookie", &session)], None);
    foreign.await.assert_error(403, "permission_denied");

    // The branding preview is the sign-in page, framable by the console only.
    let preview_of =
        |query: &str| http.get(format!("{origin}/console/preview?{query}")).header("cookie", &session).send();
    let preview = preview_of("primary_colour=%230b6b3a&name=Acme").await.unwrap();
    assert!(preview.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'self'"));
    let html = preview.text().await.unwrap();
    assert!(html.contains("--primary:#0b6b3a") && html.contains("Acme"), "{html}");
    let injected = preview_of("primary_colour=red%7Dbody%7Bdisplay:none").await.unwrap();
    assert!(!injected.text().await.unwrap().contains("display:none"), "only hex colours reach the stylesheet");

    // Signing out ends the console session and the tenant's, without a confirmation page.
    let signed_out = http
        .post(format!("{origin}/console/logout"))
        .header("cookie", &session)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let next = location(&signed_out);
    assert!(next.contains("/t/default/oauth/logout?") && next.contains("id_token_hint="), "{next}");
    assert!(signed_out.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("ia_console=;")));
}

#[tokio::test]
async fn a_confidential_clients_secret_rotates_once_and_the_old_one_stops_working() {
    let server = Server::start().await;
    let body = json!({ "name": "backend", "client_type": "confidential", "allowed_grants": ["client_credentials"] });
    let created = server.post("/v1/tenants/default/applications", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let old = created.body["client_secret"].as_str().unwrap().to_owned();
    let token = |secret: String| {
        let request = server
            .http
            .post(server.url("/t/default/oauth/token"))
            .basic_auth(&id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(token(old.clone()).await, StatusCode::OK);

    let rotated = server.post(&format!("/v1/tenants/default/applications/{id}/rotate-secret"), json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let new = rotated.body["client_secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("ias_") && new != old);
    assert_eq!(token(old).await, StatusCode::UNAUTHORIZED, "the old secret stops at once");
    assert_eq!(token(new).await, StatusCode::OK);
    let read = server.get(&format!("/v1/tenants/default/applications/{id}")).await;
    assert_eq!(read.body["client_secret"], Value::Null, "shown once");

    let spa = json!({ "name": "spa", "client_type": "public", "redirect_uris": ["http://localhost:4000/cb"] });
    let public =
        server.post("/v1/tenants/default/applications", spa).await.body["client_id"].as_str().unwrap().to_owned();
    let refused = server.post(&format!("/v1/tenants/default/applications/{public}/rotate-secret"), json!({})).await;
    refused.assert_error(409, "conflict");
    server
        .post("/v1/tenants/default/applications/app_missing/rotate-secret", json!({}))
        .await
        .assert_error(404, "not_found");
}

/// The owners of the instance's own tenant administer every tenant from one session (and
/// still step up for sensitive changes); an owner of any other tenant stays in it.
#[tokio::test]
async fn owners_of_the_default_tenant_administer_every_tenant_and_no_one_else_does() {
    let server = Server::start().await;
    assert_eq!(server.tenant("acme", json!({})).await.status, StatusCode::CREATED);
    for (tenant, email) in [("default", "root@example.com"), ("acme", "owner@acme.example")] {
        let body = json!({ "email": email, "password": PASSWORD, "email_verified": true, "role": "owner" });
        assert_eq!(server.post(&format!("/v1/tenants/{tenant}/users"), body).await.status, StatusCode::CREATED);
    }
    let get = |origin: String, session: String, path: &str| {
        let request = no_redirects().get(format!("{origin}/console/api{path}")).header("cookie", session);
        async move { Reply::from(request.send().await.unwrap()).await }
    };

    let (origin, root, page) = sign_in(&server, "default", "root@example.com").await;
    assert!(page.contains("name=\"ia-instance-admin\" content=\"true\""));
    assert_eq!(get(origin.clone(), root.clone(), "/v1/tenants").await.body["data"].as_array().unwrap().len(), 2);
    let acme_users = get(origin.clone(), root.clone(), "/v1/tenants/acme/users").await;
    assert_eq!(acme_users.status, StatusCode::OK, "{}", acme_users.text);
    let deleted = no_redirects()
        .delete(format!("{origin}/console/api/v1/tenants/acme"))
        .header("cookie", &root)
        .header("x-csrf-token", csrf_of(&page))
        .send()
        .await
        .unwrap();
    Reply::from(deleted).await.assert_error(401, "step_up_required");

    let (origin, acme_owner, page) = sign_in(&server, "acme", "owner@acme.example").await;
    assert!(page.contains("name=\"ia-instance-admin\" content=\"false\""));
    get(origin.clone(), acme_owner.clone(), "/v1/tenants/default/users").await.assert_error(403, "permission_denied");
    let listed = get(origin, acme_owner, "/v1/tenants").await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1, "only its own tenant: {}", listed.text);
}
