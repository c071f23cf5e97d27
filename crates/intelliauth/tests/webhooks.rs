//! Webhooks end to end: events from real changes, Standard Webhooks signatures, every
//! delivery-feed observation against real local receivers, retries into the dead-letter
//! queue and replay, the SSRF guard at save and at connect time, a SIGKILL mid-delivery,
//! and two nodes sharing the work.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::receiver::{Answer, Delivery, Receiver};
use common::{Options, Server};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

const WAIT: Duration = Duration::from_secs(20);

/// A server that may deliver to loopback receivers, retrying quickly.
fn local_options(schedule: &str) -> Options {
    local_options_with_timeout(schedule, 1500)
}

fn local_options_with_timeout(schedule: &str, timeout_ms: u64) -> Options {
    Options::default()
        .arg("--webhooks-allow-loopback", true)
        .arg("--webhook-retry-schedule", schedule)
        .arg("--webhook-timeout-ms", timeout_ms)
}

async fn subscribe(server: &Server, url: &str, event_types: &[&str]) -> (String, String) {
    let reply = server
        .post("/v1/tenants/default/webhooks/subscriptions", json!({ "url": url, "event_types": event_types }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let secret = reply.body["secret"].as_str().expect("the secret is shown on creation").to_owned();
    (reply.body["id"].as_str().unwrap().to_owned(), secret)
}

/// Checks the Standard Webhooks signature header against `secret`, independently of the server's code.
fn signed_with(secret: &str, delivery: &Delivery) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let content =
        format!("{}.{}.{}", delivery.header("webhook-id"), delivery.header("webhook-timestamp"), delivery.body);
    mac.update(content.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    delivery.header("webhook-signature").split(' ').any(|signature| signature == expected)
}

/// Polls the feed until the subscription has a message whose status is `status`.
async fn message_with_status(server: &Server, subscription: &str, status: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let feed = server
            .get(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/messages?status={status}"))
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
        if let Some(message) = feed.body["data"].as_array().and_then(|data| data.first()) {
            let detail =
                server.get(&format!("/v1/tenants/default/webhooks/messages/{}", message["id"].as_str().unwrap())).await;
            return detail.body;
        }
        assert!(std::time::Instant::now() < deadline, "no {status} message for {subscription}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send_test_event(server: &Server, subscription: &str) -> Value {
    let reply =
        server.post(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/test"), json!({})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    reply.body
}

#[tokio::test]
async fn real_changes_become_signed_events() {
    let server = Server::start_with(local_options("100ms")).await;
    let receiver = Receiver::start(Answer::ok()).await;
    let (subscription, secret) = subscribe(&server, &receiver.url, &["*"]).await;
    assert!(secret.starts_with("whsec_"));
    let shown = server.get(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}")).await;
    assert!(shown.body.get("secret").is_none(), "the secret is shown once: {}", shown.text);
    let stored: Value = shown.body;
    assert_eq!(stored["event_types"], json!(["*"]));

    let user = server.user_with_password("default", "ada@example.com", "correct horse battery", true).await;
    assert_eq!(
        server.sign_in("default", json!({ "email": "ada@example.com", "password": "wrong one" })).await.status,
        401
    );
    let signed_in =
        server.sign_in("default", json!({ "email": "ada@example.com", "password": "correct horse battery" })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let deleted = server.call(Method::DELETE, &format!("/v1/tenants/default/users/{user}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let deliveries = receiver.wait_for(4, WAIT).await;
    let mut by_type: HashMap<String, Delivery> = HashMap::new();
    for delivery in &deliveries {
        assert!(signed_with(&secret, delivery), "signature verifies: {delivery:?}");
        let body = delivery.json();
        assert_eq!(delivery.header("webhook-id"), body["id"], "webhook-id is the event id");
        let sent_at: i64 = delivery.header("webhook-timestamp").parse().unwrap();
        assert!((sent_at - chrono_now_s()).abs() < 60, "webhook-timestamp is the send time");
        assert_eq!(body["tenant_id"], "default");
        assert!(!delivery.body.contains("argon2") && !delivery.body.contains("password_hash"), "{}", delivery.body);
        by_type.insert(body["type"].as_str().unwrap().to_owned(), delivery.clone());
    }
    receiver.wait_for_match(WAIT, |d| d.json()["type"] == "user.deleted").await;
    let by_type: HashMap<String, Value> =
        receiver.deliveries().iter().map(|d| (d.json()["type"].as_str().unwrap().to_owned(), d.json())).collect();
    assert_eq!(by_type["user.created"]["data"]["id"], user.as_str());
    assert_eq!(by_type["user.created"]["data"]["email"], "ada@example.com");
    assert_eq!(by_type["user.login.failed"]["data"]["user_id"], user.as_str());
    assert_eq!(by_type["user.login.succeeded"]["data"]["user_id"], user.as_str());
    assert_eq!(by_type["user.deleted"]["data"]["id"], user.as_str());

    // The feed shows each message delivered on its first attempt.
    let feed = server
        .get(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/messages?event_type=user.created"))
        .await;
    let messages = feed.body["data"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{}", feed.text);
    assert_eq!(messages[0]["status"], "delivered");
    assert_eq!(messages[0]["attempts"], 1);
    let types = server.get("/v1/webhook-event-types").await;
    assert!(types.body["data"].as_array().unwrap().iter().any(|t| t["type"] == "user.locked"));
}

fn chrono_now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn only_subscribed_types_are_sent() {
    let server = Server::start_with(local_options("100ms")).await;
    let receiver = Receiver::start(Answer::ok()).await;
    subscribe(&server, &receiver.url, &["user.deleted"]).await;
    let user = server.create_user("grace@example.com").await;
    server.call(Method::DELETE, &format!("/v1/tenants/default/users/{user}"), None).await;
    let delivery = receiver.wait_for(1, WAIT).await.remove(0);
    assert_eq!(delivery.json()["type"], "user.deleted");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.deliveries().len(), 1, "user.created was not subscribed to");

    let unknown_body = json!({ "url": receiver.url, "event_types": ["user.exploded"] });
    let unknown = server.post("/v1/tenants/default/webhooks/subscriptions", unknown_body).await;
    let details = unknown.assert_error(400, "validation_failed");
    assert!(details["fields"]["event_types"][0].as_str().unwrap().contains("user.exploded"), "{details}");
}

#[tokio::test]
async fn each_failure_is_observed_retried_and_dead_lettered() {
    let server = Server::start_with(local_options("200ms,200ms")).await;
    let failing = Receiver::start(Answer::status(503, "down for maintenance")).await;
    let rejecting = Receiver::start(Answer::status(404, "no such hook")).await;
    let hanging = Receiver::start(Answer::Hang).await;
    let untrusted = Receiver::start_untrusted_tls(Answer::ok()).await;
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hooks", listener.local_addr().unwrap())
    };
    let cases = [
        (failing.url.clone(), "receiver_5xx", Some(503)),
        (rejecting.url.clone(), "receiver_4xx", Some(404)),
        (hanging.url.clone(), "receiver_timeout", None),
        (untrusted.url.clone(), "receiver_tls_failed", None),
        (closed_port, "receiver_connection_failed", None),
    ];
    let mut subscriptions = Vec::new();
    for (url, _, _) in &cases {
        let (id, _) = subscribe(&server, url, &["*"]).await;
        send_test_event(&server, &id).await;
        subscriptions.push(id);
    }
    for ((_, outcome, status), subscription) in cases.iter().zip(&subscriptions) {
        let message = message_with_status(&server, subscription, "dead").await;
        assert_eq!(message["last_outcome"], "dlq_max_attempts", "{message}");
        assert_eq!(message["event_type"], "webhook.test");
        let attempts = message["attempt_log"].as_array().unwrap();
        assert_eq!(attempts.len(), 3, "one attempt and two retries: {message}");
        for attempt in attempts {
            assert_eq!(attempt["outcome"], *outcome, "{message}");
            assert_eq!(attempt["http_status"].as_i64(), status.map(i64::from), "{message}");
        }
        match *outcome {
            "receiver_5xx" => assert_eq!(attempts[0]["response_excerpt"], "down for maintenance"),
            "receiver_timeout" => {
                let latency = attempts[0]["latency_ms"].as_i64().unwrap();
                assert!((1400..5000).contains(&latency), "gave up after the 1.5 s timeout, not {latency} ms");
            }
            "receiver_tls_failed" => {
                assert!(attempts[0]["error"].as_str().unwrap().contains("certificate"), "{message}")
            }
            _ => {}
        }
    }
    assert_eq!(failing.deliveries().len(), 3);
    assert!(untrusted.deliveries().is_empty(), "nothing crosses an untrusted TLS connection");

    // The dead-letter queue lists them all; metrics count them.
    let dead = server.get("/v1/tenants/default/webhooks/dead-letters").await;
    assert_eq!(dead.body["data"].as_array().unwrap().len(), 5, "{}", dead.text);
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for outcome in ["receiver_5xx", "receiver_4xx", "receiver_timeout", "receiver_tls_failed", "dlq_max_attempts"] {
        assert!(
            metrics.contains(&format!("intelliauth_webhook_deliveries_total{{outcome=\"{outcome}\"}}")),
            "{outcome}:\n{metrics}"
        );
    }
    assert!(metrics.contains("intelliauth_webhook_queue_depth 0"), "{metrics}");

    // The receiver recovers; replaying the dead letters delivers them.
    failing.answer(Answer::ok());
    let dead_message = message_with_status(&server, &subscriptions[0], "dead").await;
    let replayed = server
        .post("/v1/tenants/default/webhooks/dead-letters/replay", json!({ "since": "2020-01-01T00:00:00Z" }))
        .await;
    assert_eq!(replayed.status, StatusCode::ACCEPTED, "{}", replayed.text);
    assert_eq!(replayed.body["replayed"], 5);
    let delivered = message_with_status(&server, &subscriptions[0], "delivered").await;
    assert_eq!(delivered["id"], dead_message["id"]);
    let attempts = delivered["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.last().unwrap()["outcome"], "delivered");
    assert_eq!(attempts.len(), 4);
    assert_eq!(failing.deliveries().len(), 4);

    // One message replays too, and a message already waiting cannot be replayed twice.
    let again = server
        .post(&format!("/v1/tenants/default/webhooks/messages/{}/replay", delivered["id"].as_str().unwrap()), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    failing.wait_for(5, WAIT).await;

    let bad_filter = server
        .get(&format!("/v1/tenants/default/webhooks/subscriptions/{}/messages?status=lost", subscriptions[0]))
        .await;
    bad_filter.assert_error(400, "validation_failed");
}

#[tokio::test]
async fn receiver_addresses_are_guarded_when_saved_and_when_connecting() {
    let strict = Server::start().await;
    for (url, reason) in [
        ("http://127.0.0.1:9/hooks", "https"),
        ("https://127.0.0.1:9/hooks", "loopback"),
        ("https://localhost:9/hooks", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://10.0.0.8/hooks", "private"),
        ("https://[::1]/hooks", "loopback"),
        ("ftp://example.com/hooks", "https"),
        ("not a url", "URL"),
    ] {
        let reply = strict
            .post("/v1/tenants/default/webhooks/subscriptions", json!({ "url": url, "event_types": ["*"] }))
            .await;
        let details = reply.assert_error(400, "validation_failed");
        let message = details["fields"]["url"][0].as_str().unwrap();
        assert!(message.contains(reason), "{url}: {message}");
    }
    drop(strict);

    // Saved while loopback was allowed; the instance then stops allowing it. The check at
    // connect time refuses, for a name (through the resolver) and for an IP literal.
    let receiver = Receiver::start(Answer::ok()).await;
    let server = Server::start_with(local_options("")).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let (named, _) = subscribe(&server, &by_name, &["*"]).await;
    let (literal, _) = subscribe(&server, &receiver.url, &["*"]).await;
    let server = server.restart(Options::default().arg("--webhook-retry-schedule", "")).await;
    for subscription in [&named, &literal] {
        send_test_event(&server, subscription).await;
        let message = message_with_status(&server, subscription, "dead").await;
        let attempt = &message["attempt_log"][0];
        assert_eq!(attempt["outcome"], "receiver_address_forbidden", "{message}");
        assert!(attempt["error"].as_str().unwrap().contains("loopback"), "{message}");
    }
    assert!(receiver.deliveries().is_empty(), "no request reached the loopback receiver");
}

#[tokio::test]
async fn a_rotated_secret_overlaps_with_the_previous_one() {
    let server = Server::start_with(local_options("100ms")).await;
    let receiver = Receiver::start(Answer::ok()).await;
    let (subscription, old_secret) = subscribe(&server, &receiver.url, &["*"]).await;
    let rotated_body = json!({ "overlap_s": 3600 });
    let rotated = server
        .post(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/rotate-secret"), rotated_body)
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    send_test_event(&server, &subscription).await;
    let delivery = receiver.wait_for(1, WAIT).await.remove(0);
    assert_eq!(delivery.header("webhook-signature").split(' ').count(), 2, "both signatures during the overlap");
    assert!(signed_with(&new_secret, &delivery) && signed_with(&old_secret, &delivery));

    // Without an overlap, only the new secret signs.
    let rotated_body = json!({ "overlap_s": 0 });
    let rotated = server
        .post(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/rotate-secret"), rotated_body)
        .await;
    let newest = rotated.body["secret"].as_str().unwrap().to_owned();
    send_test_event(&server, &subscription).await;
    let delivery = receiver.wait_for(2, WAIT).await.remove(1);
    assert!(signed_with(&newest, &delivery));
    assert!(!signed_with(&new_secret, &delivery), "the previous secret stopped signing");
}

#[tokio::test]
async fn a_disabled_subscription_holds_its_messages_until_enabled() {
    let server = Server::start_with(local_options("100ms")).await;
    let receiver = Receiver::start(Answer::ok()).await;
    let (subscription, _) = subscribe(&server, &receiver.url, &["*"]).await;
    let path = format!("/v1/tenants/default/webhooks/subscriptions/{subscription}");
    let disabled = server.call(Method::PATCH, &path, Some(json!({ "enabled": false }))).await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    send_test_event(&server, &subscription).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(receiver.deliveries().is_empty());
    server.call(Method::PATCH, &path, Some(json!({ "enabled": true }))).await;
    receiver.wait_for(1, WAIT).await;
}

#[tokio::test]
async fn a_server_killed_mid_delivery_loses_no_event() {
    let options = local_options_with_timeout("200ms", 2000);
    let server = Server::start_with(options.clone()).await;
    let receiver = Receiver::start(Answer::slow(200, Duration::from_millis(300))).await;
    let (subscription, _) = subscribe(&server, &receiver.url, &["user.created"]).await;
    let mut expected = HashSet::new();
    for n in 0..24 {
        expected.insert(server.create_user(&format!("user{n}@example.com")).await);
    }
    receiver.wait_for(1, WAIT).await;
    let before = receiver.deliveries().len();
    assert!(before < expected.len(), "the kill must land while deliveries are in flight ({before} done)");
    // SIGKILL: no shutdown hook runs; leased messages are picked up again when their leases end.
    let server = server.restart(options).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let delivered: HashSet<String> =
            receiver.deliveries().iter().map(|d| d.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
        if delivered == expected {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "missing after restart: {:?}", expected.difference(&delivered));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every request the receiver had is in the feed: the killed node's attempts in flight
    // were recorded as interrupted when their leases were released.
    all_delivered(&server, &subscription, expected.len(), deadline).await;
    let feed = feed_with_receipts(&server, &subscription, &receiver).await;
    for (message, outcomes, receipts) in &feed {
        assert!(outcomes.len() >= *receipts, "{message}: {receipts} requests received, attempts {outcomes:?}");
    }
    assert!(
        feed.iter().any(|(_, outcomes, _)| outcomes.first().map(String::as_str) == Some("attempt_interrupted")),
        "the attempts in flight at the kill: {feed:?}"
    );
}

/// Each message of the subscription: its attempts' outcomes in order, and how many requests
/// for it (by `webhook-id`) the receiver had.
async fn feed_with_receipts(
    server: &Server,
    subscription: &str,
    receiver: &Receiver,
) -> Vec<(String, Vec<String>, usize)> {
    let feed =
        server.get(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/messages?limit=100")).await;
    let deliveries = receiver.deliveries();
    let mut messages = Vec::new();
    for message in feed.body["data"].as_array().unwrap() {
        let id = message["id"].as_str().unwrap();
        let detail = server.get(&format!("/v1/tenants/default/webhooks/messages/{id}")).await;
        let outcomes = detail.body["attempt_log"]
            .as_array()
            .unwrap_or_else(|| panic!("message {id}: {}", detail.text))
            .iter()
            .map(|attempt| attempt["outcome"].as_str().unwrap().to_owned())
            .collect();
        let receipts = deliveries.iter().filter(|d| d.header("webhook-id") == message["event_id"]).count();
        messages.push((id.to_owned(), outcomes, receipts));
    }
    messages
}

#[tokio::test]
async fn a_server_stopped_gracefully_records_its_attempts_in_flight_and_claims_nothing_after() {
    let options = local_options_with_timeout("200ms", 3000);
    let mut server = Server::start_with(options.clone()).await;
    let receiver = Receiver::start(Answer::slow(200, Duration::from_millis(600))).await;
    let (subscription, _) = subscribe(&server, &receiver.url, &["user.created"]).await;
    for n in 0..12 {
        server.create_user(&format!("graceful{n}@example.com")).await;
    }
    receiver.wait_for(1, WAIT).await;
    let took = server.terminate(Duration::from_secs(10)).await.expect("the server stops within the delivery timeout");
    let logs = server.logs();
    assert!(!logs.contains("claiming webhook messages failed"), "nothing is claimed once stopping: {logs}");
    assert!(!logs.contains("heartbeat failed"), "{logs}");
    assert!(logs.contains("every attempt in flight was recorded"), "{logs}");
    assert!(took >= Duration::from_millis(100), "it waited for the attempts in flight ({took:?})");

    let server = server.restart(options).await;
    all_delivered(&server, &subscription, 12, std::time::Instant::now() + Duration::from_secs(30)).await;
    for (message, outcomes, receipts) in &feed_with_receipts(&server, &subscription, &receiver).await {
        assert_eq!(outcomes, &["delivered"], "{message}: one attempt, recorded by the node that made it");
        assert_eq!(*receipts, 1, "{message} was sent once");
    }
}

/// Waits (one feed request at a time, within the rate limit) until the subscription's
/// `count` messages are all recorded as delivered.
async fn all_delivered(server: &Server, subscription: &str, count: usize, deadline: std::time::Instant) {
    let path = format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/messages?limit=100&status=delivered");
    loop {
        let delivered = server.get(&path).await.body["data"].as_array().map_or(0, Vec::len);
        if delivered == count {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{delivered} of {count} recorded as delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On PostgreSQL a node that queues a message tells the delivering nodes at once (LISTEN/
/// NOTIFY): an event made on a node that does not deliver reaches the receiver in a few
/// milliseconds, not at the delivering node's next poll (every 500 ms at the least here).
#[tokio::test]
async fn a_message_queued_on_one_node_wakes_the_delivering_node_at_once() {
    let first = Server::start_with(local_options("").arg("--webhook-delivery", false)).await;
    if first.schema.is_none() {
        return; // nodes on one SQLite file share no channel: they find work at their next poll
    }
    let second = first.start_sibling(local_options("").arg("--webhook-poll-interval-ms", 60_000)).await;
    let receiver = Receiver::start(Answer::ok()).await;
    subscribe(&first, &receiver.url, &["user.created"]).await;
    let mut latencies = Vec::new();
    for n in 0..9 {
        // Spaced beyond the worker's heartbeat, so no event rides on another's wake-up.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let created = std::time::Instant::now();
        first.create_user(&format!("woken{n}@example.com")).await;
        let delivered = receiver.wait_for(n + 1, WAIT).await;
        latencies.push(delivered[n].received_at.duration_since(created));
    }
    latencies.sort();
    assert!(
        latencies[4] < Duration::from_millis(120),
        "median event-to-receipt time {:?} ({latencies:?})",
        latencies[4]
    );
    drop(second);
}

#[tokio::test]
async fn two_nodes_share_deliveries_and_never_send_one_attempt_twice_at_once() {
    let options = local_options("200ms");
    let first = Server::start_with(options.clone()).await;
    let second = first.start_sibling(options).await;
    let receiver = Receiver::start(Answer::slow(200, Duration::from_millis(100))).await;
    let (subscription, _) = subscribe(&first, &receiver.url, &["user.created"]).await;
    let mut expected = HashSet::new();
    for n in 0..30 {
        let node = if n % 2 == 0 { &first } else { &second };
        expected.insert(node.create_user(&format!("shared{n}@example.com")).await);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while receiver.deliveries().len() < expected.len() {
        assert!(std::time::Instant::now() < deadline, "only {} delivered", receiver.deliveries().len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deliveries = receiver.deliveries();
    let ids: Vec<String> = deliveries.iter().map(|d| d.header("webhook-id").to_owned()).collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no message was sent twice");
    assert_eq!(receiver.max_in_flight_per_id(), 1);
    let delivered: HashSet<String> =
        deliveries.iter().map(|d| d.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(delivered, expected);

    // Both nodes took part.
    let feed =
        first.get(&format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/messages?limit=100")).await;
    let mut nodes = HashSet::new();
    for message in feed.body["data"].as_array().unwrap() {
        let detail =
            first.get(&format!("/v1/tenants/default/webhooks/messages/{}", message["id"].as_str().unwrap())).await;
        nodes.insert(detail.body["attempt_log"][0]["node"].as_str().unwrap().to_owned());
    }
    assert_eq!(nodes.len(), 2, "deliveries by both nodes: {nodes:?}");
}

#[tokio::test]
async fn a_slow_receiver_does_not_hold_up_the_others() {
    // Six delivery slots; the hanging receiver may take at most four of them.
    let options =
        local_options_with_timeout("", 5000).arg("--webhook-concurrency", 6).arg("--webhook-per-subscription", 4);
    let server = Server::start_with(options).await;
    let hanging = Receiver::start(Answer::Hang).await;
    let fast = Receiver::start(Answer::ok()).await;
    let (stuck, _) = subscribe(&server, &hanging.url, &["*"]).await;
    let (healthy, _) = subscribe(&server, &fast.url, &["*"]).await;
    for _ in 0..10 {
        send_test_event(&server, &stuck).await;
    }
    hanging.wait_for(4, WAIT).await;
    let started = std::time::Instant::now();
    send_test_event(&server, &healthy).await;
    fast.wait_for(1, WAIT).await;
    assert!(started.elapsed() < Duration::from_secs(2), "waited {:?} behind the slow receiver", started.elapsed());
    assert_eq!(hanging.deliveries().len(), 4, "at most four attempts in flight per subscription");
}

/// A receiver that answers 429 with `Retry-After` is tried again after that delay, not on
/// the (here much shorter) schedule; an absurd `Retry-After` is held to an hour.
#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_that_delay() {
    let server = Server::start_with(local_options("200ms,200ms,200ms")).await;
    let receiver = Receiver::start(Answer::TooMany { retry_after: "3".into() }).await;
    let (subscription, _) = subscribe(&server, &receiver.url, &["webhook.test"]).await;
    send_test_event(&server, &subscription).await;
    let first = receiver.wait_for(1, WAIT).await[0].received_at;
    receiver.answer(Answer::ok());
    let second = receiver.wait_for(2, WAIT).await[1].received_at;
    let waited = second - first;
    assert!(waited >= Duration::from_millis(2900), "retried after {waited:?}, not after Retry-After: 3");
    assert!(waited < Duration::from_secs(6), "retried after {waited:?}");

    receiver.answer(Answer::TooMany { retry_after: "99999999".into() });
    send_test_event(&server, &subscription).await;
    receiver.wait_for(3, WAIT).await;
    let message = message_with_status(&server, &subscription, "pending").await;
    let next = time::OffsetDateTime::parse(
        message["next_attempt_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let wait = next - time::OffsetDateTime::now_utc();
    assert!(wait > time::Duration::minutes(59) && wait <= time::Duration::minutes(60), "held to an hour: {wait}");
}

/// After a SIGKILL, the dead node's leases no longer hold the subscription's in-flight
/// slots: messages never attempted start flowing as soon as the new process runs, not when
/// the dead leases end (7 s here).
#[tokio::test]
async fn a_restarted_server_delivers_waiting_messages_at_once() {
    let options = local_options_with_timeout("30s", 2000);
    let server = Server::start_with(options.clone()).await;
    let receiver = Receiver::start(Answer::Hang).await;
    subscribe(&server, &receiver.url, &["user.created"]).await;
    for n in 0..40 {
        server.create_user(&format!("waiting{n}@example.com")).await;
    }
    // Four attempts in flight (the per-subscription cap), each holding a lease.
    receiver.wait_for(4, WAIT).await;
    receiver.answer(Answer::ok());
    let server = server.restart(options).await;
    let restarted = std::time::Instant::now();
    receiver.wait_for(5, WAIT).await;
    let took = restarted.elapsed();
    assert!(took < Duration::from_millis(2500), "the first delivery after the restart took {took:?}");
    let deadline = std::time::Instant::now() + WAIT;
    while receiver.deliveries().len() < 44 {
        assert!(std::time::Instant::now() < deadline, "only {} deliveries", receiver.deliveries().len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
}

/// An `https` URL to a port that speaks plain HTTP fails in the TLS handshake, and says so.
#[tokio::test]
async fn https_to_a_plain_http_port_is_receiver_tls_failed() {
    let server = Server::start_with(local_options("1h")).await;
    let receiver = Receiver::start(Answer::ok()).await;
    let url = receiver.url.replacen("http://", "https://", 1);
    let (subscription, _) = subscribe(&server, &url, &["webhook.test"]).await;
    send_test_event(&server, &subscription).await;
    let message = message_with_status(&server, &subscription, "pending").await;
    let deadline = std::time::Instant::now() + WAIT;
    let mut message = message;
    while message["last_outcome"].is_null() {
        assert!(std::time::Instant::now() < deadline, "no attempt recorded: {message}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        message = message_with_status(&server, &subscription, "pending").await;
    }
    assert_eq!(message["last_outcome"], "receiver_tls_failed", "{message}");
}

/// A host name that does not resolve yet is saved (DNS often comes after the subscription);
/// its deliveries are observed as `receiver_dns_failed` and dead-lettered like any failure.
#[tokio::test]
async fn a_receiver_whose_name_does_not_resolve_is_saved_and_observed_as_dns_failed() {
    let server = Server::start_with(Options::default().arg("--webhook-retry-schedule", "")).await;
    // RFC 6761: names under .invalid never resolve.
    let (subscription, _) = subscribe(&server, "https://receiver.intelliauth.invalid/hooks", &["*"]).await;
    send_test_event(&server, &subscription).await;
    let message = message_with_status(&server, &subscription, "dead").await;
    assert_eq!(message["attempt_log"][0]["outcome"], "receiver_dns_failed", "{message}");
}

/// Every observation is a catalogue code: the feed filters by any of them, and refuses a
/// filter no attempt can ever have.
#[tokio::test]
async fn the_feed_filters_by_catalogue_observations_and_refuses_unknown_ones() {
    let server = Server::start_with(Options::default().arg("--webhook-retry-schedule", "")).await;
    let (subscription, _) = subscribe(&server, "https://receiver.intelliauth.invalid/hooks", &["*"]).await;
    send_test_event(&server, &subscription).await;
    message_with_status(&server, &subscription, "dead").await;
    let feed =
        |outcome: &str| format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/messages?outcome={outcome}");
    let dead = server.get(&feed("dlq_max_attempts")).await;
    assert_eq!(dead.status, StatusCode::OK, "{}", dead.text);
    assert_eq!(dead.body["data"].as_array().unwrap().len(), 1, "{}", dead.text);
    let delivered = server.get(&feed("delivered")).await;
    assert_eq!(delivered.body["data"].as_array().unwrap().len(), 0, "{}", delivered.text);
    let errors = server.get("/v1/errors").await;
    let webhook_codes: Vec<&str> = errors.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|code| code["family"] == "webhook")
        .filter_map(|code| code["code"].as_str())
        .collect();
    assert!(
        webhook_codes.contains(&"receiver_dns_failed") && webhook_codes.contains(&"delivered"),
        "{webhook_codes:?}"
    );
    for code in webhook_codes {
        assert_eq!(server.get(&feed(code)).await.status, StatusCode::OK, "{code}");
    }
    let refused = server.get(&feed("receiver_on_fire")).await;
    let details = refused.assert_error(400, "validation_failed");
    assert!(details["fields"]["outcome"].is_array(), "{details}");
    server.get(&feed("account_locked")).await.assert_error(400, "validation_failed");
}
