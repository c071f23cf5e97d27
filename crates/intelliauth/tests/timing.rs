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
const ROUNDS: usize = 25;

#[tokio::test]
async fn unknown_email_and_wrong_password_take_the_same_time() {
    let server = Server::start().await;
    server.user_with_password("default", "timing@example.com", PASSWORD, true).await;
    // Warm up: the dummy hash is made on first use; connections are opened.
    server.sign_in("default", json!({ "email": "warm@example.com", "password": "x" })).await;
    server.sign_in("default", json!({ "email": "timing@example.com", "password": "warm-up" })).await;
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
            let elapsed = started.elapsed().as_secs_f64();
            reply.assert_error(401, "invalid_credentials");
            if email.starts_with("ghost") {
                unknown.push(elapsed)
            } else {
                wrong.push(elapsed)
            }
        }
    }
    // Compare each round's pair, so slow spells of the machine hit both sides alike.
    let mut ratios: Vec<f64> = unknown.iter().zip(&wrong).map(|(u, w)| u / w).collect();
    ratios.sort_by(f64::total_cmp);
    let median_ratio = ratios[ROUNDS / 2];
    let median = |samples: &mut Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2] * 1e3
    };
    eprintln!(
        "median unknown {:.1} ms, wrong password {:.1} ms, median paired ratio {median_ratio:.3}",
        median(&mut unknown),
        median(&mut wrong)
    );
    assert!((median_ratio - 1.0).abs() < 0.10, "unknown/wrong time ratio {median_ratio:.3} is 10% or more off");
}
