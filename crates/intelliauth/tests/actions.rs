//! Actions over HTTP: a deny is `step_blocked` with the step and reason, an endless loop
//! `step_timeout` near the budget while the server keeps answering, a throw or a memory
//! bomb `step_error` with the trace in the admins' log; custom claims reach the ID and
//! access tokens; `multifactor.enable` forces MFA; versions, order, secrets, test runs,
//! `fetch` to allowed hosts only, and the registration triggers.

mod common;

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::stub_http::StubHttp;
use common::tokens::{claims, query_param, totp};
use common::{Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9pxtAsgNVPU2bAqJ8mMdMHqkq";

async fn tenant_with_user(server: &Server, tenant: &str, settings: Value) {
    server.tenant(tenant, settings).await;
    server.user_with_password(tenant, "ada@example.com", PASSWORD, true).await;
}

async fn create_action(server: &Server, tenant: &str, name: &str, trigger: &str, code: &str) -> Value {
    let body = json!({ "name": name, "trigger": trigger, "code": code });
    let reply = server.post(&format!("/v1/tenants/{tenant}/actions"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body
}

async fn patch(server: &Server, path: &str, body: Value) -> Reply {
    server.call(Method::PATCH, path, Some(body)).await
}

async fn password_step(server: &Server, tenant: &str) -> Reply {
    server.sign_in(tenant, json!({ "email": "ada@example.com", "password": PASSWORD })).await
}

async fn executions_of(server: &Server, tenant: &str, action_id: &str) -> Vec<Value> {
    let reply = server.get(&format!("/v1/tenants/{tenant}/actions/{action_id}/executions")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_deny_blocks_sign_in_with_the_step_and_reason_and_the_log_finds_it_by_request() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-deny", json!({})).await;
    let action = create_action(
        &server,
        "act-deny",
        "Block contractors",
        "post-login",
        "exports.onExecutePostLogin = async (event, api) => {\n  console.log('checking', event.user.email);\n  \
         api.access.deny(`${event.user.email} may not sign in here`);\n};",
    )
    .await;
    let id = action["id"].as_str().unwrap();
    assert_eq!((action["version"].as_i64(), action["enabled"].as_bool()), (Some(1), Some(true)));

    let blocked = password_step(&server, "act-deny").await;
    let details = blocked.assert_error(403, "step_blocked");
    blocked.assert_catalogue_message();
    assert_eq!(details["step"], json!({ "id": id, "name": "Block contractors" }));
    assert_eq!(details["reason"], "ada@example.com may not sign in here");
    let request_id = blocked.header("x-request-id").unwrap().to_owned();

    // The admin finds the execution by the sign-in's request id, and per Action.
    let by_request = server.get(&format!("/v1/tenants/act-deny/action-executions?request_id={request_id}")).await;
    let executions = by_request.body["data"].as_array().unwrap();
    assert_eq!(executions.len(), 1, "{}", by_request.text);
    let execution = &executions[0];
    assert_eq!((execution["outcome"].as_str(), execution["test"].as_bool()), (Some("denied"), Some(false)));
    assert_eq!(execution["reason"], "ada@example.com may not sign in here");
    assert_eq!(execution["console"], json!(["log checking ada@example.com"]));
    assert_eq!(execution["action_version"], 1);
    assert!(execution["user_id"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(executions_of(&server, "act-deny", id).await.len(), 1);

    // Only tenant admins (actions:read in the tenant) see Actions and their log.
    let outsider = server.credential(&["users:read"], Some("act-deny")).await;
    let denied = Reply::from(
        server
            .http
            .get(server.url("/v1/tenants/act-deny/action-executions"))
            .bearer_auth(&outsider)
            .send()
            .await
            .unwrap(),
    )
    .await;
    denied.assert_error(403, "permission_denied");

    // Disabled, it no longer runs.
    let off = patch(&server, &format!("/v1/tenants/act-deny/actions/{id}"), json!({ "enabled": false })).await;
    assert_eq!((off.status, off.body["version"].as_i64()), (StatusCode::OK, Some(1)), "{}", off.text);
    let signed_in = password_step(&server, "act-deny").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
}

#[tokio::test]
async fn an_endless_loop_times_out_near_the_budget_while_the_server_keeps_answering() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-loop", json!({ "actions": { "timeout_ms": 1000 } })).await;
    let action = create_action(
        &server,
        "act-loop",
        "Spin",
        "post-login",
        "exports.onExecutePostLogin = async () => { while (true) {} };",
    )
    .await;

    let started = Instant::now();
    let signing_in = password_step(&server, "act-loop");
    let probing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let probe = Instant::now();
        let health = server.get("/healthz").await;
        (health.status, probe.elapsed())
    };
    let (timed_out, (health, probe_took)) = tokio::join!(signing_in, probing);
    let took = started.elapsed();
    timed_out.assert_error(504, "step_timeout");
    timed_out.assert_catalogue_message();
    assert_eq!(timed_out.body["details"]["step"]["name"], "Spin");
    assert!(took >= Duration::from_millis(1000) && took < Duration::from_millis(2500), "took {took:?}");
    assert_eq!(health, StatusCode::OK);
    assert!(probe_took < Duration::from_millis(500), "the server stayed responsive: {probe_took:?}");

    let executions = executions_of(&server, "act-loop", action["id"].as_str().unwrap()).await;
    assert_eq!(executions[0]["outcome"], "timeout");
    let duration = executions[0]["duration_ms"].as_f64().unwrap();
    assert!((1000.0..2000.0).contains(&duration), "{duration}");
}

#[tokio::test]
async fn a_throw_is_step_error_for_the_user_and_a_stack_with_the_line_for_the_admin() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-throw", json!({})).await;
    let action = create_action(
        &server,
        "act-throw",
        "Broken",
        "post-login",
        "// Looks up the user's plan.\nexports.onExecutePostLogin = async (event) => {\n  throw new Error('x');\n};",
    )
    .await;
    let failed = password_step(&server, "act-throw").await;
    failed.assert_error(500, "step_error");
    failed.assert_catalogue_message();
    assert!(!failed.text.contains("action.js") && !failed.text.contains("Error: x"), "no trace for the user");

    let execution = &executions_of(&server, "act-throw", action["id"].as_str().unwrap()).await[0];
    assert_eq!((execution["outcome"].as_str(), execution["error"].as_str()), (Some("error"), Some("Error: x")));
    let stack = execution["stack"].as_str().unwrap();
    assert!(stack.contains("action.js:3"), "the stack names line 3: {stack}");

    // A syntax error is reported the same way, with its line.
    let id = action["id"].as_str().unwrap();
    let path = format!("/v1/tenants/act-throw/actions/{id}");
    patch(&server, &path, json!({ "code": "exports.onExecutePostLogin = async () => {\n  let = ;\n};" })).await;
    password_step(&server, "act-throw").await.assert_error(500, "step_error");
    let execution = &executions_of(&server, "act-throw", id).await[0];
    assert!(execution["error"].as_str().unwrap().starts_with("SyntaxError"), "{execution}");
    assert_eq!(execution["action_version"], 2);
}

#[tokio::test]
async fn a_memory_bomb_is_step_error_and_the_server_carries_on() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-mem", json!({})).await;
    let action = create_action(
        &server,
        "act-mem",
        "Hoarder",
        "post-login",
        "exports.onExecutePostLogin = async () => {\n  const hoard = [];\n  \
         while (true) hoard.push(new Array(1e6).fill('x'));\n};",
    )
    .await;
    password_step(&server, "act-mem").await.assert_error(500, "step_error");
    let execution = &executions_of(&server, "act-mem", action["id"].as_str().unwrap()).await[0];
    assert!(execution["error"].as_str().unwrap().contains("out of memory"), "{execution}");

    let id = action["id"].as_str().unwrap();
    patch(&server, &format!("/v1/tenants/act-mem/actions/{id}"), json!({ "enabled": false })).await;
    assert_eq!(password_step(&server, "act-mem").await.status, StatusCode::OK);
    assert_eq!(server.get("/healthz").await.status, StatusCode::OK);
}

fn authorize_path(tenant: &str, client_id: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    format!(
        "/t/{tenant}/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20email\
         &state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
        REDIRECT.replace(':', "%3A").replace('/', "%2F")
    )
}

/// Where the authorization endpoint sends a browser with `cookie` (none: signed out).
async fn authorize(server: &Server, path: &str, cookie: Option<&str>) -> String {
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = no_redirects.get(server.url(path)).header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap().headers()["location"].to_str().unwrap().to_owned()
}

async fn exchange(server: &Server, tenant: &str, client_id: &str, callback: &str) -> Reply {
    let code = query_param(callback, "code").unwrap_or_else(|| panic!("no code in {callback}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", client_id),
    ];
    Reply::from(server.http.post(server.url(&format!("/t/{tenant}/oauth/token"))).form(&form).send().await.unwrap())
        .await
}

/// The code flow through the hosted login page: authorize, sign in where it sends the
/// browser, authorize again, exchange the code. Also returns the browser's cookies.
async fn code_flow(server: &Server, tenant: &str, client_id: &str) -> (Reply, String) {
    let login = authorize(server, &authorize_path(tenant, client_id), None).await;
    let cookie = server.browser_sign_in(&login, "ada@example.com", PASSWORD).await;
    let resume = query_param(&login, "return_to").unwrap();
    let callback = authorize(server, &resume, Some(&cookie)).await;
    (exchange(server, tenant, client_id, &callback).await, cookie)
}

async fn code_flow_tokens(server: &Server, tenant: &str, client_id: &str) -> Reply {
    code_flow(server, tenant, client_id).await.0
}

async fn spa(server: &Server, tenant: &str, name: &str) -> String {
    let body = json!({ "name": name, "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true });
    let reply = server.post(&format!("/v1/tenants/{tenant}/applications"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["client_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn post_login_runs_again_when_a_session_signs_in_to_another_application() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-sso", json!({})).await;
    let (dashboard, payroll) = (spa(&server, "act-sso", "Dashboard").await, spa(&server, "act-sso", "Payroll").await);
    let action = create_action(
        &server,
        "act-sso",
        "Per application",
        "post-login",
        "exports.onExecutePostLogin = async (event, api) => {\n  \
           if (event.application.name === 'Payroll') api.access.deny('payroll is by invitation');\n  \
           api.idToken.setCustomClaim('app', event.application.name);\n};",
    )
    .await;
    let (tokens, cookie) = code_flow(&server, "act-sso", &dashboard).await;
    assert_eq!(claims(tokens.body["id_token"].as_str().unwrap())["app"], "Dashboard", "{}", tokens.text);

    // The same session reaches Payroll without a password: its Action still decides.
    let denied = authorize(&server, &authorize_path("act-sso", &payroll), Some(&cookie)).await;
    assert!(denied.starts_with(REDIRECT), "{denied}");
    assert_eq!(query_param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&denied, "catalogue_error").as_deref(), Some("step_blocked"));
    assert_eq!(query_param(&denied, "step_id").as_deref(), action["id"].as_str());
    assert_eq!(query_param(&denied, "step_name").as_deref(), Some("Per application"));
    assert_eq!(query_param(&denied, "reason").as_deref(), Some("payroll is by invitation"));

    // Once allowed, Payroll's tokens carry Payroll's claims, not the Dashboard's.
    let path = format!("/v1/tenants/act-sso/actions/{}", action["id"].as_str().unwrap());
    let allow =
        "exports.onExecutePostLogin = async (event, api) => api.idToken.setCustomClaim('app', event.application.name);";
    patch(&server, &path, json!({ "code": allow })).await;
    let callback = authorize(&server, &authorize_path("act-sso", &payroll), Some(&cookie)).await;
    let tokens = exchange(&server, "act-sso", &payroll, &callback).await;
    assert_eq!(claims(tokens.body["id_token"].as_str().unwrap())["app"], "Payroll", "{}", tokens.text);
    // The Dashboard's own sign-in is not run again for it.
    let runs = executions_of(&server, "act-sso", action["id"].as_str().unwrap()).await.len();
    let callback = authorize(&server, &authorize_path("act-sso", &dashboard), Some(&cookie)).await;
    assert!(query_param(&callback, "code").is_some());
    assert_eq!(executions_of(&server, "act-sso", action["id"].as_str().unwrap()).await.len(), runs);
}

#[tokio::test]
async fn custom_claims_reach_the_id_and_access_tokens_and_app_metadata_is_kept() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-claims", json!({})).await;
    let client_id = spa(&server, "act-claims", "Dashboard").await;
    create_action(
        &server,
        "act-claims",
        "Roles",
        "post-login",
        "exports.onExecutePostLogin = async (event, api) => {\n  \
           api.idToken.setCustomClaim('https://example.com/roles', ['editor']);\n  \
           api.idToken.setCustomClaim('app', event.application && event.application.name);\n  \
           api.accessToken.setCustomClaim('tier', 'gold');\n  \
           api.user.setAppMetadata('last_app', event.application.client_id);\n};",
    )
    .await;

    let tokens = code_flow_tokens(&server, "act-claims", &client_id).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let id = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id["https://example.com/roles"], json!(["editor"]));
    assert_eq!(id["app"], "Dashboard");
    assert!(id.get("tier").is_none(), "access-token claims stay in the access token");
    let access = claims(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(access["tier"], "gold");
    assert!(access.get("https://example.com/roles").is_none());
    assert_eq!(access["sub"], id["sub"], "protocol claims are untouched");

    let user = server.get(&format!("/v1/tenants/act-claims/users/{}", id["sub"].as_str().unwrap())).await;
    assert_eq!(user.body["app_metadata"], json!({ "last_app": client_id }), "{}", user.text);
}

#[tokio::test]
async fn multifactor_enable_forces_a_second_factor_on_a_tenant_without_mfa() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-mfa", json!({ "mfa": { "mode": "off" } })).await;
    create_action(
        &server,
        "act-mfa",
        "Require MFA",
        "post-login",
        "exports.onExecutePostLogin = async (event, api) => {\n  \
           if (event.authentication.methods.length < 2) api.multifactor.enable('any');\n  \
           api.idToken.setCustomClaim('methods', event.authentication.methods.map((m) => m.name));\n};",
    )
    .await;

    // No factor yet: enrol one before the sign-in completes.
    let challenge = password_step(&server, "act-mfa").await;
    let details = challenge.assert_error(403, "mfa_enrolment_required").clone();
    let flow = details["flow_id"].as_str().unwrap();
    let enrolment = Reply::from(
        server.http.post(server.url(&format!("/t/act-mfa/api/login/{flow}/mfa/totp"))).send().await.unwrap(),
    )
    .await;
    let secret = enrolment.body["secret"].as_str().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let url = server.url(&format!("/t/act-mfa/api/login/{flow}/mfa"));
    let done = Reply::from(
        server.http.post(url).json(&json!({ "type": "totp", "code": totp(secret, now) })).send().await.unwrap(),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);

    // Enrolled: every sign-in now asks for the factor, though the tenant's policy is off.
    password_step(&server, "act-mfa").await.assert_error(401, "mfa_required");
}

#[tokio::test]
async fn versions_order_secrets_and_test_runs_through_the_management_api() {
    let server = Server::start().await;
    tenant_with_user(&server, "act-mgmt", json!({})).await;
    let deny_a = "exports.onExecutePostLogin = async (e, api) => api.access.deny('A');";
    let a = create_action(&server, "act-mgmt", "A", "post-login", deny_a).await;
    let b = create_action(
        &server,
        "act-mgmt",
        "B",
        "post-login",
        "exports.onExecutePostLogin = async (e, api) => api.access.deny('B');",
    )
    .await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    assert_eq!((a["position"].as_i64(), b["position"].as_i64()), (Some(0), Some(1)));

    // Order decides which deny is seen first.
    assert_eq!(password_step(&server, "act-mgmt").await.body["details"]["reason"], "A");
    let order = server
        .call(
            Method::PUT,
            "/v1/tenants/act-mgmt/triggers/post-login/order",
            Some(json!({ "action_ids": [b_id, a_id] })),
        )
        .await;
    assert_eq!(order.status, StatusCode::OK, "{}", order.text);
    assert_eq!(password_step(&server, "act-mgmt").await.body["details"]["reason"], "B");
    let partial = server
        .call(Method::PUT, "/v1/tenants/act-mgmt/triggers/post-login/order", Some(json!({ "action_ids": [a_id] })))
        .await;
    // A list that misses one (as after a creation the caller has not seen) is stale: the
    // answer says so and carries the current order; nothing moves.
    partial.assert_error(412, "precondition_failed");
    assert_eq!(partial.body["details"]["current_order"], json!([b_id, a_id]));
    let twice = server
        .call(
            Method::PUT,
            "/v1/tenants/act-mgmt/triggers/post-login/order",
            Some(json!({ "action_ids": [a_id, a_id] })),
        )
        .await;
    twice.assert_error(400, "validation_failed");
    assert_eq!(twice.body["details"]["fields"]["action_ids[1]"][0], "is listed twice");
    let unknown = server
        .call(
            Method::PUT,
            "/v1/tenants/act-mgmt/triggers/post-login/order",
            Some(json!({ "action_ids": [a_id, "act_nope"] })),
        )
        .await;
    unknown.assert_error(404, "not_found");
    assert_eq!(unknown.body["details"]["action_id"], "act_nope");
    assert_eq!(password_step(&server, "act-mgmt").await.body["details"]["reason"], "B");

    // Every code change is a version; an old one can be restored as a new one.
    let path = format!("/v1/tenants/act-mgmt/actions/{a_id}");
    let changed = patch(&server, &path, json!({ "code": "exports.onExecutePostLogin = async () => {};" })).await;
    assert_eq!(changed.body["version"], 2);
    let versions = server.get(&format!("{path}/versions")).await;
    let listed: Vec<i64> =
        versions.body["data"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(listed, vec![2, 1]);
    let restored = server.post(&format!("{path}/versions/1/restore"), json!({})).await;
    assert_eq!((restored.body["version"].as_i64(), restored.body["code"].as_str()), (Some(3), Some(deny_a)));

    // Secrets: written, listed by name only, read by the Action as event.secrets.
    let secret_code = "exports.onExecutePostLogin = async (event, api) => {\n  \
                       api.accessToken.setCustomClaim('key_length', event.secrets.API_KEY.length);\n  \
                       api.user.setAppMetadata('touched', true);\n  console.log('hi', event.user.email);\n};";
    let with_secret =
        patch(&server, &path, json!({ "code": secret_code, "secrets": { "API_KEY": "s3cr3t-value" } })).await;
    assert_eq!(with_secret.body["secrets"], json!(["API_KEY"]), "{}", with_secret.text);
    assert!(!with_secret.text.contains("s3cr3t-value"));
    assert!(!server.get(&path).await.text.contains("s3cr3t-value"));
    if server.schema.is_none() {
        // Sealed at rest: neither the SQLite file nor its write-ahead log holds the value.
        for file in std::fs::read_dir(&server.data_dir).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            assert!(!bytes.windows(12).any(|window| window == b"s3cr3t-value"), "a secret in plain text at rest");
        }
    }

    // A test run shows what the Action would do, applies nothing, and is logged as a test.
    let user_id = server.get("/v1/tenants/act-mgmt/users").await.body["data"][0]["id"].as_str().unwrap().to_owned();
    let run = server
        .post(&format!("{path}/test"), json!({ "event": { "user": { "user_id": user_id, "email": "t@example.com" } } }))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(run.body["execution"]["outcome"], "success");
    assert_eq!(run.body["execution"]["test"], true);
    assert_eq!(run.body["execution"]["console"], json!(["log hi t@example.com"]));
    assert_eq!(run.body["api_calls"]["access_token_claims"], json!({ "key_length": 12 }));
    let user = server.get(&format!("/v1/tenants/act-mgmt/users/{user_id}")).await;
    assert_eq!(user.body["app_metadata"], json!({}), "a test run changes no user");
    let sample = server.post(&format!("{path}/test"), json!({})).await;
    assert_eq!(sample.body["execution"]["console"], json!(["log hi sample@example.com"]), "{}", sample.text);

    let bad =
        server.post("/v1/tenants/act-mgmt/actions", json!({ "name": "", "trigger": "on-login", "code": "" })).await;
    let fields = &bad.assert_error(400, "validation_failed")["fields"];
    assert!(fields["name"].is_array() && fields["trigger"].is_array() && fields["code"].is_array(), "{fields}");
    let gone = server.call(Method::DELETE, &format!("/v1/tenants/act-mgmt/actions/{b_id}"), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    server.get(&format!("/v1/tenants/act-mgmt/actions/{b_id}")).await.assert_error(404, "not_found");
}

fn weather(_: &str) -> String {
    r#"{"forecast":"sunny"}"#.into()
}

#[tokio::test]
async fn fetch_reaches_allowed_hosts_only() {
    let stub = StubHttp::start(weather).await;
    let host = stub.url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    // The stub is on loopback, which instances refuse unless told (as for webhooks).
    let server = Server::start_with(Options::default().arg("--webhooks-allow-loopback", "true")).await;
    tenant_with_user(&server, "act-fetch", json!({ "actions": { "allowed_hosts": [host] } })).await;
    let code = format!(
        "exports.onExecutePostLogin = async (event, api) => {{\n  \
           const answer = await fetch('{}', {{ method: 'POST', body: 'q' }});\n  \
           api.idToken.setCustomClaim('forecast', (await answer.json()).forecast);\n}};",
        stub.url
    );
    let action = create_action(&server, "act-fetch", "Weather", "post-login", &code).await;
    let path = format!("/v1/tenants/act-fetch/actions/{}", action["id"].as_str().unwrap());
    let run = server.post(&format!("{path}/test"), json!({})).await;
    assert_eq!(run.body["api_calls"]["id_token_claims"], json!({ "forecast": "sunny" }), "{}", run.text);

    // Listing a host does not open the instance's own network: a strict instance refuses
    // loopback even when the tenant allows it by name.
    let strict = server.restart(Options::default()).await;
    let refused = strict.post(&format!("{path}/test"), json!({})).await;
    let error = refused.body["execution"]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("loopback"), "{}", refused.text);
    let server = strict;

    let elsewhere = "exports.onExecutePostLogin = async () => { await fetch('http://example.com/'); };";
    patch(&server, &path, json!({ "code": elsewhere })).await;
    password_step(&server, "act-fetch").await.assert_error(500, "step_error");
    let execution = &executions_of(&server, "act-fetch", action["id"].as_str().unwrap()).await[0];
    assert!(execution["error"].as_str().unwrap().contains("example.com is not an allowed host"), "{execution}");
}

#[tokio::test]
async fn registration_triggers_block_before_and_run_after() {
    let server = Server::start().await;
    server.tenant("act-reg", json!({})).await;
    create_action(
        &server,
        "act-reg",
        "Company addresses only",
        "pre-user-registration",
        "exports.onExecutePreUserRegistration = async (event, api) => {\n  \
           if (!event.user.email.endsWith('@example.com')) api.access.deny('use your work address');\n  \
           api.user.setAppMetadata('source', 'self-service');\n};",
    )
    .await;
    let after = create_action(
        &server,
        "act-reg",
        "Welcome",
        "post-user-registration",
        "exports.onExecutePostUserRegistration = async (event) => { console.log('welcome', event.user.user_id); };",
    )
    .await;

    let flow = server.flow("act-reg", "registration").await;
    let blocked = server
        .submit("act-reg", "registration", &flow, json!({ "email": "eve@elsewhere.test", "password": PASSWORD }))
        .await;
    assert_eq!(blocked.assert_error(403, "step_blocked")["reason"], "use your work address");
    let users = server.get("/v1/tenants/act-reg/users").await;
    assert_eq!(users.body["data"], json!([]), "a blocked registration creates no user");

    let flow = server.flow("act-reg", "registration").await;
    let accepted = server
        .submit("act-reg", "registration", &flow, json!({ "email": "bob@example.com", "password": PASSWORD }))
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
    let user = &server.get("/v1/tenants/act-reg/users").await.body["data"][0];
    assert_eq!(user["app_metadata"], json!({ "source": "self-service" }));

    // The post-registration Action runs after the answer; its execution shows up shortly.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let executions = executions_of(&server, "act-reg", after["id"].as_str().unwrap()).await;
        if let Some(execution) = executions.first() {
            assert_eq!(execution["console"], json!([format!("log welcome {}", user["id"].as_str().unwrap())]));
            break;
        }
        assert!(Instant::now() < deadline, "the post-user-registration Action never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
