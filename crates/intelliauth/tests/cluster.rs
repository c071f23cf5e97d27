//! Three nodes on one database and one Redis, behind HAProxy (round robin per request):
//! what a deployment of several stateless nodes must hold, tried through the balancer the
//! way clients reach it, and checked on each node directly.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::balancer::{free_port, Balancer};
use common::oauth::{
    authorize, authorize_path, exchange, machine_client, machine_token, refresh, revoke, userinfo, REDIRECT, VERIFIER,
};
use common::receiver::{Answer, Receiver};
use common::tokens::query_param;
use common::{failed_attempts, fire_wrong_passwords, redis_addr, unique, with_redis, Endpoint, Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

struct Cluster {
    nodes: Vec<Server>,
    /// The deployment as clients reach it.
    lb: Endpoint,
    _balancer: Balancer,
}

/// Three nodes with `options`, one public URL (the balancer's) and limits in Redis.
async fn cluster(options: Options) -> Cluster {
    let port = free_port();
    let options = with_redis(
        options.arg("--public-url", format!("http://127.0.0.1:{port}")),
        &redis_addr(),
        &unique("ia-cluster-"),
    );
    let first = Server::start_with(options.clone()).await;
    let second = first.start_sibling(options.clone()).await;
    let third = first.start_sibling(options).await;
    let nodes = vec![first, second, third];
    let addresses: Vec<String> = nodes.iter().map(|node| node.base.trim_start_matches("http://").to_owned()).collect();
    let balancer = Balancer::start(port, &addresses).await;
    let lb = nodes[0].endpoint.at(&balancer.base);
    Cluster { nodes, lb, _balancer: balancer }
}

async fn public_spa(lb: &Endpoint) -> String {
    let body = json!({ "name": "spa", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true });
    let app = lb.post("/v1/tenants/default/applications", body).await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    app.body["client_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sessions_codes_refresh_races_and_revocations_hold_across_nodes_behind_the_balancer() {
    let cluster = cluster(Options::unlimited()).await;
    let lb = &cluster.lb;
    let mut served = HashSet::new();
    for _ in 0..6 {
        let reply = lb.http.get(lb.url("/t/default/.well-known/openid-configuration")).send().await.unwrap();
        served.insert(reply.headers()["x-served-by"].to_str().unwrap().to_owned());
    }
    assert_eq!(served.len(), 3, "requests are spread over the three nodes: {served:?}");

    // A browser session made across nodes signs in to an application; its code is
    // exchanged on whichever node the balancer picks.
    lb.user_with_password("default", "cluster@example.com", PASSWORD, true).await;
    let client_id = public_spa(lb).await;
    let cookie = lb.browser_session("default", "cluster@example.com", PASSWORD).await;
    let (_, callback, _) =
        authorize(lb, &authorize_path(&client_id, &[("scope", "openid offline_access")]), Some(&cookie)).await;
    let tokens = exchange(lb, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    for node in &cluster.nodes {
        assert_eq!(userinfo(node, &access).await, StatusCode::OK, "every node accepts the token");
    }

    // Twelve concurrent uses of one refresh token, spread by the balancer: one wins, and
    // the reuse revokes the family, the winner's new token with it.
    let grace = lb
        .call(
            Method::PATCH,
            "/v1/tenants/default",
            Some(json!({ "settings": { "oauth": { "refresh_reuse_grace_s": 0 } } })),
        )
        .await;
    assert_eq!(grace.status, StatusCode::OK, "{}", grace.text);
    let token = tokens.body["refresh_token"].as_str().unwrap().to_owned();
    let racers: Vec<_> = (0..12)
        .map(|_| {
            let (lb, client_id, token) = (lb.clone(), client_id.clone(), token.clone());
            tokio::spawn(async move { refresh(&lb, &client_id, &token).await })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        let reply: Reply = racer.await.unwrap();
        match reply.status {
            StatusCode::OK => winners.push(reply.body["refresh_token"].as_str().unwrap().to_owned()),
            _ => {
                reply.assert_error(400, "session_revoked");
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one concurrent refresh succeeds");
    refresh(lb, &client_id, &winners[0]).await.assert_error(400, "session_revoked");

    // A revoked access token is refused by every node at once.
    let cookie = lb.browser_session("default", "cluster@example.com", PASSWORD).await;
    let (_, callback, _) = authorize(lb, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let fresh = exchange(lb, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    let access = fresh.body["access_token"].as_str().unwrap().to_owned();
    revoke(lb, &client_id, &access).await;
    for node in &cluster.nodes {
        assert_eq!(userinfo(node, &access).await, StatusCode::UNAUTHORIZED, "revoked on {}", node.base);
    }
}

#[tokio::test]
async fn lockout_is_exact_under_200_concurrent_wrong_passwords_spread_over_the_nodes() {
    let cluster = cluster(Options::unlimited()).await;
    let lb = &cluster.lb;
    lb.tenant("lock", json!({ "sign_in": { "lockout_threshold": 7, "lockout_duration_s": 600 } })).await;
    let id = lb.user_with_password("lock", "target@example.com", PASSWORD, true).await;
    // Flows started on each node, guesses sent through the balancer and to each node.
    let doors = [lb, &cluster.nodes[0].endpoint, &cluster.nodes[1].endpoint, &cluster.nodes[2].endpoint];
    let (checked, refused) = fire_wrong_passwords(&doors, "lock", "target@example.com", 200).await;
    assert_eq!((checked, refused), (7, 193), "only the threshold's worth are checked, on all nodes together");
    let (count, locked_until) = failed_attempts(lb, "lock", &id).await;
    assert_eq!(count, 7, "the store counted exactly the threshold");
    assert!(locked_until.is_string());
    // Locked on every node, and the right password is answered exactly like a wrong one.
    for node in &cluster.nodes {
        for password in [PASSWORD, "wrong again"] {
            let reply = node.sign_in("lock", json!({ "email": "target@example.com", "password": password })).await;
            reply.assert_error(423, "account_locked");
        }
    }
}

#[tokio::test]
async fn a_rate_limit_holds_cluster_wide_behind_the_balancer() {
    // One credential's budget: a burst of 100, then 5 a second, whichever node answers.
    let options =
        Options::unlimited().arg("--rate-limit-credential-per-s", 5).arg("--rate-limit-credential-burst", 100);
    let cluster = cluster(options).await;
    let lb = &cluster.lb;
    let started = Instant::now();
    let mut allowed = 0;
    for _ in 0..300 {
        let reply =
            lb.http.get(lb.url("/v1/tenants/default")).bearer_auth("iam_not_a_real_token").send().await.unwrap();
        match reply.status() {
            StatusCode::TOO_MANY_REQUESTS => assert!(reply.headers().contains_key("retry-after")),
            _ => allowed += 1,
        }
    }
    let ceiling = 100 + 5 * (started.elapsed().as_secs() as usize + 1);
    assert!(allowed <= ceiling, "one budget across three nodes: {allowed} of 300 got through (at most {ceiling})");
}

#[tokio::test]
async fn keys_actions_and_settings_changed_on_one_node_apply_on_the_others_at_once() {
    let cluster = cluster(Options::unlimited()).await;
    let [first, second, third] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let (id, secret) = machine_client(&cluster.lb, "default", &["client_credentials"], &["a"]).await;
    // Every node holds a copy of the keys; then the first rotates twice.
    for node in [first, second, third] {
        machine_token(node, &id, &secret).await;
    }
    for _ in 0..2 {
        let rotated = first.call(Method::POST, "/v1/tenants/default/keys/rotate", None).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    }
    let signed = machine_token(first, &id, &secret).await;
    let kid = common::tokens::header(&signed)["kid"].clone();
    for node in [second, third] {
        let jwks: Value = node.public_json("/t/default/.well-known/jwks.json").await;
        assert!(
            jwks["keys"].as_array().unwrap().iter().any(|key| key["kid"] == kid),
            "{} publishes the signing key",
            node.base
        );
        let introspected = node.oauth_post("default", "introspect", (&id, &secret), &[("token", &signed)]).await;
        assert_eq!(introspected.body["active"], true, "{}: {}", node.base, introspected.text);
    }

    // An Action saved on one node decides the very next sign-in on another.
    second.user_with_password("default", "ada@example.com", PASSWORD, true).await;
    let action = json!({ "name": "No one today", "trigger": "post-login",
                         "code": "exports.onExecutePostLogin = async (event, api) => { api.access.deny('closed'); };" });
    assert_eq!(first.post("/v1/tenants/default/actions", action).await.status, StatusCode::CREATED);
    let blocked = third.sign_in("default", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
    blocked.assert_error(403, "step_blocked");
}

#[tokio::test]
async fn webhook_deliveries_lose_nothing_while_a_node_is_killed() {
    let options = Options::unlimited()
        .arg("--webhooks-allow-loopback", true)
        .arg("--webhook-retry-schedule", "200ms")
        .arg("--webhook-timeout-ms", 2000);
    let mut cluster = cluster(options).await;
    let receiver = Receiver::start(Answer::slow(200, Duration::from_millis(150))).await;
    let lb = cluster.lb.clone();
    let subscription = lb
        .post(
            "/v1/tenants/default/webhooks/subscriptions",
            json!({ "url": receiver.url, "event_types": ["user.created"] }),
        )
        .await;
    assert_eq!(subscription.status, StatusCode::CREATED, "{}", subscription.text);
    let mut expected = HashSet::new();
    for n in 0..30 {
        expected.insert(lb.create_user(&format!("hook{n}@example.com")).await);
    }
    receiver.wait_for(3, Duration::from_secs(20)).await;
    assert!(receiver.deliveries().len() < expected.len(), "the kill lands while deliveries are in flight");
    // SIGKILL one node mid-delivery; the balancer's health check takes it out of rotation.
    let killed = cluster.nodes.remove(1);
    drop(killed.stop().await);
    for n in 30..40 {
        expected.insert(lb.create_user(&format!("hook{n}@example.com")).await);
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let delivered: HashSet<String> =
            receiver.deliveries().iter().map(|d| d.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
        if delivered == expected {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered: {:?}", expected.difference(&delivered));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every node keeps copies of tenants and applications (the token endpoint reads both on
/// every request) and must forget them the moment any node changes one: a rotated secret,
/// a tenant's token lifetime and a deleted client hold on every node from the answer to
/// the change on, round after round, whichever node made it (on SQLite, three processes
/// on one file; on PostgreSQL, three nodes on one schema).
#[tokio::test]
async fn directory_changes_on_one_node_hold_on_every_node_at_once() {
    let cluster = cluster(Options::unlimited()).await;
    let nodes = &cluster.nodes;
    let (id, mut secret) = machine_client(&nodes[0].endpoint, "default", &["client_credentials"], &[]).await;
    let token = |node: &Server, secret: String| {
        let (node, id) = (node.endpoint.clone(), id.clone());
        async move { node.oauth_post("default", "token", (&id, &secret), &[("grant_type", "client_credentials")]).await }
    };
    for node in nodes {
        assert_eq!(token(node, secret.clone()).await.status, StatusCode::OK, "each node now holds a copy");
    }
    for round in 0..9 {
        let writer = &nodes[round % 3];
        let rotated = writer.post(&format!("/v1/tenants/default/applications/{id}/rotate-secret"), json!({})).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
        let old = std::mem::replace(&mut secret, rotated.body["client_secret"].as_str().unwrap().to_owned());
        let lifetime = 600 + 60 * round;
        let settings = json!({ "settings": { "oauth": { "access_token_lifetime_s": lifetime } } });
        let patched = writer.call(Method::PATCH, "/v1/tenants/default", Some(settings)).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
        for node in nodes {
            token(node, old.clone()).await.assert_error(401, "invalid_client");
            let issued = token(node, secret.clone()).await;
            assert_eq!(issued.status, StatusCode::OK, "round {round} on {}: {}", node.base, issued.text);
            assert_eq!(
                issued.body["expires_in"], lifetime,
                "round {round}: the tenant's new lifetime on {}",
                node.base
            );
        }
    }
    let deleted = nodes[1].call(Method::DELETE, &format!("/v1/tenants/default/applications/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    for node in nodes {
        token(node, secret.clone()).await.assert_error(401, "invalid_client");
    }
}

/// On PostgreSQL a node also forgets its copies when an operator changes a row with SQL
/// (triggers announce every change at commit, and the node hears it within milliseconds),
/// and when its listener's connection is cut: a change made while it listens again is not
/// lost — without that, the node would serve its old copy until the next change.
#[tokio::test]
async fn an_operators_sql_and_a_cut_listener_never_leave_a_stale_client_on_postgresql() {
    if common::postgres_url().is_none() {
        eprintln!("skipped: PostgreSQL only (set {})", common::TEST_DATABASE_ENV);
        return;
    }
    let server = Server::start_with(Options::unlimited()).await;
    let (id, secret) = machine_client(&server.endpoint, "default", &["client_credentials"], &[]).await;
    let grants = |grants: &str| format!("UPDATE applications SET allowed_grants = '{grants}' WHERE id = '{id}'");
    let token = || server.oauth_post("default", "token", (&id, &secret), &[("grant_type", "client_credentials")]);
    // The change an operator's statement made, as the node's answers show it: how long
    // until every answer does (no answer after the first new one may be old).
    let seen = |allowed: bool| async move {
        let started = Instant::now();
        loop {
            let status = token().await.status;
            if status == if allowed { StatusCode::OK } else { StatusCode::BAD_REQUEST } {
                break;
            }
            assert!(started.elapsed() < Duration::from_millis(500), "the operator's change unseen: {status}");
        }
        let took = started.elapsed();
        for _ in 0..5 {
            assert_eq!(token().await.status == StatusCode::OK, allowed, "an old copy after the new row");
        }
        took
    };
    seen(true).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        server.execute_sql(&grants(r#"["authorization_code"]"#)).await;
        slowest = slowest.max(seen(false).await);
        server.execute_sql(&grants(r#"["client_credentials"]"#)).await;
        slowest = slowest.max(seen(true).await);

        // Every directory listener on the database loses its connection (other tests'
        // nodes too, which must stay as right as this one), and the row changes at once.
        server
            .execute_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'intelliauth directory listener'",
            )
            .await;
        server.execute_sql(&grants(r#"["authorization_code"]"#)).await;
        slowest = slowest.max(seen(false).await);
        server.execute_sql(&grants(r#"["client_credentials"]"#)).await;
        slowest = slowest.max(seen(true).await);
    }
    eprintln!("an operator's change was seen within {slowest:?}");
}
