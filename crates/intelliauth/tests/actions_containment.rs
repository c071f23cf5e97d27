//! A hostile tenant admin's Actions, over HTTP against the real binary: a promise-job flood
//! ends at its budget and SIGTERM still stops the server; one tenant saturating its share
//! leaves another's sign-in its normal latency; forged protocol claims never pass the host;
//! huge strings are bounded everywhere they go; results are bounded before they are copied
//! (RSS sampled from /proc); secrets are masked; Action failures are not operator errors.

mod common;

use std::time::{Duration, Instant};

use common::{Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn action(server: &Server, tenant: &str, name: &str, code: &str) -> String {
    let body = json!({ "name": name, "trigger": "post-login", "code": code });
    let reply = server.post(&format!("/v1/tenants/{tenant}/actions"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn test_run(server: &Server, tenant: &str, id: &str) -> Reply {
    server.post(&format!("/v1/tenants/{tenant}/actions/{id}/test"), json!({})).await
}

async fn tenant(server: &Server, id: &str, timeout_ms: u64) {
    server.tenant(id, json!({ "actions": { "timeout_ms": timeout_ms } })).await;
    server.user_with_password(id, "ada@example.com", PASSWORD, true).await;
}

const FLOOD: &str = "exports.onExecutePostLogin = async () => {\n\
    const f = () => { Promise.resolve().then(f); Promise.resolve().then(f); };\n\
    f();\n\
    await new Promise(() => {});\n\
};";

#[tokio::test]
async fn a_promise_job_flood_ends_at_its_budget_and_sigterm_still_stops_the_server() {
    let mut server = Server::start().await;
    tenant(&server, "flood", 1000).await;
    let id = action(&server, "flood", "flood", FLOOD).await;
    let started = Instant::now();
    let run = test_run(&server, "flood", &id).await;
    let took = started.elapsed();
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(run.body["execution"]["outcome"], "timeout", "{}", run.text);
    assert!(took < Duration::from_millis(2500), "a 1 s budget took {took:?}");
    let logged = server.get(&format!("/v1/tenants/flood/actions/{id}/executions")).await;
    assert_eq!(logged.body["data"].as_array().unwrap().len(), 1, "the execution is logged");

    // Floods in flight while the server is asked to stop.
    let runs: Vec<_> = (0..4)
        .map(|_| server.request(Method::POST, &format!("/v1/tenants/flood/actions/{id}/test")).json(&json!({})).send())
        .collect();
    let pending = tokio::spawn(futures_all(runs));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let exited = server.terminate(Duration::from_secs(12)).await;
    assert!(exited.is_some(), "SIGTERM did not stop the server within its grace");
    let _ = pending.await;
}

async fn futures_all<F: std::future::Future>(futures: Vec<F>) {
    for future in futures {
        let _ = future.await;
    }
}

#[tokio::test]
async fn a_tenant_saturating_its_share_leaves_another_tenants_sign_in_its_latency() {
    let server = Server::start_with(Options::unlimited()).await;
    tenant(&server, "hog", 1500).await;
    tenant(&server, "calm", 1000).await;
    action(
        &server,
        "calm",
        "quick",
        "exports.onExecutePostLogin = async (e, api) => { api.accessToken.setCustomClaim('t', 1); };",
    )
    .await;
    let spinner = "exports.onExecutePostLogin = async () => { while (true) {} };";
    let mut hogs = Vec::new();
    for n in 0..8 {
        hogs.push(action(&server, "hog", &format!("spin {n}"), spinner).await);
    }
    // The bystander's normal latency first.
    let mut normal = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let reply = server.sign_in("calm", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        normal.push(started.elapsed());
    }
    let normal = normal.into_iter().max().unwrap();
    let runs: Vec<_> = hogs
        .iter()
        .map(|id| server.request(Method::POST, &format!("/v1/tenants/hog/actions/{id}/test")).json(&json!({})).send())
        .collect();
    let saturating = tokio::spawn(futures_all(runs));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for round in 0..3 {
        let started = Instant::now();
        let reply = server.sign_in("calm", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        let took = started.elapsed();
        assert_eq!(reply.status, StatusCode::OK, "round {round}: {}", reply.text);
        assert!(took < normal * 3 + Duration::from_millis(400), "round {round}: {took:?} against {normal:?} unloaded");
    }
    saturating.await.unwrap();
}

#[tokio::test]
async fn protocol_claims_cannot_be_forged_past_the_host() {
    let server = Server::start().await;
    tenant(&server, "forge", 1000).await;
    let attempts = [
        "Set.prototype.has = () => false;\nexports.onExecutePostLogin = async (e, api) => api.idToken.setCustomClaim('nonce', 'x');",
        "const forged = JSON.stringify({ ok: true, commands: { accessTokenClaims: { cnf: { jkt: 'x' } } } });\nObject.defineProperty(globalThis, '__outcome', { get: () => forged, set: () => {} });\nexports.onExecutePostLogin = async () => {};",
        "const s = JSON.stringify;\nJSON.stringify = (v) => s(v).replace('\"nbf_\"', '\"nbf\"');\nexports.onExecutePostLogin = async (e, api) => api.idToken.setCustomClaim('nbf_', 1);",
        "Set.prototype.has = () => false;\nexports.onExecutePostLogin = async (e, api) => api.idToken.setCustomClaim('email_verified', true);",
    ];
    for (n, code) in attempts.iter().enumerate() {
        let id = action(&server, "forge", &format!("forge {n}"), code).await;
        let run = test_run(&server, "forge", &id).await;
        assert_eq!(run.body["execution"]["outcome"], "error", "attempt {n}: {}", run.text);
        assert!(
            run.body["execution"]["error"].as_str().unwrap_or_default().contains("reserved claim"),
            "attempt {n}: {}",
            run.text
        );
        // And a sign-in through it ends in step_error, with no token.
        let reply = server.sign_in("forge", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        reply.assert_error(500, "step_error");
        server.call(Method::PATCH, &format!("/v1/tenants/forge/actions/{id}"), Some(json!({ "enabled": false }))).await;
    }
}

#[tokio::test]
async fn huge_strings_are_bounded_wherever_they_go_and_secrets_are_masked() {
    let server = Server::start().await;
    tenant(&server, "big", 2000).await;
    let deny = action(
        &server,
        "big",
        "deny",
        "exports.onExecutePostLogin = async (e, api) => api.access.deny('r'.repeat(4 << 20));",
    )
    .await;
    let blocked = server.sign_in("big", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
    let reason = blocked.assert_error(403, "step_blocked")["reason"].as_str().unwrap().to_owned();
    assert!(reason.chars().count() <= 301, "details.reason of {} characters", reason.chars().count());
    assert!(blocked.text.len() < 4096, "a sign-in answer of {} bytes", blocked.text.len());
    server.call(Method::PATCH, &format!("/v1/tenants/big/actions/{deny}"), Some(json!({ "enabled": false }))).await;

    let thrower = action(
        &server,
        "big",
        "throw",
        "exports.onExecutePostLogin = async (e) => {\n  console.log('key', e.secrets.API_KEY);\n  throw new Error('m'.repeat(1 << 20) + e.secrets.API_KEY);\n};",
    )
    .await;
    let path = format!("/v1/tenants/big/actions/{thrower}");
    server.call(Method::PATCH, &path, Some(json!({ "secrets": { "API_KEY": "sk_live_0123456789" } }))).await;
    let run = test_run(&server, "big", &thrower).await;
    assert!(run.text.len() < 16 * 1024, "a test-run answer of {} bytes", run.text.len());
    let execution = &run.body["execution"];
    assert!(
        execution["error"].as_str().unwrap().len() <= 4 * 1024 + 64,
        "{}",
        execution["error"].as_str().unwrap().len()
    );
    assert_eq!(execution["console"], json!(["log key [secret API_KEY]"]));
    let failed = server.sign_in("big", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
    failed.assert_error(500, "step_error");
    let reader = server.credential(&["actions:read"], Some("big")).await;
    let log = Reply::from(
        server.http.get(server.url(&format!("{path}/executions"))).bearer_auth(&reader).send().await.unwrap(),
    )
    .await;
    assert!(!log.text.contains("sk_live_0123456789"), "a secret in the execution log");
    let logs = server.logs();
    assert!(!logs.contains("sk_live_0123456789"), "a secret in the server log");
    assert!(logs.lines().all(|line| line.len() < 8 * 1024), "a server log line over 8 KiB");
    assert!(
        !logs.lines().any(|line| line.contains("ERROR") && line.contains("step_error")),
        "an Action failure logged as an operator error"
    );
}

fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

#[tokio::test]
async fn large_results_are_refused_inside_the_engine_so_memory_stays_bounded() {
    let server = Server::start().await;
    tenant(&server, "rss", 3000).await;
    let id = action(
        &server,
        "rss",
        "big claim",
        "exports.onExecutePostLogin = async (e, api) => api.idToken.setCustomClaim('big', 'x'.repeat(8 << 20));",
    )
    .await;
    let pid = server.pid();
    let before = rss_mib(pid);
    let runs: Vec<_> = (0..8)
        .map(|_| server.request(Method::POST, &format!("/v1/tenants/rss/actions/{id}/test")).json(&json!({})).send())
        .collect();
    let sampling = tokio::spawn(async move {
        let mut peak = 0;
        for _ in 0..60 {
            peak = peak.max(rss_mib(pid));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        peak
    });
    let mut outcomes: Vec<Value> = Vec::new();
    for run in runs {
        outcomes.push(Reply::from(run.await.unwrap()).await.body["execution"].clone());
    }
    let peak = sampling.await.unwrap();
    for outcome in &outcomes {
        assert_eq!(outcome["outcome"], "error", "{outcome}");
        assert!(outcome["error"].as_str().unwrap().contains("result is"), "{outcome}");
    }
    eprintln!("RSS {before} MiB before, {peak} MiB at the peak");
    // Eight executions in the 32 MiB heaps at most, plus the server itself.
    assert!(peak < before + 8 * 32 + 64, "RSS rose from {before} to {peak} MiB");
}

#[tokio::test]
async fn fetch_cannot_choose_its_host_header() {
    let server = Server::start_with(Options::default().arg("--webhooks-allow-loopback", true)).await;
    let stub = common::stub_http::StubHttp::start(|_| "{}".to_owned()).await;
    let host = stub.url.trim_start_matches("http://").split('/').next().unwrap().split(':').next().unwrap().to_owned();
    server.tenant("hosty", json!({ "actions": { "allowed_hosts": [host] } })).await;
    let code = format!(
        "exports.onExecutePostLogin = async () => {{ await fetch('{}', {{ headers: {{ Host: 'internal.example' }} }}); }};",
        stub.url
    );
    let id = action(&server, "hosty", "host", &code).await;
    let run = test_run(&server, "hosty", &id).await;
    assert!(
        run.body["execution"]["error"].as_str().unwrap_or_default().contains("Host header cannot be set"),
        "{}",
        run.text
    );
}

#[tokio::test]
async fn odd_values_read_plainly_in_the_log_and_to_the_user() {
    let server = Server::start().await;
    tenant(&server, "odd", 1000).await;
    let thrower = action(&server, "odd", "null", "exports.onExecutePostLogin = async () => { throw null; };").await;
    let run = test_run(&server, "odd", &thrower).await;
    let error = run.body["execution"]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.starts_with("Uncaught null (") && !error.contains("out of memory"), "{}", run.text);
    let deep = action(
        &server,
        "odd",
        "deep",
        "exports.onExecutePostLogin = async () => { let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; JSON.stringify(o); };",
    )
    .await;
    let run = test_run(&server, "odd", &deep).await;
    let error = run.body["execution"]["error"].as_str().unwrap_or_default().to_owned();
    assert!(!error.is_empty() && error != "Uncaught null", "a native stack overflow says what happened: {}", run.text);
    server.call(Method::PATCH, &format!("/v1/tenants/odd/actions/{thrower}"), Some(json!({ "enabled": false }))).await;
    server.call(Method::PATCH, &format!("/v1/tenants/odd/actions/{deep}"), Some(json!({ "enabled": false }))).await;

    action(
        &server,
        "odd",
        "surrogate",
        "exports.onExecutePostLogin = async (e, api) => api.access.deny('half \\ud800 pair');",
    )
    .await;
    let blocked = server.sign_in("odd", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
    assert_eq!(blocked.assert_error(403, "step_blocked")["reason"], "half \u{fffd} pair", "a deny stays a deny");
}
