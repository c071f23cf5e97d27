//! Multi-factor sign-in over the JSON flow API: TOTP enrolment when the tenant requires
//! it, TOTP and backup codes at sign-in (each usable once), wrong codes counting towards
//! the lockout, self-service enrolment and removal, and an admin's reset.

mod common;

use std::time::Duration;

use common::receiver::{Answer, Delivery, Receiver};
use common::tokens::totp;
use common::{Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn mfa_tenant(server: &Server, id: &str, mode: &str) {
    server.tenant(id, json!({ "mfa": { "mode": mode }, "sign_in": { "lockout_threshold": 5 } })).await;
    server.user_with_password(id, "ada@example.com", PASSWORD, true).await;
}

async fn password_step(server: &Server, tenant: &str) -> Reply {
    server.sign_in(tenant, json!({ "email": "ada@example.com", "password": PASSWORD })).await
}

async fn second_factor(server: &Server, tenant: &str, flow: &str, kind: &str, code: &str) -> Reply {
    let url = server.url(&format!("/t/{tenant}/api/login/{flow}/mfa"));
    Reply::from(server.http.post(url).json(&json!({ "type": kind, "code": code })).send().await.unwrap()).await
}

/// Enrols TOTP through a sign-in that requires it; returns the secret, the backup codes
/// and the time whose code confirmed the enrolment.
async fn enrol(server: &Server, tenant: &str) -> (String, Vec<String>, u64) {
    let challenge = password_step(server, tenant).await;
    let details = challenge.assert_error(403, "mfa_enrolment_required").clone();
    challenge.assert_catalogue_message();
    let flow = details["flow_id"].as_str().unwrap().to_owned();
    assert_eq!(details["step"], "mfa_enrolment");
    let url = server.url(&format!("/t/{tenant}/api/login/{flow}/mfa/totp"));
    let enrolment = Reply::from(server.http.post(url).send().await.unwrap()).await;
    assert_eq!(enrolment.status, StatusCode::CREATED, "{}", enrolment.text);
    let secret = enrolment.body["secret"].as_str().unwrap().to_owned();
    let uri = enrolment.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(enrolment.body["qr_svg"].as_str().unwrap().contains("<svg"));

    let wrong = second_factor(server, tenant, &flow, "totp", "000000").await;
    wrong.assert_error(401, "totp_invalid");
    wrong.assert_catalogue_message();
    let enrolled_at = now_s();
    let done = second_factor(server, tenant, &flow, "totp", &totp(&secret, enrolled_at)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.body["session_token"].as_str().is_some());
    let codes: Vec<String> =
        done.body["backup_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    (secret, codes, enrolled_at)
}

#[tokio::test]
async fn required_mfa_enrols_then_asks_for_a_code_that_works_once() {
    let server = Server::start().await;
    mfa_tenant(&server, "mfa-req", "required").await;
    let (secret, codes, enrolled_at) = enrol(&server, "mfa-req").await;

    // The next sign-in asks for a factor and lists what is enrolled.
    let challenge = password_step(&server, "mfa-req").await;
    let details = challenge.assert_error(401, "mfa_required").clone();
    assert_eq!(details["factors"], json!(["totp", "backup_code"]));
    let flow = details["flow_id"].as_str().unwrap().to_owned();
    // The enrolment's code was used in its step; the next step's code is accepted (drift).
    let used = second_factor(&server, "mfa-req", &flow, "totp", &totp(&secret, enrolled_at)).await;
    used.assert_error(401, "totp_invalid");
    let next = totp(&secret, enrolled_at + 30);
    let done = second_factor(&server, "mfa-req", &flow, "totp", &next).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.body.get("backup_codes").is_none(), "backup codes are shown once");

    // The same code again, in a new flow: refused.
    let flow = password_step(&server, "mfa-req").await.body["details"]["flow_id"].as_str().unwrap().to_owned();
    second_factor(&server, "mfa-req", &flow, "totp", &next).await.assert_error(401, "totp_invalid");

    // A backup code works once, typed any way.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let done = second_factor(&server, "mfa-req", &flow, "backup_code", &typed).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let flow = password_step(&server, "mfa-req").await.body["details"]["flow_id"].as_str().unwrap().to_owned();
    let reused = second_factor(&server, "mfa-req", &flow, "backup_code", &codes[0]).await;
    assert_eq!(reused.assert_error(401, "backup_code_invalid")["single_use"], true);
    reused.assert_catalogue_message();
    let bad_type = second_factor(&server, "mfa-req", &flow, "voice", "123456").await;
    assert_eq!(
        bad_type.assert_error(400, "validation_failed")["fields"]["type"][0],
        "must be totp, sms, webauthn or backup_code"
    );
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout() {
    let server = Server::start().await;
    mfa_tenant(&server, "mfa-lock", "required").await;
    enrol(&server, "mfa-lock").await;
    let flow = password_step(&server, "mfa-lock").await.body["details"]["flow_id"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        second_factor(&server, "mfa-lock", &flow, "totp", "000000").await.assert_error(401, "totp_invalid");
    }
    let locked = second_factor(&server, "mfa-lock", &flow, "totp", "000000").await;
    assert!(locked.assert_error(423, "account_locked")["retry_after_s"].as_u64().unwrap() > 0);
}

/// Codes are counted before they are checked, as passwords are: of 30 concurrent wrong
/// codes with the threshold at 5, exactly 5 are evaluated and the rest refused unchecked;
/// during the lock the right code gets the same answer as a wrong one.
#[tokio::test]
async fn concurrent_wrong_codes_past_the_threshold_are_refused_unchecked() {
    let server = Server::start().await;
    mfa_tenant(&server, "mfa-race", "required").await;
    let (secret, _, _) = enrol(&server, "mfa-race").await;
    let challenge = password_step(&server, "mfa-race").await;
    let flow = challenge.body["details"]["flow_id"].as_str().unwrap().to_owned();
    let url = server.url(&format!("/t/mfa-race/api/login/{flow}/mfa"));
    let guesses: Vec<_> = (0..30)
        .map(|n| {
            let body = json!({ "type": "totp", "code": format!("{:06}", 100_000 + n) });
            tokio::spawn(server.http.post(url.clone()).json(&body).send())
        })
        .collect();
    let (mut checked, mut refused) = (0, 0);
    for guess in guesses {
        match guess.await.unwrap().unwrap().status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::LOCKED => refused += 1,
            other => panic!("a wrong code answered {other}"),
        }
    }
    assert_eq!((checked, refused), (5, 25), "30 concurrent guesses, threshold 5");
    let users = server.get("/v1/tenants/mfa-race/users?email_prefix=ada").await;
    let user = &users.body["data"][0];
    assert_eq!(user["failed_attempts"], 5, "counted in the store: {user}");
    assert!(user["locked_until"].is_string(), "locked at the threshold: {user}");

    let answer = |reply: Reply| {
        let mut body = reply.body.clone();
        body["request_id"] = Value::Null;
        body["details"]["retry_after_s"] = Value::Null;
        (reply.status, body)
    };
    let right = answer(second_factor(&server, "mfa-race", &flow, "totp", &totp(&secret, now_s() + 30)).await);
    let wrong = answer(second_factor(&server, "mfa-race", &flow, "totp", "999999").await);
    assert_eq!(right.0, StatusCode::LOCKED, "{:?}", right.1);
    assert_eq!(right, wrong, "a locked account is no oracle for codes");
}

#[tokio::test]
async fn optional_mfa_applies_once_a_user_enrols_and_the_last_factor_is_guarded() {
    let server = Server::start().await;
    mfa_tenant(&server, "mfa-opt", "optional").await;
    let signed_in = password_step(&server, "mfa-opt").await;
    assert_eq!(signed_in.status, StatusCode::OK, "no factor, no second step: {}", signed_in.text);
    let session = signed_in.body["session_token"].as_str().unwrap().to_owned();
    let user_id = signed_in.body["user"]["id"].as_str().unwrap().to_owned();
    let me = |method: Method, path: &str| {
        server.http.request(method, server.url(&format!("/t/mfa-opt/api/{path}"))).bearer_auth(&session)
    };

    // Self-service enrolment.
    let enrolment = Reply::from(me(Method::POST, "factors/totp").send().await.unwrap()).await;
    assert_eq!(enrolment.status, StatusCode::CREATED, "{}", enrolment.text);
    let secret = enrolment.body["secret"].as_str().unwrap().to_owned();
    let confirm = |code: String| me(Method::POST, "factors/totp/confirm").json(&json!({ "code": code })).send();
    Reply::from(confirm("123456".into()).await.unwrap()).await.assert_error(401, "totp_invalid");
    let confirmed = Reply::from(confirm(totp(&secret, now_s())).await.unwrap()).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.body["backup_codes"].as_array().unwrap().len(), 10);
    let listed = Reply::from(me(Method::GET, "factors").send().await.unwrap()).await;
    assert_eq!(listed.body["factors"][0]["type"], "totp");
    assert_eq!(listed.body["backup_codes_left"], 10);
    let factor_id = listed.body["factors"][0]["id"].as_str().unwrap().to_owned();

    // Now sign-in asks for it.
    password_step(&server, "mfa-opt").await.assert_error(401, "mfa_required");

    // New backup codes replace the old ones.
    let fresh = Reply::from(me(Method::POST, "factors/backup-codes").send().await.unwrap()).await;
    assert_eq!(fresh.body["backup_codes"].as_array().unwrap().len(), 10);

    // The admin sees the factor; under a required policy the user cannot remove the last one.
    let admin_view = server.get(&format!("/v1/tenants/mfa-opt/users/{user_id}/factors")).await;
    assert_eq!(admin_view.body["factors"].as_array().unwrap().len(), 1, "{}", admin_view.text);
    let patched = server
        .call(Method::PATCH, "/v1/tenants/mfa-opt", Some(json!({ "settings": { "mfa": { "mode": "required" } } })))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let refused = Reply::from(me(Method::DELETE, &format!("factors/{factor_id}")).send().await.unwrap()).await;
    assert_eq!(refused.assert_error(403, "permission_denied")["reason"], "last_factor_required");

    // Under an optional policy it goes, with the backup codes.
    server
        .call(Method::PATCH, "/v1/tenants/mfa-opt", Some(json!({ "settings": { "mfa": { "mode": "optional" } } })))
        .await;
    let removed = me(Method::DELETE, &format!("factors/{factor_id}")).send().await.unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let listed = Reply::from(me(Method::GET, "factors").send().await.unwrap()).await;
    assert_eq!(listed.body, json!({ "factors": [], "backup_codes_left": 0 }));
    assert_eq!(password_step(&server, "mfa-opt").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_reset_makes_the_user_enrol_again() {
    let server = Server::start().await;
    mfa_tenant(&server, "mfa-reset", "required").await;
    enrol(&server, "mfa-reset").await;
    let users = server.get("/v1/tenants/mfa-reset/users").await;
    let user_id = users.body["data"][0]["id"].as_str().unwrap().to_owned();
    let reset = server.call(Method::DELETE, &format!("/v1/tenants/mfa-reset/users/{user_id}/factors"), None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.text);
    password_step(&server, "mfa-reset").await.assert_error(403, "mfa_enrolment_required");
    let missing = server.call(Method::DELETE, "/v1/tenants/mfa-reset/users/usr_missing/factors", None).await;
    missing.assert_error(404, "not_found");
    let _: Value = users.body;
}

/// A signed-in user of an optional-MFA tenant whose SMS gateway is `gateway`.
async fn sms_server(gateway: &Receiver) -> (Server, String) {
    let server =
        Server::start_with(Options::default().arg("--sms-gateway-url", &gateway.url).arg("--sms-from", "+15550000000"))
            .await;
    mfa_tenant(&server, "mfa-sms", "optional").await;
    let signed_in = password_step(&server, "mfa-sms").await;
    let session = signed_in.body["session_token"].as_str().unwrap().to_owned();
    (server, session)
}

fn texted_code(delivery: &Delivery) -> String {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(delivery.body.as_bytes()).into_owned().collect();
    let body = &form.iter().find(|(k, _)| k == "Body").expect("a Body field").1;
    body.split_whitespace().find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit())).unwrap().to_owned()
}

/// The text message's words, decoded from the gateway's form.
fn texted_words(delivery: &Delivery) -> String {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(delivery.body.as_bytes()).into_owned().collect();
    form.into_iter().find(|(k, _)| k == "Body").expect("a Body field").1
}

async fn post_as(server: &Server, session: &str, path: &str, body: Value) -> Reply {
    let url = server.url(&format!("/t/mfa-sms/api/{path}"));
    Reply::from(server.http.post(url).bearer_auth(session).json(&body).send().await.unwrap()).await
}

#[tokio::test]
async fn sms_codes_enrol_a_phone_and_finish_a_sign_in() {
    let gateway = Receiver::start(Answer::status(201, "{\"sid\":\"SM1\"}")).await;
    let (server, session) = sms_server(&gateway).await;
    let invalid = post_as(&server, &session, "factors/sms", json!({ "phone": "415 555 0100" })).await;
    let details = invalid.assert_error(400, "validation_failed");
    assert!(details["fields"]["phone"][0].as_str().unwrap().contains("E.164"), "{details}");

    let sent = post_as(&server, &session, "factors/sms", json!({ "phone": "+14155550100" })).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    assert_eq!(sent.body["sent_to"], "+14•••••••00");
    let text = gateway.wait_for(1, Duration::from_secs(5)).await.remove(0);
    assert!(text.body.contains("To=%2B14155550100") && text.body.contains("From=%2B15550000000"), "{}", text.body);
    let wrong = post_as(&server, &session, "factors/sms/confirm", json!({ "code": "000000" })).await;
    wrong.assert_error(401, "totp_invalid");
    let confirmed = post_as(&server, &session, "factors/sms/confirm", json!({ "code": texted_code(&text) })).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.body["backup_codes"].as_array().unwrap().len(), 10);

    assert!(texted_words(&text).contains("sign-in code"), "English by default: {}", texted_words(&text));

    // Sign-in now asks for the phone; a texted code finishes it, once, texted in the
    // language the user saved (Arabic here).
    let users = server.get("/v1/tenants/mfa-sms/users").await;
    let user_id = users.body["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/tenants/mfa-sms/users/{user_id}");
    let saved = server.call(Method::PATCH, &path, Some(json!({ "locale": "ar" }))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let challenge = password_step(&server, "mfa-sms").await;
    assert_eq!(challenge.assert_error(401, "mfa_required")["factors"], json!(["sms", "backup_code"]));
    let flow = challenge.body["details"]["flow_id"].as_str().unwrap().to_owned();
    let url = server.url(&format!("/t/mfa-sms/api/login/{flow}/mfa/sms"));
    let texted = Reply::from(server.http.post(url).send().await.unwrap()).await;
    assert_eq!(texted.status, StatusCode::ACCEPTED, "{}", texted.text);
    let arabic = gateway.wait_for(2, Duration::from_secs(5)).await.remove(1);
    assert!(texted_words(&arabic).starts_with("رمز تسجيل الدخول"), "{}", texted_words(&arabic));
    let code = texted_code(&arabic);
    let done = second_factor(&server, "mfa-sms", &flow, "sms", &code).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let flow = password_step(&server, "mfa-sms").await.body["details"]["flow_id"].as_str().unwrap().to_owned();
    let replayed = second_factor(&server, "mfa-sms", &flow, "sms", &code).await;
    assert_eq!(replayed.assert_error(401, "totp_invalid")["factor"], "sms");
}

#[tokio::test]
async fn a_failing_or_silent_gateway_is_sms_send_failed() {
    let gateway = Receiver::start(Answer::status(500, "gateway down")).await;
    let (server, session) = sms_server(&gateway).await;
    let failed = post_as(&server, &session, "factors/sms", json!({ "phone": "+14155550101" })).await;
    failed.assert_error(502, "sms_send_failed");
    failed.assert_catalogue_message();
    assert!(server.logs().contains("500"), "the gateway's answer is logged for the operator");

    gateway.answer(Answer::Hang);
    let started = std::time::Instant::now();
    let silent = post_as(&server, &session, "factors/sms", json!({ "phone": "+14155550102" })).await;
    silent.assert_error(502, "sms_send_failed");
    assert!(started.elapsed() < Duration::from_secs(8), "the gateway timeout bounds the wait");
}

#[tokio::test]
async fn too_many_texts_to_one_phone_is_sms_rate_limited() {
    let gateway = Receiver::start(Answer::ok()).await;
    let (server, session) = sms_server(&gateway).await;
    for _ in 0..3 {
        let sent = post_as(&server, &session, "factors/sms", json!({ "phone": "+14155550103" })).await;
        assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    }
    let limited = post_as(&server, &session, "factors/sms", json!({ "phone": "+14155550103" })).await;
    let details = limited.assert_error(429, "sms_rate_limited");
    let wait = details["retry_after_s"].as_u64().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert_eq!(limited.header("retry-after"), Some(wait.to_string().as_str()));
    assert_eq!(gateway.deliveries().len(), 3, "the fourth text was not sent");
}

#[tokio::test]
async fn a_failed_passkey_ceremony_is_webauthn_failed_and_names_the_other_methods() {
    let server = Server::start().await;
    mfa_tenant(&server, "mfa-key", "required").await;
    enrol(&server, "mfa-key").await;
    let flow = password_step(&server, "mfa-key").await.body["details"]["flow_id"].as_str().unwrap().to_owned();
    // The user has no passkey: asking for a passkey challenge fails, offering the rest.
    let url = server.url(&format!("/t/mfa-key/api/login/{flow}/mfa/webauthn"));
    let none = Reply::from(server.http.post(url).send().await.unwrap()).await;
    assert_eq!(none.assert_error(401, "webauthn_failed")["alternatives"], json!(["totp", "backup_code"]));
    none.assert_catalogue_message();
    // An assertion for a ceremony that does not exist.
    let url = server.url(&format!("/t/mfa-key/api/login/{flow}/mfa"));
    let body = json!({ "type": "webauthn", "ceremony_id": "wac_nope", "credential": { "id": "x" } });
    let forged = Reply::from(server.http.post(url).json(&body).send().await.unwrap()).await;
    forged.assert_error(401, "webauthn_failed");

    // Passwordless with a credential the server never registered.
    let flow = server.flow("mfa-key", "login").await;
    let url = server.url(&format!("/t/mfa-key/api/login/{flow}/passkey"));
    let started = Reply::from(server.http.post(url).send().await.unwrap()).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    assert!(started.body["options"]["publicKey"]["challenge"].is_string(), "{}", started.text);
    let url = server.url(&format!("/t/mfa-key/api/login/{flow}/passkey/finish"));
    let body = json!({ "ceremony_id": started.body["ceremony_id"], "credential": { "id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {} } });
    let unknown = Reply::from(server.http.post(url).json(&body).send().await.unwrap()).await;
    unknown.assert_error(401, "webauthn_failed");
}

/// The authorization endpoint's answer for `client_id`, as a signed-in browser gets it.
async fn authorize_location(server: &Server, tenant: &str, client_id: &str, cookie: &str) -> String {
    let path = format!(
        "/t/{tenant}/oauth/authorize?response_type=code&client_id={client_id}&scope=openid&state=s\
         &redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(server.url(&path)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap());
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_application_can_require_mfa_on_top_of_its_tenant() {
    let server = Server::start().await;
    server.tenant("mfa-app", json!({})).await;
    server.user_with_password("mfa-app", "ada@example.com", PASSWORD, true).await;
    let app = |name: &str, mfa: Value| {
        json!({ "name": name, "client_type": "public", "first_party": true,
                "redirect_uris": ["http://localhost:4000/callback"], "mfa": mfa })
    };
    let invalid = server.post("/v1/tenants/mfa-app/applications", app("odd", json!("sometimes"))).await;
    invalid.assert_error(400, "validation_failed");
    let strict = server.post("/v1/tenants/mfa-app/applications", app("strict", json!("required"))).await;
    assert_eq!(strict.body["mfa"], "required", "{}", strict.text);
    let relaxed = server.post("/v1/tenants/mfa-app/applications", app("relaxed", Value::Null)).await;
    let (strict, relaxed) = (strict.body["client_id"].as_str().unwrap(), relaxed.body["client_id"].as_str().unwrap());

    // The tenant asks for a password only; one application wants more.
    let cookie = server.browser_session("mfa-app", "ada@example.com", PASSWORD).await;
    let code = authorize_location(&server, "mfa-app", relaxed, &cookie).await;
    assert!(code.starts_with("http://localhost:4000/callback?code="), "{code}");
    let step_up = authorize_location(&server, "mfa-app", strict, &cookie).await;
    assert!(step_up.starts_with("/t/mfa-app/login/mfa?flow="), "the MFA step (enrolment here), not a code: {step_up}");
}
