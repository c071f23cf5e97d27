//! The authorization-code flow over raw HTTP: a browser's cookies by hand, every
//! authorization-endpoint error where it must go (an error page, or back to the client),
//! the code exchange with PKCE, ID tokens, userinfo and token expiry.

mod common;

use common::oauth::{authorize, authorize_path, exchange, refresh, revoke, urlencode, userinfo, REDIRECT, VERIFIER};
use common::tokens::{claims, query_param};
use common::{no_redirects, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn app(server: &Server, tenant: &str, body: Value) -> String {
    let reply = server.post(&format!("/v1/tenants/{tenant}/applications"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["client_id"].as_str().unwrap().to_owned()
}

async fn spa(server: &Server, first_party: bool) -> String {
    let name = if first_party { "first-party spa" } else { "third-party spa" };
    app(
        server,
        "default",
        json!({ "name": name, "client_type": "public", "redirect_uris": [REDIRECT], "first_party": first_party }),
    )
    .await
}

#[tokio::test]
async fn the_code_flow_signs_in_and_issues_id_token_access_token_and_userinfo() {
    let server = Server::start().await;
    server.user_with_password("default", "oidc@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;

    // Not signed in: to the login page, which returns to the stored request.
    let (status, location, _) = authorize(&server, &authorize_path(&client_id, &[]), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/t/default/login?return_to="), "{location}");

    let cookie = server.browser_session("default", "oidc@example.com", PASSWORD).await;
    let resume = query_param(&location, "return_to").unwrap();
    let (_, callback, _) = authorize(&server, &resume, Some(&cookie)).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("st-123"));
    assert!(query_param(&callback, "iss").unwrap().ends_with("/t/default"), "RFC 9207 iss");
    let code = query_param(&callback, "code").unwrap();

    let wrong_verifier = exchange(&server, &client_id, &code, "x".repeat(43).as_str()).await;
    wrong_verifier.assert_error(400, "invalid_grant");
    assert_eq!(wrong_verifier.body["error"], "invalid_grant");

    // A fresh code (the failed exchange used the first one up).
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = exchange(&server, &client_id, &code, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let id = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(
        (id["aud"].as_str(), id["nonce"].as_str(), id["email"].as_str()),
        (Some(client_id.as_str()), Some("n-456"), Some("oidc@example.com"))
    );
    assert!(id["auth_time"].is_i64() && id["at_hash"].is_string() && id["amr"] == json!(["pwd"]));
    let access = tokens.body["access_token"].as_str().unwrap();
    let info =
        Reply::from(server.http.get(server.url("/t/default/oauth/userinfo")).bearer_auth(access).send().await.unwrap())
            .await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.text);
    assert_eq!((info.body["sub"].clone(), info.body["email"].as_str()), (id["sub"].clone(), Some("oidc@example.com")));

    let replay = exchange(&server, &client_id, &code, VERIFIER).await;
    replay.assert_error(400, "invalid_grant");
    assert_eq!(replay.body["details"]["reason"], "the code was already used");
}

#[tokio::test]
async fn errors_before_the_redirect_uri_is_trusted_are_pages_and_after_it_redirects() {
    let server = Server::start().await;
    server.user_with_password("default", "e@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = server.browser_session("default", "e@example.com", PASSWORD).await;

    let (status, location, page) = authorize(
        &server,
        &authorize_path(&client_id, &[("redirect_uri", "http://localhost:4000/evil")]),
        Some(&cookie),
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::BAD_REQUEST, ""), "never a redirect");
    assert!(
        page.contains("invalid_redirect_uri") && page.contains("Sign-in configuration error. Contact support."),
        "{page}"
    );
    let (status, location, page) = authorize(&server, &authorize_path("app_unknown", &[]), Some(&cookie)).await;
    assert_eq!((status, location.as_str()), (StatusCode::UNAUTHORIZED, ""));
    assert!(page.contains("invalid_client"), "{page}");

    let redirected = |location: &str, rfc: &str, code: &str| {
        assert!(location.starts_with(REDIRECT), "{location}");
        assert_eq!(query_param(location, "error").as_deref(), Some(rfc), "{location}");
        assert_eq!(query_param(location, "catalogue_error").as_deref(), Some(code), "{location}");
        assert_eq!(query_param(location, "code"), None, "no authorization code parameter on an error: {location}");
        assert_eq!(query_param(location, "state").as_deref(), Some("st-123"), "state carried through: {location}");
    };
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("code_challenge", "")]), Some(&cookie)).await;
    redirected(&location, "invalid_request", "pkce_required");
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("code_challenge_method", "plain")]), Some(&cookie)).await;
    redirected(&location, "invalid_request", "pkce_required");
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("scope", "openid admin")]), Some(&cookie)).await;
    redirected(&location, "invalid_scope", "invalid_scope");
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("response_type", "")]), Some(&cookie)).await;
    redirected(&location, "invalid_request", "validation_failed");
    let (_, location, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), None).await;
    redirected(&location, "login_required", "silent_auth_failed");

    let machine = app(&server, "default", json!({ "name": "m2m", "client_type": "confidential", "redirect_uris": [REDIRECT], "allowed_grants": ["client_credentials"] })).await;
    let (_, location, _) = authorize(&server, &authorize_path(&machine, &[]), Some(&cookie)).await;
    redirected(&location, "unauthorized_client", "unauthorized_client");
}

#[tokio::test]
async fn third_party_clients_need_consent_once() {
    let server = Server::start().await;
    server.user_with_password("default", "c@example.com", PASSWORD, true).await;
    let client_id = spa(&server, false).await;
    let cookie = server.browser_session("default", "c@example.com", PASSWORD).await;

    let (_, location, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), Some(&cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("consent_required"));
    assert_eq!(query_param(&location, "catalogue_error").as_deref(), Some("consent_required"));

    let (_, consent, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    assert!(consent.starts_with("/t/default/oauth/consent?request_id="), "{consent}");
    let page = server.page(&consent, &cookie).await;
    assert!(page.contains("third-party spa") && page.contains("<code>email</code>"), "{page}");
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let approved = no_redirects()
        .post(server.url(&consent))
        .header("cookie", &cookie)
        .form(&[("csrf_token", csrf), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    // The approval is in the tenant log, with the user, the client and the scopes.
    let logged = server.get("/v1/tenants/default/logs?type=consent.granted").await;
    let entry = &logged.body["data"][0];
    assert_eq!(entry["client_id"], client_id.as_str(), "{}", logged.text);
    assert!(entry["user_id"].as_str().is_some_and(|id| id.starts_with("usr_")), "{entry}");
    assert!(entry["details"]["scopes"].as_array().unwrap().contains(&json!("email")), "{entry}");

    let (_, silent, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), Some(&cookie)).await;
    assert!(query_param(&silent, "code").is_some(), "consent is remembered: {silent}");
    let (_, again, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "consent")]), Some(&cookie)).await;
    assert!(again.starts_with("/t/default/oauth/consent?request_id="), "prompt=consent asks again: {again}");
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in() {
    let server = Server::start().await;
    server.user_with_password("default", "p@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = server.browser_session("default", "p@example.com", PASSWORD).await;
    for extra in [("prompt", "login"), ("max_age", "0")] {
        if extra.0 == "max_age" {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let (_, location, _) = authorize(&server, &authorize_path(&client_id, &[extra]), Some(&cookie)).await;
        assert!(location.starts_with("/t/default/login"), "{extra:?} forces sign-in: {location}");
    }
}

#[tokio::test]
async fn an_expired_access_token_is_token_expired_at_userinfo() {
    let server = Server::start().await;
    server
        .call(
            Method::PATCH,
            "/v1/tenants/default",
            Some(json!({ "settings": { "oauth": { "access_token_lifetime_s": 1 } } })),
        )
        .await;
    server.user_with_password("default", "x@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = server.browser_session("default", "x@example.com", PASSWORD).await;
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = Reply::from(
        server.http.get(server.url("/t/default/oauth/userinfo")).bearer_auth(&access).send().await.unwrap(),
    )
    .await;
    expired.assert_error(401, "token_expired");
    let challenge = expired.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""), "{challenge}");
    let missing = Reply::from(server.http.get(server.url("/t/default/oauth/userinfo")).send().await.unwrap()).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
}

/// Signs in and exchanges a code with `offline_access`; returns the token response.
async fn offline_tokens(server: &Server, email: &str) -> (String, Value) {
    let client_id = spa(server, true).await;
    let tokens = offline_tokens_for(server, &client_id, email).await;
    (client_id, tokens)
}

/// A new user signed in to `client_id` with `offline_access`; the token response.
async fn offline_tokens_for(server: &Server, client_id: &str, email: &str) -> Value {
    server.user_with_password("default", email, PASSWORD, true).await;
    let client_id = client_id.to_owned();
    let cookie = server.browser_session("default", email, PASSWORD).await;
    let (_, callback, _) =
        authorize(server, &authorize_path(&client_id, &[("scope", "openid offline_access")]), Some(&cookie)).await;
    let tokens = exchange(server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert!(tokens.body["refresh_token"].is_string(), "offline_access gives a refresh token: {}", tokens.text);
    tokens.body
}

/// Another node on the same database and with the same public URL, so it is the same issuer.
async fn same_issuer_sibling(server: &Server) -> Server {
    let metadata = server.get("/t/default/.well-known/openid-configuration").await;
    let issuer = metadata.body["issuer"].as_str().unwrap();
    let public_url = issuer.strip_suffix("/t/default").unwrap();
    server.start_sibling(common::Options::unlimited().arg("--public-url", public_url)).await
}

async fn set_oauth(server: &Server, oauth: Value) {
    let reply =
        server.call(Method::PATCH, "/v1/tenants/default", Some(json!({ "settings": { "oauth": oauth } }))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let server = Server::start().await;
    let (client_id, first) = offline_tokens(&server, "r@example.com").await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(&server, &client_id, &r1).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotated on use");
    assert!(second.body["id_token"].is_string() && second.body["access_token"].is_string());

    set_oauth(&server, json!({ "refresh_reuse_grace_s": 0 })).await;
    let reused = refresh(&server, &client_id, &r1).await;
    reused.assert_error(400, "session_revoked");
    reused.assert_catalogue_message();
    assert_eq!(reused.body["error"], "invalid_grant");
    refresh(&server, &client_id, &r2).await.assert_error(400, "session_revoked");
}

#[tokio::test]
async fn two_tabs_racing_one_refresh_token_both_succeed_within_the_grace_window() {
    let server = Server::start().await;
    let (client_id, tokens) = offline_tokens(&server, "tabs@example.com").await;
    let token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (a, b) = tokio::join!(refresh(&server, &client_id, &token), refresh(&server, &client_id, &token));
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK), "{} / {}", a.text, b.text);
}

/// `count` refreshes of one token at once, alternating between two nodes.
async fn race_refreshes(nodes: [&Server; 2], client_id: &str, token: &str, count: usize) -> Vec<Reply> {
    let racers: Vec<_> = (0..count)
        .map(|n| {
            let node = nodes[n % 2];
            let form = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client_id)];
            tokio::spawn(node.http.post(node.url("/t/default/oauth/token")).form(&form).send())
        })
        .collect();
    let mut replies = Vec::new();
    for racer in racers {
        replies.push(Reply::from(racer.await.unwrap().unwrap()).await);
    }
    replies
}

#[tokio::test]
async fn without_grace_exactly_one_concurrent_refresh_wins_across_two_processes() {
    let server = Server::start().await;
    let (client_id, tokens) = offline_tokens(&server, "race@example.com").await;
    set_oauth(&server, json!({ "refresh_reuse_grace_s": 0 })).await;
    let sibling = server.start_sibling(common::Options::default()).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let replies = race_refreshes([&server, &sibling], &client_id, token, 8).await;
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 7, "{statuses:?}");
}

#[tokio::test]
async fn refresh_families_end_by_lifetime_sign_out_revocation_and_code_replay() {
    let server = Server::start().await;
    // Past the absolute lifetime: session_expired.
    set_oauth(&server, json!({ "refresh_absolute_s": 1 })).await;
    let (client_id, tokens) = offline_tokens(&server, "life@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let expired = refresh(&server, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
    expired.assert_error(400, "session_expired");
    expired.assert_catalogue_message();
    // A merge patch: null puts the lifetime back to its default.
    set_oauth(&server, json!({ "refresh_absolute_s": null })).await;

    // Signing out ends the session's refresh tokens.
    server.user_with_password("default", "out@example.com", PASSWORD, true).await;
    let cookie = server.browser_session("default", "out@example.com", PASSWORD).await;
    let (_, callback, _) =
        authorize(&server, &authorize_path(&client_id, &[("scope", "openid offline_access")]), Some(&cookie)).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    let session_token = cookie.split("ia_session=").nth(1).unwrap();
    let out = server.http.post(server.url("/t/default/api/logout")).bearer_auth(session_token).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    refresh(&server, &client_id, tokens.body["refresh_token"].as_str().unwrap())
        .await
        .assert_error(400, "session_revoked");

    // RFC 7009 revocation.
    let cookie = server.browser_session("default", "out@example.com", PASSWORD).await;
    let (_, callback, _) =
        authorize(&server, &authorize_path(&client_id, &[("scope", "openid offline_access")]), Some(&cookie)).await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = exchange(&server, &client_id, &code, VERIFIER).await;
    let token = tokens.body["refresh_token"].as_str().unwrap();
    revoke(&server, &client_id, token).await;
    refresh(&server, &client_id, token).await.assert_error(400, "session_revoked");

    // Replaying a code ends what its first exchange issued.
    let (_, callback, _) =
        authorize(&server, &authorize_path(&client_id, &[("scope", "openid offline_access")]), Some(&cookie)).await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = exchange(&server, &client_id, &code, VERIFIER).await;
    exchange(&server, &client_id, &code, VERIFIER).await.assert_error(400, "invalid_grant");
    refresh(&server, &client_id, tokens.body["refresh_token"].as_str().unwrap())
        .await
        .assert_error(400, "session_revoked");
}

/// A confidential client of the default tenant that may introspect; returns (id, secret).
async fn introspector(server: &Server) -> (String, String) {
    let app = server
        .post(
            "/v1/tenants/default/applications",
            json!({ "name": "api", "client_type": "confidential", "redirect_uris": ["https://api.example/cb"],
                    "allowed_grants": ["client_credentials"] }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    (app.body["client_id"].as_str().unwrap().to_owned(), app.body["client_secret"].as_str().unwrap().to_owned())
}

async fn introspect(server: &Server, (id, secret): &(String, String), token: &str) -> Value {
    server.oauth_post("default", "introspect", (id, secret), &[("token", token)]).await.body
}

/// RFC 7009 for access tokens, RFC 6749 §4.1.2 for a replayed code's access token, and a
/// disabled user's live tokens: each is inactive at introspection and refused at userinfo,
/// on this node and another one sharing the database, until it would have expired.
#[tokio::test]
async fn revoked_access_tokens_are_inactive_everywhere() {
    let server = Server::start().await;
    let sibling = same_issuer_sibling(&server).await;
    let resource_server = introspector(&server).await;
    let (client_id, tokens) = offline_tokens(&server, "revoke@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(access.len() > 128, "access tokens are JWTs, longer than refresh tokens");
    assert_eq!(userinfo(&server, access).await, StatusCode::OK);
    assert_eq!(introspect(&server, &resource_server, access).await["active"], true);
    revoke(&server, &client_id, access).await;
    for node in [&server, &sibling] {
        assert_eq!(userinfo(node, access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(node, &resource_server, access).await, json!({ "active": false }));
    }
    // Its refresh token is another grant's business: revoking one access token ends only it.
    let refreshed = refresh(&server, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);

    // A replayed code ends what its first exchange issued, the access token included.
    let cookie = server.browser_session("default", "revoke@example.com", PASSWORD).await;
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[("scope", "openid")]), Some(&cookie)).await;
    let code = query_param(&callback, "code").unwrap();
    let first = exchange(&server, &client_id, &code, VERIFIER).await;
    let first_access = first.body["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&sibling, first_access).await, StatusCode::OK);
    exchange(&server, &client_id, &code, VERIFIER).await.assert_error(400, "invalid_grant");
    assert_eq!(userinfo(&sibling, first_access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(&server, &resource_server, first_access).await["active"], false);

    // A disabled user's live tokens stop working; so do the refreshed ones.
    let live = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(introspect(&server, &resource_server, live).await["active"], true);
    let user_id = claims(live)["sub"].as_str().unwrap().to_owned();
    server
        .call(Method::PATCH, &format!("/v1/tenants/default/users/{user_id}"), Some(json!({ "disabled": true })))
        .await;
    assert_eq!(userinfo(&sibling, live).await, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(&sibling, &resource_server, live).await["active"], false);
}

/// With no grace window, concurrent refreshes of one token race across two processes: one
/// wins, the losers revoke the family, and afterwards nothing of the family works, the
/// winner's new refresh and access tokens included (they were issued into a revoked grant).
#[tokio::test]
async fn a_refresh_race_leaves_no_live_token_in_the_revoked_family() {
    // 30 racers a round from one address: above the default per-IP burst.
    let server = Server::start_with(common::Options::unlimited()).await;
    let sibling = same_issuer_sibling(&server).await;
    set_oauth(&server, json!({ "refresh_reuse_grace_s": 0 })).await;
    let client_id = spa(&server, true).await;
    for round in 0..8 {
        let tokens = offline_tokens_for(&server, &client_id, &format!("race{round}@example.com")).await;
        let token = tokens["refresh_token"].as_str().unwrap();
        let mut winners = Vec::new();
        for reply in race_refreshes([&server, &sibling], &client_id, token, 30).await {
            match reply.status {
                StatusCode::OK => winners.push(reply.body),
                _ => assert_eq!(reply.body["code"], "session_revoked", "{}", reply.text),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: one winner");
        let winner = &winners[0];
        let successor = refresh(&sibling, &client_id, winner["refresh_token"].as_str().unwrap()).await;
        successor.assert_error(400, "session_revoked");
        let access = winner["access_token"].as_str().unwrap();
        assert_eq!(
            userinfo(&server, access).await,
            StatusCode::UNAUTHORIZED,
            "round {round}: the winner's access token"
        );
    }
}

#[tokio::test]
async fn rp_initiated_logout_checks_the_return_address_and_ends_the_session() {
    let server = Server::start().await;
    server.user_with_password("default", "bye@example.com", PASSWORD, true).await;
    let client_id = app(
        &server,
        "default",
        json!({ "name": "rp", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true,
                "post_logout_redirect_uris": ["http://localhost:4000/signed-out"] }),
    )
    .await;
    let cookie = server.browser_session("default", "bye@example.com", PASSWORD).await;
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    let id_token = tokens.body["id_token"].as_str().unwrap().to_owned();

    let foreign = format!(
        "/t/default/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
        urlencode("https://evil.example/")
    );
    let (status, location, page) = authorize(&server, &foreign, Some(&cookie)).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::BAD_REQUEST, ""),
        "never a redirect to an unregistered address"
    );
    assert!(page.contains("invalid_redirect_uri"), "{page}");

    let logout = format!(
        "/t/default/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye-1",
        urlencode("http://localhost:4000/signed-out")
    );
    let response = no_redirects().get(server.url(&logout)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "http://localhost:4000/signed-out?state=bye-1");
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "the session cookie is cleared");
    let session = cookie.split("ia_session=").nth(1).unwrap();
    let after = server.http.get(server.url("/t/default/api/session")).bearer_auth(session).send().await.unwrap();
    Reply::from(after).await.assert_error(401, "session_revoked");

    // Without an ID token hint the user confirms first, so a link elsewhere cannot sign them out.
    let cookie = server.browser_session("default", "bye@example.com", PASSWORD).await;
    let (status, location, page) = authorize(&server, "/t/default/oauth/logout", Some(&cookie)).await;
    assert_eq!((status, location.as_str()), (StatusCode::OK, ""));
    assert!(page.contains("Do you want to sign out?"), "{page}");
    let session = cookie.split("ia_session=").nth(1).unwrap();
    let still = server.http.get(server.url("/t/default/api/session")).bearer_auth(session).send().await.unwrap();
    assert_eq!(still.status(), StatusCode::OK, "nothing ended before the user confirmed");
    let discovery: Value = server.public_json("/t/default/.well-known/openid-configuration").await;
    assert!(discovery["end_session_endpoint"].as_str().unwrap().ends_with("/t/default/oauth/logout"));
}

#[tokio::test]
async fn admins_list_and_end_a_users_sessions() {
    let server = Server::start().await;
    let user = server.user_with_password("default", "admin-view@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = server.browser_session("default", "admin-view@example.com", PASSWORD).await;
    let (_, callback, _) =
        authorize(&server, &authorize_path(&client_id, &[("scope", "openid offline_access")]), Some(&cookie)).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;

    let listed = server.get(&format!("/v1/tenants/default/users/{user}/sessions")).await;
    let sessions = listed.body["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{}", listed.text);
    let session_id = sessions[0]["id"].as_str().unwrap();
    let revoked =
        server.call(Method::DELETE, &format!("/v1/tenants/default/users/{user}/sessions/{session_id}"), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    refresh(&server, &client_id, tokens.body["refresh_token"].as_str().unwrap())
        .await
        .assert_error(400, "session_revoked");
    assert_eq!(server.get(&format!("/v1/tenants/default/users/{user}/sessions")).await.body["data"], json!([]));
    server
        .call(Method::DELETE, &format!("/v1/tenants/default/users/{user}/sessions/ses_unknown"), None)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn login_hint_prefills_the_sign_in_page() {
    let server = Server::start().await;
    let client_id = spa(&server, true).await;
    let (_, login, _) =
        authorize(&server, &authorize_path(&client_id, &[("login_hint", "hint@example.com")]), None).await;
    assert!(login.contains("login_hint=hint%40example.com"), "{login}");
    let started = no_redirects().get(server.url(&login)).send().await.unwrap();
    let cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page_path = started.headers()["location"].to_str().unwrap().to_owned();
    let page =
        no_redirects().get(server.url(&page_path)).header("cookie", cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("value=\"hint@example.com\""), "{page}");
}

#[tokio::test]
async fn applications_override_the_tenants_token_lifetimes() {
    let server = Server::start().await;
    server.user_with_password("default", "life-app@example.com", PASSWORD, true).await;
    let client_id = app(
        &server,
        "default",
        json!({ "name": "short-lived", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true,
                "token_settings": { "access_token_lifetime_s": 300 } }),
    )
    .await;
    let cookie = server.browser_session("default", "life-app@example.com", PASSWORD).await;
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    assert_eq!(tokens.body["expires_in"], 300, "{}", tokens.text);
    let id = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(), 300);

    let read = server.get(&format!("/v1/tenants/default/applications/{client_id}")).await;
    assert_eq!(read.body["token_settings"]["access_token_lifetime_s"], 300);
    let bad = server.post("/v1/tenants/default/applications", json!({ "name": "bad", "client_type": "public", "redirect_uris": [REDIRECT], "token_settings": { "access_token_lifetime_s": 0 } })).await;
    assert!(
        bad.assert_error(400, "validation_failed")["fields"]["token_settings.access_token_lifetime_s"].is_array(),
        "{}",
        bad.text
    );
}

#[tokio::test]
async fn users_and_admins_can_withdraw_consent() {
    let server = Server::start().await;
    let user = server.user_with_password("default", "withdraw@example.com", PASSWORD, true).await;
    let client_id = spa(&server, false).await;
    let cookie = server.browser_session("default", "withdraw@example.com", PASSWORD).await;
    let approve = |path: String| {
        let (server, cookie) = (&server, cookie.clone());
        async move {
            let (_, consent, _) = authorize(server, &path, Some(&cookie)).await;
            let page = server.page(&consent, &cookie).await;
            let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            let approved = no_redirects()
                .post(server.url(&consent))
                .header("cookie", &cookie)
                .form(&[("csrf_token", csrf.as_str()), ("decision", "allow")])
                .send()
                .await
                .unwrap();
            approved.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let callback = approve(authorize_path(&client_id, &[("scope", "openid offline_access")])).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;

    let session = cookie.split("ia_session=").nth(1).unwrap();
    let mine =
        Reply::from(server.http.get(server.url("/t/default/api/consents")).bearer_auth(session).send().await.unwrap())
            .await;
    assert_eq!(mine.body["data"][0]["client_id"], client_id.as_str(), "{}", mine.text);
    let admin_view = server.get(&format!("/v1/tenants/default/users/{user}/consents")).await;
    assert_eq!(admin_view.body["data"][0]["scopes"], json!(["openid", "offline_access"]));

    let withdrawn = server
        .http
        .delete(server.url(&format!("/t/default/api/consents/{client_id}")))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::NO_CONTENT);
    refresh(&server, &client_id, tokens.body["refresh_token"].as_str().unwrap())
        .await
        .assert_error(400, "session_revoked");
    let (_, silent, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), Some(&cookie)).await;
    assert_eq!(query_param(&silent, "catalogue_error").as_deref(), Some("consent_required"), "asked again: {silent}");

    approve(authorize_path(&client_id, &[])).await;
    let by_admin =
        server.call(Method::DELETE, &format!("/v1/tenants/default/users/{user}/consents/{client_id}"), None).await;
    assert_eq!(by_admin.status, StatusCode::NO_CONTENT);
    server
        .call(Method::DELETE, &format!("/v1/tenants/default/users/{user}/consents/{client_id}"), None)
        .await
        .assert_error(404, "not_found");
}

/// The access token of a tenant admin of `default` with `role`, signed in with a password.
async fn admin_token(server: &Server, client_id: &str, email: &str, role: &str) -> String {
    let body = json!({ "email": email, "password": PASSWORD, "email_verified": true, "role": role });
    let created = server.post("/v1/tenants/default/users", body).await;
    assert_eq!((created.status, created.body["role"].as_str()), (StatusCode::CREATED, Some(role)), "{}", created.text);
    let cookie = server.browser_session("default", email, PASSWORD).await;
    let (_, callback, _) = authorize(server, &authorize_path(client_id, &[]), Some(&cookie)).await;
    let tokens = exchange(server, client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    tokens.body["access_token"].as_str().unwrap().to_owned()
}

/// Roles are the server's: a viewer's token reads everything and changes nothing; an
/// admin changes the tenant but not who administers it; only an owner (after step-up)
/// changes roles. The same requests, the same answers, whatever client sends them.
#[tokio::test]
async fn a_viewer_reads_and_changes_nothing_and_only_owners_change_roles() {
    let server = Server::start().await;
    let target = server.user_with_password("default", "someone@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let call = |token: String, method: Method, path: String, body: Option<Value>| {
        let mut request = server.http.request(method, server.url(&path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { Reply::from(request.send().await.unwrap()).await }
    };
    let user_path = format!("/v1/tenants/default/users/{target}");

    let viewer = admin_token(&server, &client_id, "viewer@example.com", "viewer").await;
    for path in ["/v1/tenants/default/users", "/v1/tenants/default/logs", "/v1/tenants/default/applications"] {
        let read = call(viewer.clone(), Method::GET, path.into(), None).await;
        assert_eq!(read.status, StatusCode::OK, "{path}: {}", read.text);
    }
    let renamed = call(viewer.clone(), Method::PATCH, user_path.clone(), Some(json!({ "name": "x" }))).await;
    renamed.assert_error(403, "permission_denied");
    let created = call(
        viewer.clone(),
        Method::POST,
        "/v1/tenants/default/users".into(),
        Some(json!({ "email": "n@example.com" })),
    )
    .await;
    created.assert_error(403, "permission_denied");
    let settings = json!({ "display_name": "Viewed" });
    let patched = call(viewer.clone(), Method::PATCH, "/v1/tenants/default".into(), Some(settings)).await;
    patched.assert_error(403, "permission_denied");
    let rotated = call(viewer.clone(), Method::POST, "/v1/tenants/default/keys/rotate".into(), None).await;
    rotated.assert_error(403, "permission_denied");
    let line = json!({ "email": "viewed@example.com" });
    let imported = call(viewer.clone(), Method::POST, "/v1/tenants/default/users/import".into(), Some(line)).await;
    imported.assert_error(403, "permission_denied");
    assert_eq!(server.get(&user_path).await.body["name"], Value::Null, "nothing changed");
    assert_eq!(server.get("/v1/tenants/default").await.body["display_name"], "Default", "nothing changed");

    let admin = admin_token(&server, &client_id, "admin@example.com", "admin").await;
    let renamed = call(admin.clone(), Method::PATCH, user_path.clone(), Some(json!({ "name": "Renamed" }))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    // Sensitive changes need a recent multi-factor sign-in, which this one is not.
    let action =
        json!({ "name": "A", "trigger": "post-login", "code": "exports.onExecutePostLogin = async () => {};" });
    let edited = call(admin.clone(), Method::POST, "/v1/tenants/default/actions".into(), Some(action)).await;
    edited.assert_error(401, "step_up_required");
    let removed =
        call(admin.clone(), Method::DELETE, format!("/v1/tenants/default/applications/{client_id}"), None).await;
    removed.assert_error(401, "step_up_required");
    let lockout = json!({ "settings": { "sign_in": { "lockout_threshold": 1000 } } });
    let weakened = call(admin.clone(), Method::PATCH, "/v1/tenants/default".into(), Some(lockout)).await;
    weakened.assert_error(401, "step_up_required");
    // An import can replace password hashes: the same step-up, and nothing imported.
    let line = json!({ "email": "imported@example.com", "email_verified": true });
    let imported = call(admin.clone(), Method::POST, "/v1/tenants/default/users/import".into(), Some(line)).await;
    imported.assert_error(401, "step_up_required");
    let found = server.get("/v1/tenants/default/users?email=imported@example.com").await;
    assert_eq!(found.body["data"], json!([]), "{}", found.text);
    let promoted = call(admin.clone(), Method::PATCH, user_path.clone(), Some(json!({ "role": "owner" }))).await;
    assert_eq!(promoted.assert_error(403, "permission_denied")["reason"], "only an owner changes roles");
    let credential = call(
        admin,
        Method::POST,
        "/v1/credentials".into(),
        Some(json!({ "name": "ci", "scopes": ["users:read"], "tenant_id": "default" })),
    )
    .await;
    credential.assert_error(403, "permission_denied");

    // An owner may, once they have signed in with a second factor recently.
    let owner = admin_token(&server, &client_id, "owner@example.com", "owner").await;
    let promoted = call(owner, Method::PATCH, user_path.clone(), Some(json!({ "role": "viewer" }))).await;
    promoted.assert_error(401, "step_up_required");
    // A management credential changes roles; `admin: false` ends one.
    let made = server.call(Method::PATCH, &user_path, Some(json!({ "role": "viewer" }))).await;
    assert_eq!(
        (made.body["role"].as_str(), made.body["admin"].as_bool()),
        (Some("viewer"), Some(true)),
        "{}",
        made.text
    );
    let ended = server.call(Method::PATCH, &user_path, Some(json!({ "admin": false }))).await;
    assert_eq!(
        (ended.body["role"].clone(), ended.body["admin"].as_bool()),
        (Value::Null, Some(false)),
        "{}",
        ended.text
    );
    let unknown = server.call(Method::PATCH, &user_path, Some(json!({ "role": "root" }))).await;
    assert_eq!(unknown.assert_error(400, "validation_failed")["fields"]["role"][0], "must be owner, admin or viewer");
}
