//! Sign-in through the JSON flow API: every account-protection code, lockout exactness
//! under concurrency and across two server processes, captcha providers, and timing.

mod common;

use std::time::Duration;

use common::stub_http::StubHttp;
use common::{failed_attempts, fire_wrong_passwords, Options, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn right_password_signs_in_and_wrong_or_unknown_is_invalid_credentials() {
    let server = Server::start().await;
    server.user_with_password("default", "ada@example.com", PASSWORD, true).await;
    let ok = server.sign_in("default", json!({ "email": "ADA@example.com", "password": PASSWORD })).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let token = ok.body["session_token"].as_str().expect("a session token").to_owned();
    assert_eq!(ok.body["user"]["email"], "ada@example.com");

    let me = server.http.get(server.url("/t/default/api/session")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    for body in [
        json!({ "email": "ada@example.com", "password": "wrong password" }),
        json!({ "email": "nobody@example.com", "password": PASSWORD }),
    ] {
        let reply = server.sign_in("default", body).await;
        reply.assert_error(401, "invalid_credentials");
        reply.assert_catalogue_message();
    }

    let logout = server.http.post(server.url("/t/default/api/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let after = common::Reply::from(
        server.http.get(server.url("/t/default/api/session")).bearer_auth(&token).send().await.unwrap(),
    )
    .await;
    after.assert_error(401, "session_revoked");
}

#[tokio::test]
async fn a_disabled_account_is_account_disabled_after_the_right_password() {
    let server = Server::start().await;
    let id = server.user_with_password("default", "off@example.com", PASSWORD, true).await;
    server.call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(json!({ "disabled": true }))).await;
    let reply = server.sign_in("default", json!({ "email": "off@example.com", "password": PASSWORD })).await;
    reply.assert_error(403, "account_disabled");
    reply.assert_catalogue_message();
    let wrong = server.sign_in("default", json!({ "email": "off@example.com", "password": "not it" })).await;
    wrong.assert_error(401, "invalid_credentials");
}

/// Fires `count` wrong passwords at once; returns how many were answered
/// `invalid_credentials` (checked) and how many `account_locked` (refused unchecked).
#[tokio::test]
async fn concurrent_failures_are_counted_exactly_and_lock_the_account() {
    let server = Server::start().await;
    server.tenant("lock", json!({ "sign_in": { "lockout_threshold": 10, "lockout_duration_s": 600 } })).await;
    let id = server.user_with_password("lock", "target@example.com", PASSWORD, true).await;
    for round in 0..3 {
        let (checked, refused) = fire_wrong_passwords(&[&server.endpoint], "lock", "target@example.com", 25).await;
        // Attempts are counted before their password is checked: exactly the threshold's
        // worth are evaluated, the rest are refused unchecked.
        assert_eq!((checked, refused), (10, 15), "round {round}: 25 concurrent guesses, threshold 10");
        let (count, locked_until) = failed_attempts(&server, "lock", &id).await;
        assert_eq!(count, 10, "counted in the store: the refused attempts change nothing");
        assert!(locked_until.is_string(), "locked at the threshold");
        if round < 2 {
            server.call(Method::POST, &format!("/v1/tenants/lock/users/{id}/unlock"), None).await;
        }
    }

    let locked = server.sign_in("lock", json!({ "email": "target@example.com", "password": PASSWORD })).await;
    let details = locked.assert_error(423, "account_locked");
    locked.assert_catalogue_message();
    let retry = details["retry_after_s"].as_u64().expect("details.retry_after_s");
    assert!((590..=600).contains(&retry), "{retry}");

    let unlocked = server.call(Method::POST, &format!("/v1/tenants/lock/users/{id}/unlock"), None).await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.text);
    assert_eq!((unlocked.body["failed_attempts"].as_i64(), unlocked.body["locked_until"].is_null()), (Some(0), true));
    let ok = server.sign_in("lock", json!({ "email": "target@example.com", "password": PASSWORD })).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn the_count_is_exact_across_two_server_processes() {
    let first = Server::start().await;
    first.tenant("lock", json!({ "sign_in": { "lockout_threshold": 5 } })).await;
    let id = first.user_with_password("lock", "shared@example.com", PASSWORD, true).await;
    let second = first.start_sibling(Options::default()).await;
    let (checked, refused) =
        fire_wrong_passwords(&[&first.endpoint, &second.endpoint], "lock", "shared@example.com", 20).await;
    assert_eq!((checked, refused), (5, 15), "two processes, one exact count: only the threshold's worth checked");
    let (count, locked_until) = failed_attempts(&first, "lock", &id).await;
    assert_eq!(count, 5);
    assert!(locked_until.is_string());
    second
        .sign_in("lock", json!({ "email": "shared@example.com", "password": PASSWORD }))
        .await
        .assert_error(423, "account_locked");
}

#[tokio::test]
async fn a_lock_ends_by_itself_after_its_duration() {
    let server = Server::start().await;
    server.tenant("brief", json!({ "sign_in": { "lockout_threshold": 2, "lockout_duration_s": 1 } })).await;
    server.user_with_password("brief", "brief@example.com", PASSWORD, true).await;
    fire_wrong_passwords(&[&server.endpoint], "brief", "brief@example.com", 2).await;
    let locked = server.sign_in("brief", json!({ "email": "brief@example.com", "password": PASSWORD })).await;
    assert_eq!(locked.assert_error(423, "account_locked")["retry_after_s"], 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // After the lock, a fresh count: the threshold's worth of failures locks again.
    assert_eq!(fire_wrong_passwords(&[&server.endpoint], "brief", "brief@example.com", 2).await, (2, 0));
    let again = server.sign_in("brief", json!({ "email": "brief@example.com", "password": PASSWORD })).await;
    again.assert_error(423, "account_locked");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ok = server.sign_in("brief", json!({ "email": "brief@example.com", "password": PASSWORD })).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

/// Concurrent sign-ins with the right password past the threshold are refused unchecked
/// too (nothing tells them from guesses before they are checked), but they lock nothing:
/// the account signs in normally afterwards.
#[tokio::test]
async fn a_burst_of_right_passwords_locks_nothing() {
    let server = Server::start().await;
    server.tenant("burst", json!({ "sign_in": { "lockout_threshold": 3 } })).await;
    let id = server.user_with_password("burst", "burst@example.com", PASSWORD, true).await;
    let flows: Vec<String> = {
        let mut flows = Vec::new();
        for _ in 0..12 {
            flows.push(server.flow("burst", "login").await);
        }
        flows
    };
    let attempts: Vec<_> = flows
        .iter()
        .map(|flow| {
            let url = server.url(&format!("/t/burst/api/login/{flow}"));
            tokio::spawn(
                server.http.post(url).json(&json!({ "email": "burst@example.com", "password": PASSWORD })).send(),
            )
        })
        .collect();
    let mut ok = 0;
    for attempt in attempts {
        match attempt.await.unwrap().unwrap().status() {
            StatusCode::OK => ok += 1,
            StatusCode::LOCKED => {}
            other => panic!("a right password answered {other}"),
        }
    }
    assert!(ok >= 3, "at least the threshold's worth signed in: {ok}");
    let (count, locked_until) = failed_attempts(&server, "burst", &id).await;
    assert!(locked_until.is_null(), "no lock after right passwords (count {count})");
    let after = server.sign_in("burst", json!({ "email": "burst@example.com", "password": PASSWORD })).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
}

#[tokio::test]
async fn flows_expire_and_unknown_finished_or_foreign_flows_are_invalid() {
    let server = Server::start().await;
    server.tenant("quick", json!({ "sign_in": { "flow_lifetime_s": 1 } })).await;
    server.user_with_password("quick", "q@example.com", PASSWORD, true).await;
    let flow = server.flow("quick", "login").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired =
        server.submit("quick", "login", &flow, json!({ "email": "q@example.com", "password": PASSWORD })).await;
    expired.assert_error(410, "flow_expired");
    expired.assert_catalogue_message();

    let unknown = server
        .submit("default", "login", "flw_made_up", json!({ "email": "q@example.com", "password": PASSWORD }))
        .await;
    unknown.assert_error(400, "flow_invalid");
    unknown.assert_catalogue_message();

    let foreign = server.flow("quick", "login").await;
    server
        .submit("default", "login", &foreign, json!({ "email": "q@example.com", "password": PASSWORD }))
        .await
        .assert_error(400, "flow_invalid");

    let flow = server.flow("quick", "login").await;
    let done = server.submit("quick", "login", &flow, json!({ "email": "q@example.com", "password": PASSWORD })).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let replay =
        server.submit("quick", "login", &flow, json!({ "email": "q@example.com", "password": PASSWORD })).await;
    replay.assert_error(400, "flow_invalid");
}

#[tokio::test]
async fn proof_of_work_captcha_gates_the_password_step() {
    let server = Server::start().await;
    server.tenant("guarded", json!({ "sign_in": { "captcha": { "mode": "always", "pow_difficulty": 8 } } })).await;
    server.user_with_password("guarded", "g@example.com", PASSWORD, true).await;
    let flow = server.flow("guarded", "login").await;
    let asked =
        server.submit("guarded", "login", &flow, json!({ "email": "g@example.com", "password": PASSWORD })).await;
    let details = asked.assert_error(400, "captcha_required").clone();
    assert_eq!(details["provider"], "proof_of_work");
    let challenge = &details["challenge"];
    let solution = intelliauth_core::auth::solve_proof_of_work(
        challenge["nonce"].as_str().unwrap(),
        challenge["difficulty"].as_u64().unwrap() as u8,
    );
    let answer = format!("{}:{solution}", challenge["id"].as_str().unwrap());

    // A wrong password with a valid captcha is judged on the password.
    let wrong = server
        .submit("guarded", "login", &flow, json!({ "email": "g@example.com", "password": "nope", "captcha": answer }))
        .await;
    wrong.assert_error(401, "invalid_credentials");
    // Each challenge answers once.
    let reused = server
        .submit("guarded", "login", &flow, json!({ "email": "g@example.com", "password": PASSWORD, "captcha": answer }))
        .await;
    assert_eq!(reused.assert_error(400, "captcha_required")["rejected"], true);

    let challenge = &reused.body["details"]["challenge"];
    let solution = intelliauth_core::auth::solve_proof_of_work(
        challenge["nonce"].as_str().unwrap(),
        challenge["difficulty"].as_u64().unwrap() as u8,
    );
    let answer = format!("{}:{solution}", challenge["id"].as_str().unwrap());
    let ok = server
        .submit("guarded", "login", &flow, json!({ "email": "g@example.com", "password": PASSWORD, "captcha": answer }))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn captcha_after_failures_for_an_account() {
    let server = Server::start().await;
    server.tenant("after", json!({ "sign_in": { "captcha": { "mode": "after_failures", "account_failures": 2, "ip_failures": 100 } } })).await;
    server.user_with_password("after", "a@example.com", PASSWORD, true).await;
    for _ in 0..2 {
        server
            .sign_in("after", json!({ "email": "a@example.com", "password": "bad" }))
            .await
            .assert_error(401, "invalid_credentials");
    }
    let asked = server.sign_in("after", json!({ "email": "a@example.com", "password": PASSWORD })).await;
    asked.assert_error(400, "captcha_required");
    let other = server.user_with_password("after", "b@example.com", PASSWORD, true).await;
    assert!(!other.is_empty());
    let fine = server.sign_in("after", json!({ "email": "b@example.com", "password": PASSWORD })).await;
    assert_eq!(fine.status, StatusCode::OK, "another account is not affected: {}", fine.text);
}

#[tokio::test]
async fn siteverify_captcha_is_checked_with_the_configured_service() {
    let verifier = StubHttp::start(|body| {
        let ok = body.contains("response=good-token") && body.contains("secret=s3cret");
        format!("{{\"success\": {ok}}}")
    })
    .await;
    let server = Server::start_with(
        Options::default()
            .arg("--captcha-siteverify-url", &verifier.url)
            .arg("--captcha-site-key", "site-key-123")
            .env("INTELLIAUTH_CAPTCHA_SECRET", "s3cret"),
    )
    .await;
    server.tenant("sv", json!({ "sign_in": { "captcha": { "mode": "always", "provider": "siteverify" } } })).await;
    server.user_with_password("sv", "s@example.com", PASSWORD, true).await;
    let flow = server.flow("sv", "login").await;
    let asked = server.submit("sv", "login", &flow, json!({ "email": "s@example.com", "password": PASSWORD })).await;
    let details = asked.assert_error(400, "captcha_required");
    assert_eq!(
        (details["provider"].as_str(), details["site_key"].as_str()),
        (Some("siteverify"), Some("site-key-123"))
    );
    let bad = server
        .submit("sv", "login", &flow, json!({ "email": "s@example.com", "password": PASSWORD, "captcha": "bad-token" }))
        .await;
    assert_eq!(bad.assert_error(400, "captcha_required")["rejected"], true);
    let good = server
        .submit(
            "sv",
            "login",
            &flow,
            json!({ "email": "s@example.com", "password": PASSWORD, "captcha": "good-token" }),
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
    assert!(verifier.requests.lock().unwrap().iter().all(|body| body.contains("remoteip=127.0.0.1")));
    assert!(!server.logs().contains("s3cret"), "the captcha secret stays out of the logs");
}

#[tokio::test]
async fn a_changed_hash_cost_is_upgraded_at_sign_in() {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let server = Server::start().await;
    let id = server.user_with_password("default", "old@example.com", "placeholder password", true).await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    // A weaker hash, as an older configuration stored it (argon2's `$` fields hold no quote).
    server.execute_sql(&format!("UPDATE users SET password_hash = '{weak}' WHERE id = '{id}'")).await;
    assert_eq!(
        server.sign_in("default", json!({ "email": "old@example.com", "password": PASSWORD })).await.status,
        StatusCode::OK
    );
    let hash = server.query_text(&format!("SELECT password_hash FROM users WHERE id = '{id}'")).await;
    assert!(hash.contains("m=19456,t=2,p=1"), "{hash}");
}

#[tokio::test]
async fn a_browser_flow_posted_without_its_csrf_cookie_is_state_mismatch() {
    let server = Server::start().await;
    server.user_with_password("default", "csrf@example.com", PASSWORD, true).await;
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let started = no_redirects.get(server.url("/t/default/login")).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let cookie = started.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/t/default"),
        "{cookie}"
    );
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let flow = location.split("flow=").nth(1).unwrap();
    let reply =
        server.submit("default", "login", flow, json!({ "email": "csrf@example.com", "password": PASSWORD })).await;
    reply.assert_error(400, "state_mismatch");
    reply.assert_catalogue_message();
}

#[tokio::test]
async fn a_password_found_on_the_breached_list_must_be_reset_at_sign_in() {
    let server = Server::start().await;
    server.tenant("lenient", json!({ "password_policy": { "reject_common": false } })).await;
    server.user_with_password("lenient", "weak@example.com", "password123", true).await;
    let before = server.sign_in("lenient", json!({ "email": "weak@example.com", "password": "password123" })).await;
    assert_eq!(before.status, StatusCode::OK, "allowed while the tenant allows it");
    let tightened = server
        .call(
            Method::PATCH,
            "/v1/tenants/lenient",
            Some(json!({ "settings": { "password_policy": { "reject_common": true } } })),
        )
        .await;
    assert_eq!(tightened.status, StatusCode::OK, "{}", tightened.text);
    let after = server.sign_in("lenient", json!({ "email": "weak@example.com", "password": "password123" })).await;
    assert!(after.assert_error(403, "password_must_be_reset")["reset_ticket"].is_string());
}

#[tokio::test]
async fn captcha_after_failures_from_one_ip() {
    let server = Server::start().await;
    server.tenant("ipwatch", json!({ "sign_in": { "captcha": { "mode": "after_failures", "ip_failures": 2, "account_failures": 100 } } })).await;
    server.user_with_password("ipwatch", "c@example.com", PASSWORD, true).await;
    for email in ["a@example.com", "b@example.com"] {
        server
            .sign_in("ipwatch", json!({ "email": email, "password": "spray" }))
            .await
            .assert_error(401, "invalid_credentials");
    }
    let asked = server.sign_in("ipwatch", json!({ "email": "c@example.com", "password": PASSWORD })).await;
    asked.assert_error(400, "captcha_required");
}

/// Signs in through the hosted page with raw HTTP, sending `session` as the browser's
/// current session cookie; returns the new session cookie's value.
async fn page_sign_in(server: &Server, email: &str, session: Option<&str>) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let started = http.get(server.url("/t/default/login")).send().await.unwrap();
    let csrf_cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let page =
        http.get(server.url(&location)).header("cookie", &csrf_cookie).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let mut cookies = csrf_cookie.clone();
    if let Some(session) = session {
        cookies.push_str(&format!("; ia_session={session}"));
    }
    let signed_in = http
        .post(server.url(&location))
        .header("cookie", cookies)
        .form(&[("csrf_token", csrf), ("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let set_cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "Secure is relaxed only because the public URL is http://localhost");
    set_cookie.split(';').next().unwrap().trim_start_matches("ia_session=").to_owned()
}

#[tokio::test]
async fn signing_in_again_rotates_the_browser_session() {
    let server = Server::start().await;
    server.user_with_password("default", "rotate@example.com", PASSWORD, true).await;
    let first = page_sign_in(&server, "rotate@example.com", None).await;
    let second = page_sign_in(&server, "rotate@example.com", Some(&first)).await;
    assert_ne!(first, second, "a new session id at sign-in");
    let old = server.http.get(server.url("/t/default/api/session")).bearer_auth(&first).send().await.unwrap();
    common::Reply::from(old).await.assert_error(401, "session_revoked");
    let new = server.http.get(server.url("/t/default/api/session")).bearer_auth(&second).send().await.unwrap();
    assert_eq!(new.status(), StatusCode::OK);
}

#[tokio::test]
async fn flows_report_their_kind_step_and_expiry() {
    let server = Server::start().await;
    for (kind, step) in [("login", "credentials"), ("registration", "details")] {
        let started = server.http.post(server.url(&format!("/t/default/api/{kind}"))).send().await.unwrap();
        let started = common::Reply::from(started).await;
        assert_eq!(started.status, StatusCode::CREATED);
        assert_eq!((started.body["kind"].as_str(), started.body["step"].as_str()), (Some(kind), Some(step)));
        assert!(started.body["expires_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{}", started.text);
    }
    let missing = server.http.post(server.url("/t/nowhere/api/login")).send().await.unwrap();
    common::Reply::from(missing).await.assert_error(404, "not_found");
}
