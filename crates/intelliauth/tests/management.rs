//! The management API over real HTTP: CRUD, ETags, pagination, validation, conflicts,
//! permissions and not-found, on whichever backend the suite runs.

mod common;

use common::Server;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn user_lifecycle_with_etags() {
    let server = Server::start().await;
    let created_body = json!({ "email": "Ada@Example.com", "password": "correct horse battery", "name": "Ada" });
    let created = server.post("/v1/tenants/default/users", created_body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["email"], "ada@example.com", "emails are normalised");
    assert_eq!(created.body["has_password"], true);
    assert!(
        created.body.get("password_hash").is_none() && !created.text.contains("argon2"),
        "no hash leaves the server"
    );
    let id = created.body["id"].as_str().unwrap();
    let etag = created.header("etag").expect("ETag on create").to_owned();

    let read = server.get(&format!("/v1/tenants/default/users/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), Some(etag.as_str()));

    let path = format!("/v1/tenants/default/users/{id}");
    let updated = patch_if_match(&server, &path, &etag, json!({ "name": "Ada Lovelace", "disabled": true })).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["name"], "Ada Lovelace");
    assert_eq!(updated.body["disabled"], true);
    let new_etag = updated.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);

    // An update without If-Match is allowed.
    let unconditional =
        server.call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(json!({ "name": null }))).await;
    assert_eq!(unconditional.status, StatusCode::OK, "{}", unconditional.text);
    assert_eq!(unconditional.body["name"], serde_json::Value::Null);

    let deleted = server.call(Method::DELETE, &format!("/v1/tenants/default/users/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = server.get(&format!("/v1/tenants/default/users/{id}")).await;
    gone.assert_error(404, "not_found");
    assert_eq!(gone.body["details"]["resource"], "user");
}

/// `PATCH path` with `If-Match: etag`.
async fn patch_if_match(server: &Server, path: &str, etag: &str, body: Value) -> common::Reply {
    let request = server.request(Method::PATCH, path).header("If-Match", etag).json(&body);
    common::Reply::from(request.send().await.unwrap()).await
}

#[tokio::test]
async fn stale_if_match_is_precondition_failed() {
    let server = Server::start().await;
    let id = server.create_user("grace@example.com").await;
    let path = format!("/v1/tenants/default/users/{id}");
    let etag = server.get(&path).await.header("etag").unwrap().to_owned();
    assert_eq!(patch_if_match(&server, &path, &etag, json!({ "name": "G" })).await.status, StatusCode::OK);

    let stale = patch_if_match(&server, &path, &etag, json!({ "name": "H" })).await;
    let details = stale.assert_error(412, "precondition_failed");
    stale.assert_catalogue_message();
    let current = server.get(&path).await;
    assert_eq!(details["current_etag"].as_str(), current.header("etag"), "tells the client what is current");
    assert_eq!(current.body["name"], "G", "the stale write changed nothing");

    let stale_delete = server.request(Method::DELETE, &path).header("If-Match", &etag).send().await.unwrap();
    common::Reply::from(stale_delete).await.assert_error(412, "precondition_failed");
}

#[tokio::test]
async fn racing_conditional_updates_let_exactly_one_win() {
    let server = Server::start().await;
    let id = server.create_user("race@example.com").await;
    let path = format!("/v1/tenants/default/users/{id}");
    let etag = server.get(&path).await.header("etag").unwrap().to_owned();
    let attempts = (0..8).map(|n| {
        server
            .request(Method::PATCH, &path)
            .header("If-Match", &etag)
            .json(&json!({ "name": format!("writer {n}") }))
            .send()
    });
    let statuses: Vec<u16> = futures_statuses(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 7, "{statuses:?}");
}

async fn futures_statuses(
    requests: impl Iterator<Item = impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static>,
) -> Vec<u16> {
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn list_filters_by_email_prefix_and_paginates_with_cursors() {
    let server = Server::start().await;
    for email in ["ann@a.example", "anna@a.example", "annie@b.example", "bob@a.example", "an_x@c.example"] {
        server.create_user(email).await;
    }
    let filtered = server.get("/v1/tenants/default/users?email_prefix=ann").await;
    let emails: Vec<_> =
        filtered.body["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["ann@a.example", "anna@a.example", "annie@b.example"]);
    // `_` in a prefix is literal, not a LIKE wildcard.
    let literal = server.get("/v1/tenants/default/users?email_prefix=an_").await;
    assert_eq!(literal.body["data"].as_array().unwrap().len(), 1, "{}", literal.text);

    let mut seen = Vec::new();
    let mut path = "/v1/tenants/default/users?limit=2".to_owned();
    loop {
        let page = server.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|u| u["email"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/tenants/default/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every user exactly once: {seen:?}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    let bad = server.get("/v1/tenants/default/users?limit=0&cursor=%%%").await;
    let details = bad.assert_error(400, "validation_failed");
    assert!(details["fields"]["limit"].is_array() && details["fields"]["cursor"].is_array(), "{}", bad.text);
}

#[tokio::test]
async fn validation_failed_reports_every_bad_field_at_once() {
    let server = Server::start().await;
    let reply_body =
        json!({ "email": "not-an-email", "password": "short", "name": 42, "email_verified": "yes", "superuser": true });
    let reply = server.post("/v1/tenants/default/users", reply_body).await;
    let fields = &reply.assert_error(400, "validation_failed")["fields"];
    for field in ["email", "password", "name", "email_verified", "superuser"] {
        assert!(fields[field].as_array().is_some_and(|m| !m.is_empty()), "{field} missing in {}", reply.text);
    }
    assert!(fields["name"][0].as_str().unwrap().contains("must be a string"), "{}", reply.text);

    let common =
        server.post("/v1/tenants/default/users", json!({ "email": "x@example.com", "password": "password123" })).await;
    let fields = &common.assert_error(400, "validation_failed")["fields"];
    assert!(fields["password"][0].as_str().unwrap().contains("common"), "breached-password list: {}", common.text);

    let application = server
        .post(
            "/v1/tenants/default/applications",
            json!({ "name": "", "client_type": "robot", "redirect_uris": ["not a uri", "http://evil.example/cb", 7],
                    "allowed_grants": ["authorization_code", "password"] }),
        )
        .await;
    let fields = &application.assert_error(400, "validation_failed")["fields"];
    for field in
        ["name", "client_type", "redirect_uris[0]", "redirect_uris[1]", "redirect_uris[2]", "allowed_grants[1]"]
    {
        assert!(fields[field].is_array(), "{field} missing in {}", application.text);
    }
}

#[tokio::test]
async fn malformed_bodies_are_validation_failed() {
    let server = Server::start().await;
    let url = server.url("/v1/tenants/default/users");
    let cases: [(&str, &str); 3] =
        [("{\"email\": ", "application/json"), ("[1, 2]", "application/json"), ("email=x", "text/plain")];
    for (body, content_type) in cases {
        let response = server
            .http
            .post(&url)
            .bearer_auth(&server.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await;
        let reply = common::Reply::from(response.unwrap()).await;
        let details = reply.assert_error(400, "validation_failed");
        assert!(details["fields"]["body"].is_array(), "{body}: {}", reply.text);
    }
}

#[tokio::test]
async fn duplicates_are_conflicts_naming_what_conflicts() {
    let server = Server::start().await;
    server.create_user("dup@example.com").await;
    let reply = server.post("/v1/tenants/default/users", json!({ "email": "DUP@example.com" })).await;
    let details = reply.assert_error(409, "conflict");
    assert_eq!(details["field"], "email");
    assert_eq!(details["value"], "dup@example.com");

    let app = json!({ "name": "Shop", "client_type": "public", "redirect_uris": ["https://shop.example/cb"] });
    assert_eq!(server.post("/v1/tenants/default/applications", app.clone()).await.status, StatusCode::CREATED);
    let again = server.post("/v1/tenants/default/applications", app).await;
    let details = again.assert_error(409, "conflict");
    assert_eq!((details["resource"].as_str(), details["field"].as_str()), (Some("application"), Some("name")));

    // The same email in another tenant is fine: tenants own their users.
    let tenant = server.post("/v1/tenants", json!({ "id": "acme", "display_name": "Acme" })).await;
    assert_eq!(tenant.status, StatusCode::CREATED, "{}", tenant.text);
    let other = server.post("/v1/tenants/acme/users", json!({ "email": "dup@example.com" })).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    server
        .post("/v1/tenants", json!({ "id": "acme", "display_name": "Acme again" }))
        .await
        .assert_error(409, "conflict");
}

#[tokio::test]
async fn confidential_client_secret_is_shown_once() {
    let server = Server::start().await;
    let created = server
        .post(
            "/v1/tenants/default/applications",
            json!({ "name": "Backend", "client_type": "confidential", "redirect_uris": ["https://app.example/cb"],
                    "allowed_grants": ["authorization_code", "client_credentials"], "allowed_scopes": ["openid", "orders:read"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["client_secret"].as_str().expect("secret on create").to_owned();
    assert!(secret.len() >= 40);
    let id = created.body["client_id"].as_str().unwrap();
    let read = server.get(&format!("/v1/tenants/default/applications/{id}")).await;
    assert!(read.body.get("client_secret").is_none() && !read.text.contains(&secret), "{}", read.text);
    assert_eq!(read.body["allowed_grants"], json!(["authorization_code", "client_credentials"]));

    let public_body = json!({ "name": "SPA", "client_type": "public", "redirect_uris": ["http://localhost:3000/cb"], "allowed_grants": ["client_credentials"] });
    let public = server.post("/v1/tenants/default/applications", public_body).await;
    let fields = &public.assert_error(400, "validation_failed")["fields"];
    assert!(fields["allowed_grants"].is_array(), "a public client cannot use client_credentials: {}", public.text);
}

#[tokio::test]
async fn scopes_and_tenants_are_enforced_as_permission_denied() {
    let server = Server::start().await;
    let reader = server.credential(&["users:read"], None).await;
    let reply = common::Reply::from(
        server
            .http
            .post(server.url("/v1/tenants/default/users"))
            .bearer_auth(&reader)
            .json(&json!({ "email": "x@example.com" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let details = reply.assert_error(403, "permission_denied");
    reply.assert_catalogue_message();
    assert_eq!(details["required_scope"], "users:write");
    let allowed = server.http.get(server.url("/v1/tenants/default/users")).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);

    // A credential cannot mint one stronger than itself.
    let minter = server.credential(&["credentials:write", "users:read"], None).await;
    let escalate = server
        .http
        .post(server.url("/v1/credentials"))
        .bearer_auth(&minter)
        .json(&json!({ "name": "x", "scopes": ["users:write"] }));
    common::Reply::from(escalate.send().await.unwrap()).await.assert_error(403, "permission_denied");

    // A tenant-bound credential stays in its tenant.
    assert_eq!(
        server.post("/v1/tenants", json!({ "id": "other", "display_name": "Other" })).await.status,
        StatusCode::CREATED
    );
    let bound = server.credential(&["users:read"], Some("default")).await;
    let outside = server.http.get(server.url("/v1/tenants/other/users")).bearer_auth(&bound).send().await.unwrap();
    common::Reply::from(outside).await.assert_error(403, "permission_denied");

    let missing =
        common::Reply::from(server.http.get(server.url("/v1/tenants/default/users")).send().await.unwrap()).await;
    missing.assert_error(401, "permission_denied");
    assert!(missing.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")), "{:?}", missing.headers);
    let wrong = server
        .http
        .get(server.url("/v1/tenants/default/users"))
        .bearer_auth("iam_not-a-real-token")
        .send()
        .await
        .unwrap();
    let wrong = common::Reply::from(wrong).await;
    wrong.assert_error(401, "permission_denied");
    assert!(wrong.header("www-authenticate").unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn not_found_is_json_for_apis_and_a_page_for_browsers() {
    let server = Server::start().await;
    let json_reply = common::Reply::from(server.http.get(server.url("/no/such/route")).send().await.unwrap()).await;
    json_reply.assert_error(404, "not_found");
    json_reply.assert_catalogue_message();

    let page = server
        .http
        .get(server.url("/no/such/route"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.headers().contains_key("x-request-id"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Not found.") && html.contains("not_found"), "{html}");

    server.get("/v1/tenants/nope/users").await.assert_error(404, "not_found");
    server.get("/v1/tenants/default/applications/app_missing").await.assert_error(404, "not_found");
    let wrong_method = server.call(Method::PUT, "/v1/tenants", None).await;
    assert!(
        wrong_method.assert_error(405, "validation_failed")["fields"]["method"].is_array(),
        "{}",
        wrong_method.text
    );
    let allow = wrong_method.header("allow").unwrap_or_default();
    assert!(
        allow.contains("GET") && allow.contains("POST") && !allow.contains("PUT"),
        "Allow names the route's methods: {allow}"
    );
}

#[tokio::test]
async fn tenant_password_policy_applies_to_its_users() {
    let server = Server::start().await;
    let tenant = server
        .post("/v1/tenants", json!({ "id": "strict", "display_name": "Strict", "settings": { "password_policy": { "min_length": 14 } } }))
        .await;
    assert_eq!(tenant.status, StatusCode::CREATED, "{}", tenant.text);
    assert_eq!(tenant.body["settings"]["password_policy"], json!({ "min_length": 14, "reject_common": true }));
    let weak =
        server.post("/v1/tenants/strict/users", json!({ "email": "a@example.com", "password": "twelve chars" })).await;
    assert!(weak.assert_error(400, "validation_failed")["fields"]["password"][0].as_str().unwrap().contains("14"));
    let fine =
        server.post("/v1/tenants/default/users", json!({ "email": "a@example.com", "password": "twelve chars" })).await;
    assert_eq!(fine.status, StatusCode::CREATED, "default tenant keeps min 8: {}", fine.text);

    let bad_settings_body =
        json!({ "id": "x1", "display_name": "X", "settings": { "password_policy": { "min_lenght": 3 } } });
    let bad_settings = server.post("/v1/tenants", bad_settings_body).await;
    assert!(
        bad_settings.assert_error(400, "validation_failed")["fields"]["settings"].is_array(),
        "{}",
        bad_settings.text
    );

    let listed = server.get("/v1/tenants").await;
    let ids: Vec<_> = listed.body["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["default", "strict"]);
    let deleted = server.call(Method::DELETE, "/v1/tenants/strict", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    server.get("/v1/tenants/strict").await.assert_error(404, "not_found");
}
