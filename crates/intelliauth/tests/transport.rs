//! Transport errors over real HTTP: rate limits, panics, deadlines, body limits, slow
//! clients, request ids and metrics.

mod common;

use std::time::{Duration, Instant};

use common::{Options, Reply, Server};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn per_ip_rate_limit_answers_rate_limited_with_retry_after() {
    let server =
        Server::start_with(Options::default().arg("--rate-limit-ip-per-s", 1).arg("--rate-limit-ip-burst", 3)).await;
    for _ in 0..3 {
        assert_eq!(server.get("/v1/errors").await.status, StatusCode::OK);
    }
    let limited = server.get("/v1/errors").await;
    let details = limited.assert_error(429, "rate_limited");
    limited.assert_catalogue_message();
    assert_eq!(details["limit"], "ip");
    let retry_after: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(details["retry_after_s"], retry_after, "the body says it too, as every retryable code does");
    // Probes are never rate limited.
    assert_eq!(server.get("/healthz").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_eq!(server.get("/v1/errors").await.status, StatusCode::OK, "the limit recovers after Retry-After");
}

#[tokio::test]
async fn per_credential_rate_limit_is_separate_per_credential() {
    let server = Server::start_with(
        Options::default()
            .arg("--rate-limit-ip-per-s", 0)
            .arg("--rate-limit-credential-per-s", 1)
            .arg("--rate-limit-credential-burst", 2),
    )
    .await;
    let other = server.credential(&["users:read"], None).await; // the bootstrap credential's first request
    assert_eq!(server.get("/v1/tenants/default/users").await.status, StatusCode::OK);
    let limited = server.get("/v1/tenants/default/users").await;
    assert_eq!(limited.assert_error(429, "rate_limited")["limit"], "credential");
    assert!(limited.header("retry-after").is_some());
    let response = server.http.get(server.url("/v1/tenants/default/users")).bearer_auth(&other).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "another credential has its own budget");
}

#[tokio::test]
async fn a_panicking_handler_is_server_error_and_the_server_keeps_serving() {
    let server = Server::start_with(Options::default().arg("--fault-injection", true)).await;
    let reply = server.get("/__fault/panic").await;
    reply.assert_error(500, "server_error");
    reply.assert_catalogue_message();
    assert!(!reply.text.contains("deliberate"), "nothing internal is sent: {}", reply.text);
    let request_id = reply.body["request_id"].as_str().unwrap().to_owned();

    assert_eq!(server.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(server.get("/v1/tenants/default").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = server.logs();
    let lines: Vec<_> = logs.lines().filter(|line| line.contains("deliberate panic")).collect();
    assert!(!lines.is_empty(), "the cause is logged: {logs}");
    for line in lines {
        assert!(line.contains(&request_id), "every log line of the panic carries the request id: {line}");
    }
}

#[tokio::test]
async fn fault_routes_do_not_exist_by_default() {
    let server = Server::start().await;
    server.get("/__fault/panic").await.assert_error(404, "not_found");
}

#[tokio::test]
async fn a_handler_past_the_deadline_is_service_unavailable() {
    let server =
        Server::start_with(Options::default().arg("--fault-injection", true).arg("--request-timeout-s", 1)).await;
    let started = Instant::now();
    let reply = server.get("/__fault/sleep/5000").await;
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    reply.assert_error(503, "service_unavailable");
    assert!(reply.header("retry-after").is_some());
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = Server::start().await;
    let big = json!({ "email": "big@example.com", "name": "x".repeat(70 * 1024) });
    let reply = server.post("/v1/tenants/default/users", big).await;
    let fields = &reply.assert_error(413, "validation_failed")["fields"];
    assert!(fields["body"][0].as_str().unwrap().contains("65536"), "{}", reply.text);
}

async fn read_all_within(stream: &mut TcpStream, limit: Duration) -> String {
    let mut buffer = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut buffer))
        .await
        .expect("the server answers instead of hanging");
    String::from_utf8_lossy(&buffer).into_owned()
}

#[tokio::test]
async fn a_slow_body_is_network_error_and_slow_headers_are_cut_off() {
    let server = Server::start_with(Options::default().arg("--client-timeout-s", 1)).await;
    let address = server.base.trim_start_matches("http://").to_owned();

    let mut slow_body = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/tenants/default/users HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"em",
        server.token
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let response = read_all_within(&mut slow_body, Duration::from_secs(5)).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":\"network_error\"") && response.contains("request_id"), "{response}");
    assert!(started.elapsed() < Duration::from_secs(4));

    let mut slow_headers = TcpStream::connect(&address).await.unwrap();
    slow_headers.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();
    let _ = read_all_within(&mut slow_headers, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(4), "the connection is closed after the header timeout");
    assert_eq!(server.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = Server::start().await;
    for path in ["/healthz", "/v1/errors", "/v1/tenants/default", "/missing"] {
        let reply = server.get(path).await;
        assert!(reply.header("x-request-id").is_some_and(|id| id.len() >= 16), "{path}");
    }
    let echoed = server.http.get(server.url("/healthz")).header("x-request-id", "trace-abc_123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-abc_123");
    let hostile = server.http.get(server.url("/healthz")).header("x-request-id", "a b\tc{}").send().await.unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b\tc{}", "ids that could forge log lines are replaced");
}

#[tokio::test]
async fn metrics_count_requests_by_route_status_and_error_code() {
    let server = Server::start().await;
    let id = server.create_user("m@example.com").await;
    server.get(&format!("/v1/tenants/default/users/{id}")).await;
    server.get("/v1/tenants/default/users/usr_missing").await;
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"intelliauth_http_requests_total{method="GET",route="/v1/tenants/{tenant_id}/users/{user_id}",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"intelliauth_errors_total{code="not_found"} 1"#), "{metrics}");
    assert!(metrics.contains("intelliauth_http_request_duration_seconds_bucket"), "{metrics}");
}

#[tokio::test]
async fn secrets_stay_out_of_logs_and_the_banner() {
    let server = Server::start().await;
    let password = "correct horse battery staple";
    let created =
        server.post("/v1/tenants/default/users", json!({ "email": "s@example.com", "password": password })).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let app_body = json!({ "name": "S", "client_type": "confidential", "redirect_uris": ["https://s.example/cb"] });
    let app = server.post("/v1/tenants/default/applications", app_body).await;
    let secret = app.body["client_secret"].as_str().unwrap().to_owned();
    let wrong = server.http.get(server.url("/v1/tenants")).bearer_auth("iam_guessed-token-value").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (logs, banner) = (server.logs(), server.stdout());
    for secret in [server.token.as_str(), password, secret.as_str(), "iam_guessed-token-value"] {
        assert!(!logs.contains(secret), "a secret reached the logs");
        assert!(!banner.contains(secret), "a configured secret reached stdout");
    }
    assert!(banner.contains("/v1/openapi.json"), "{banner}");
}

#[tokio::test]
async fn settings_come_from_a_config_file_below_flags() {
    let dir = std::env::temp_dir().join(format!("intelliauth-config-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("intelliauth.toml");
    std::fs::write(&file, "max_body_bytes = 200\nrate_limit_ip_per_s = 0\n").unwrap();
    let server = Server::start_with(Options::default().arg("--config", file.display())).await;
    let reply =
        server.post("/v1/tenants/default/users", json!({ "email": "c@example.com", "name": "x".repeat(300) })).await;
    assert!(reply.assert_error(413, "validation_failed")["fields"]["body"][0].as_str().unwrap().contains("200"));
    drop(server);

    let flagged =
        Server::start_with(Options::default().arg("--config", file.display()).arg("--max-body-bytes", 100_000)).await;
    let reply =
        flagged.post("/v1/tenants/default/users", json!({ "email": "c@example.com", "name": "x".repeat(150) })).await;
    assert_eq!(reply.status, StatusCode::CREATED, "the flag wins over the file: {}", reply.text);

    std::fs::write(&file, "max_body_bytez = 1\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"))
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("max_body_bytez"), "names the bad key");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn readiness_and_liveness_report_ok_when_healthy() {
    let server = Server::start().await;
    let ready = server.get("/readyz").await;
    assert_eq!((ready.status, ready.body["status"].as_str()), (StatusCode::OK, Some("ready")));
    let live = Reply::from(server.http.get(server.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(live.body["status"], "ok");
    let index = server.get("/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.body["links"]["openapi"].as_str().unwrap().ends_with("/v1/openapi.json"), "{}", index.text);
}

async fn status_from(server: &Server, forwarded_for: &str) -> u16 {
    let response =
        server.http.get(server.url("/v1/errors")).header("x-forwarded-for", forwarded_for).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn forwarded_client_addresses_count_only_behind_a_trusted_proxy() {
    let limits = || Options::default().arg("--rate-limit-ip-per-s", 1).arg("--rate-limit-ip-burst", 1);
    // The test talks from 127.0.0.1, playing the reverse proxy.
    let behind_proxy = Server::start_with(limits().arg("--trusted-proxies", "127.0.0.1")).await;
    assert_eq!(status_from(&behind_proxy, "198.51.100.1").await, 200);
    assert_eq!(status_from(&behind_proxy, "198.51.100.1").await, 429, "the same client is limited");
    assert_eq!(
        status_from(&behind_proxy, "198.51.100.2").await,
        200,
        "another client behind the proxy has its own budget"
    );

    let direct = Server::start_with(limits()).await;
    assert_eq!(status_from(&direct, "198.51.100.1").await, 200);
    assert_eq!(
        status_from(&direct, "198.51.100.2").await,
        429,
        "an untrusted peer cannot pick its address with a header"
    );
}
