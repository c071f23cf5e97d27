//! Limits every node shares through Redis: the per-IP rate limit, the captcha's failed
//! sign-ins per address and the mail throttle hold across nodes on one database; without
//! Redis, or while it is away or hangs, each node counts on its own and every request is
//! still answered; when it returns, counting is shared again.

mod common;

use std::time::{Duration, Instant};

use common::tcp_proxy::{Mode, TcpProxy};
use common::{redis_addr, unique, with_redis, Options, Server};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// A per-IP limit small enough to reach: a burst of `burst`, then one request a second.
fn limited_to(burst: u32) -> Options {
    Options::default().arg("--rate-limit-ip-per-s", 1).arg("--rate-limit-ip-burst", burst)
}

/// How many of `count` requests, sent round-robin to `nodes`, were answered 200; every
/// other answer must be `rate_limited` with a Retry-After.
async fn passed(nodes: &[&Server], count: usize) -> usize {
    let mut passed = 0;
    for n in 0..count {
        let node = nodes[n % nodes.len()];
        let reply = node.get("/t/default/.well-known/openid-configuration").await;
        if reply.status == StatusCode::OK {
            passed += 1;
        } else {
            reply.assert_error(429, "rate_limited");
            assert!(reply.header("retry-after").is_some());
        }
    }
    passed
}

async fn readiness(node: &Server) -> String {
    node.get("/readyz").await.body["rate_limits"].as_str().unwrap_or_default().to_owned()
}

async fn shared_gauge(node: &Server) -> String {
    let metrics = node.http.get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    metrics.lines().find(|line| line.starts_with("intelliauth_rate_limits_shared ")).unwrap_or_default().to_owned()
}

/// Waits, with requests that try Redis again, until the node's limits are shared again.
async fn shared_again(node: &Server) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while readiness(node).await != "shared (Redis)" {
        assert!(Instant::now() < deadline, "limits are shared again once Redis answers");
        node.get("/t/default/.well-known/openid-configuration").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_rate_limit_holds_across_three_nodes_with_redis_and_is_per_node_without() {
    let prefix = unique("ia-test-");
    let first = Server::start_with(with_redis(limited_to(20), &redis_addr(), &prefix)).await;
    let second = first.start_sibling(with_redis(limited_to(20), &redis_addr(), &prefix)).await;
    let third = first.start_sibling(with_redis(limited_to(20), &redis_addr(), &prefix)).await;
    assert_eq!(readiness(&first).await, "shared (Redis)");
    assert_eq!(shared_gauge(&second).await, "intelliauth_rate_limits_shared 1");

    let started = Instant::now();
    let shared = passed(&[&first, &second, &third], 90).await;
    let refills = started.elapsed().as_secs() as usize + 1;
    assert!(shared <= 20 + refills, "one budget for the cluster: {shared} of 90 passed in {:?}", started.elapsed());

    // The same three nodes without Redis: each has its own budget.
    let alone = Server::start_with(limited_to(20)).await;
    let alone_too = alone.start_sibling(limited_to(20)).await;
    let alone_three = alone.start_sibling(limited_to(20)).await;
    assert_eq!(readiness(&alone).await, "per node");
    let per_node = passed(&[&alone, &alone_too, &alone_three], 90).await;
    assert!(per_node >= 60, "three budgets of 20: {per_node}");
    if alone.schema.is_some() {
        assert!(
            alone.logs().contains("no --redis-url"),
            "a PostgreSQL node without Redis says its limits are per node"
        );
    }
}

#[tokio::test]
async fn redis_away_or_hanging_leaves_requests_answered_with_per_node_limits_until_it_returns() {
    let proxy = TcpProxy::start(&redis_addr()).await;
    let through_proxy = format!("127.0.0.1:{}", proxy.port);
    let node = Server::start_with(with_redis(limited_to(5), &through_proxy, &unique("ia-test-"))).await;
    assert_eq!(readiness(&node).await, "shared (Redis)");

    for outage in [Mode::Refuse, Mode::Hang] {
        proxy.set(outage);
        let started = Instant::now();
        let answered = passed(&[&node], 12).await;
        assert!(started.elapsed() < Duration::from_secs(6), "{outage:?}: 12 requests took {:?}", started.elapsed());
        assert!(answered <= 5 + 7, "{outage:?}: the node still limits, on its own ({answered} of 12)");
        assert_eq!(readiness(&node).await, "per node (Redis unavailable)", "{outage:?}");
        assert_eq!(shared_gauge(&node).await, "intelliauth_rate_limits_shared 0");
        assert!(node.logs().contains("Redis went away"), "{outage:?}: said in the log");

        proxy.set(Mode::Forward);
        shared_again(&node).await;
        assert_eq!(shared_gauge(&node).await, "intelliauth_rate_limits_shared 1");
    }
    assert!(node.logs().contains("Redis answers"));
}

#[tokio::test]
async fn a_node_started_while_redis_is_away_serves_and_shares_once_it_answers() {
    let proxy = TcpProxy::start(&redis_addr()).await;
    proxy.set(Mode::Refuse);
    let through_proxy = format!("127.0.0.1:{}", proxy.port);
    let node = Server::start_with(with_redis(Options::default(), &through_proxy, &unique("ia-test-"))).await;
    assert_eq!(node.get("/t/default/.well-known/openid-configuration").await.status, StatusCode::OK);
    assert_eq!(readiness(&node).await, "per node (Redis unavailable)");
    proxy.set(Mode::Forward);
    shared_again(&node).await;
}

#[tokio::test]
async fn failed_sign_ins_from_one_address_count_on_every_node_for_the_captcha() {
    let prefix = unique("ia-test-");
    let first = Server::start_with(with_redis(Options::default(), &redis_addr(), &prefix)).await;
    let second = first.start_sibling(with_redis(Options::default(), &redis_addr(), &prefix)).await;
    let policy =
        json!({ "sign_in": { "captcha": { "mode": "after_failures", "ip_failures": 2, "account_failures": 100 } } });
    first.tenant("spread", policy).await;
    first.user_with_password("spread", "c@example.com", PASSWORD, true).await;
    for (node, email) in [(&first, "a@example.com"), (&second, "b@example.com")] {
        node.sign_in("spread", json!({ "email": email, "password": "spray" }))
            .await
            .assert_error(401, "invalid_credentials");
    }
    // One failure on each node: two from this address, so the captcha is asked for on both.
    for node in [&first, &second] {
        let asked = node.sign_in("spread", json!({ "email": "c@example.com", "password": PASSWORD })).await;
        asked.assert_error(400, "captcha_required");
    }
}

#[tokio::test]
async fn the_mail_throttle_counts_requests_made_on_every_node() {
    let prefix = unique("ia-test-");
    let first = Server::start_with(with_redis(Options::default(), &redis_addr(), &prefix)).await;
    let second = first.start_sibling(with_redis(Options::default(), &redis_addr(), &prefix)).await;
    first.user_with_password("default", "late@example.com", PASSWORD, false).await;
    let resend = |node: &Server| {
        let request =
            node.http.post(node.url("/t/default/api/verification")).json(&json!({ "email": "late@example.com" }));
        async move { common::Reply::from(request.send().await.unwrap()).await }
    };
    for node in [&first, &second, &first] {
        assert_eq!(resend(node).await.status, StatusCode::ACCEPTED);
    }
    let limited = resend(&second).await;
    limited.assert_error(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
}
