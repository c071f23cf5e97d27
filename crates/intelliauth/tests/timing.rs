//! `invalid_credentials` takes the same time for an unknown email as for a wrong
//! password, so response times do not reveal which accounts exist.
//!
//! Its own test binary: cargo runs test binaries one after another, so no other test
//! competes for the CPU while this one measures.

mod common;

use std::time::Instant;

use common::Server;
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
