//! `invalid_credentials` takes the same time for an unknown email as for a wrong
//! password, so response times do not reveal which accounts exist.
//!
//! Its own test binary: cargo runs test binaries one after another, so no other test
//! competes for the CPU while this one measures.

mod common;

use std::time::Instant;

use common::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const ROUNDS: usize = 31;

/// Median times (ms) of `invalid_credentials` for an unknown address and for a wrong
/// password, over interleaved rounds.
async fn measure(server: &Server) -> (f64, f64) {
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for round in 0..ROUNDS {
        // Alternate which goes first, so neither always follows the other.
        let order = if round % 2 == 0 {
            ["ghost@example.com", "timing@example.com"]
        } else {
            ["timing@example.com", "ghost@example.com"]
        };
        for email in order {
            let flow = server.flow("default", "login").await;
            let started = Instant::now();
            let reply = server
                .submit("default", "login", &flow, json!({ "email": email, "password": format!("wrong {round}") }))
                .await;
            let elapsed = started.elapsed().as_secs_f64() * 1e3;
            reply.assert_error(401, "invalid_credentials");
            if email.starts_with("ghost") {
                unknown.push(elapsed)
            } else {
                wrong.push(elapsed)
            }
        }
    }
    let median = |samples: &mut Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    };
    (median(&mut unknown), median(&mut wrong))
}

#[tokio::test]
async fn unknown_email_and_wrong_password_take_the_same_time() {
    let server = Server::start().await;
    // Both kinds of address lock alike; this test measures the unlocked answers.
    let settings = json!({ "settings": { "sign_in": { "lockout_threshold": 1000 } } });
    assert_eq!(server.call(Method::PATCH, "/v1/tenants/default", Some(settings)).await.status, StatusCode::OK);
    server.user_with_password("default", "timing@example.com", PASSWORD, true).await;
    // Warm up: the dummy hash is made on first use; connections are opened.
    server.sign_in("default", json!({ "email": "warm@example.com", "password": "x" })).await;
    server.sign_in("default", json!({ "email": "timing@example.com", "password": "warm-up" })).await;
    // A leak is systematic (without the dummy hash the ratio is near 0.1) and shows in
    // every measurement; a noisy machine does not. So one of three must be within 10%.
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let (unknown_ms, wrong_ms) = measure(&server).await;
        let ratio = unknown_ms / wrong_ms;
        eprintln!("median unknown {unknown_ms:.1} ms, wrong password {wrong_ms:.1} ms, ratio {ratio:.3}");
        if (ratio - 1.0).abs() < 0.10 {
            return;
        }
        ratios.push(ratio);
    }
    panic!("unknown/wrong time ratios {ratios:?}: 10% or more apart in every measurement");
}

/// Median times (ms) and the bodies (without request ids) of sign-ins as each of `tries`
/// (email, password), measured in interleaved rounds so that whatever else the machine
/// does weighs on each alike.
async fn locked_answers(server: &Server, tenant: &str, tries: &[(&str, &str)]) -> Vec<(f64, Vec<serde_json::Value>)> {
    let mut measured: Vec<(Vec<f64>, Vec<serde_json::Value>)> = vec![(Vec::new(), Vec::new()); tries.len()];
    for _ in 0..ROUNDS / 2 {
        for ((email, password), (times, bodies)) in tries.iter().zip(measured.iter_mut()) {
            let flow = server.flow(tenant, "login").await;
            let started = Instant::now();
            let body = json!({ "email": email, "password": password });
            let reply: Reply = server.submit(tenant, "login", &flow, body).await;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            let mut body = reply.body.clone();
            body["request_id"] = serde_json::Value::Null;
            body["details"]["retry_after_s"] = serde_json::Value::Null;
            bodies.push(json!({ "status": reply.status.as_u16(), "body": body }));
        }
    }
    measured
        .into_iter()
        .map(|(mut times, bodies)| {
            times.sort_by(f64::total_cmp);
            (times[times.len() / 2], bodies)
        })
        .collect()
}

/// While an account is locked the right and the wrong password get the same answer in the
/// same time (neither is checked), so a locked account is no oracle for guesses; and an
/// address without an account locks the same way, so the lock reveals nothing either.
#[tokio::test]
async fn a_locked_account_answers_the_same_whatever_the_password() {
    let server = Server::start().await;
    server.tenant("locked", json!({ "sign_in": { "lockout_threshold": 3, "lockout_duration_s": 600 } })).await;
    server.user_with_password("locked", "held@example.com", PASSWORD, true).await;
    for email in ["held@example.com", "nobody@example.com"] {
        for attempt in 0..3 {
            let reply =
                server.sign_in("locked", json!({ "email": email, "password": format!("guess {attempt}") })).await;
            reply.assert_error(401, "invalid_credentials");
        }
    }
    let tries = [("held@example.com", PASSWORD), ("held@example.com", "guess 4"), ("nobody@example.com", "guess 4")];
    // No password is verified while locked: a verification would add tens of milliseconds
    // to one kind of try. A measurement disturbed by the machine is taken again, up to 3.
    let mut medians = Vec::new();
    for _ in 0..3 {
        let answers = locked_answers(&server, "locked", &tries).await;
        let first = &answers[0].1[0];
        assert_eq!(first["status"], 423, "{first}");
        assert_eq!(first["body"]["code"], "account_locked");
        assert!(answers.iter().flat_map(|(_, bodies)| bodies).all(|answer| answer == first), "one answer for all");
        let [right_ms, wrong_ms, unknown_ms] = [answers[0].0, answers[1].0, answers[2].0];
        eprintln!("locked: right {right_ms:.1} ms, wrong {wrong_ms:.1} ms, unknown {unknown_ms:.1} ms");
        if [wrong_ms, unknown_ms].iter().all(|ms| (ms - right_ms).abs() < 10.0) {
            return;
        }
        medians.push([right_ms, wrong_ms, unknown_ms]);
    }
    panic!("right, wrong and unknown medians (ms) 10 ms or more apart in every measurement: {medians:?}");
}
