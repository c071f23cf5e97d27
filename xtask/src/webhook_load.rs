//! Webhook delivery figures: a std-only local receiver, test events sent through the
//! management API, and the time from each event's creation to its receipt.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sign_in_load::{field, Connection};

/// When each message (the request's path, a space, its `webhook-id`) first arrived.
type Receipts = Arc<Mutex<HashMap<String, Instant>>>;

#[derive(Debug)]
pub struct WebhookFigures {
    /// Deliveries per second while draining a backlog to one subscription.
    pub per_second: f64,
    /// Deliveries per second while draining a backlog spread over 100 subscriptions.
    pub fan_out_per_second: f64,
    /// Event created → receiver got it, at a steady rate.
    pub latency_p50: Duration,
    pub latency_p99: Duration,
}

/// A receiver answering 204 to every request on kept-alive connections.
fn start_receiver() -> Result<(String, Receipts), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let url = format!("http://{}/hooks", listener.local_addr().map_err(|e| e.to_string())?);
    let receipts: Receipts = Arc::default();
    let sink = receipts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sink = sink.clone();
            std::thread::spawn(move || serve(stream, sink));
        }
    });
    Ok((url, receipts))
}

fn serve(stream: TcpStream, receipts: Receipts) -> Option<()> {
    let mut writer = stream.try_clone().ok()?;
    let mut reader = BufReader::new(stream);
    loop {
        let (mut length, mut id) = (0usize, String::new());
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).ok()? == 0 {
            return None;
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            } else if let Some(value) = lower.strip_prefix("webhook-id:") {
                id = value.trim().to_owned();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        receipts.lock().ok()?.entry(format!("{path} {id}")).or_insert_with(Instant::now);
        writer.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n").ok()?;
    }
}

fn wait_for(receipts: &Receipts, count: usize, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while receipts.lock().map_err(|_| "poisoned")?.len() < count {
        if Instant::now() > deadline {
            return Err(format!("only {} of {count} webhooks arrived", receipts.lock().map_or(0, |r| r.len())));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Queues a test event; returns its id (the `webhook-id` the receiver will see).
fn send_test_event(connection: &mut Connection, auth: &str, subscription: &str) -> Result<String, String> {
    let path = format!("/v1/tenants/default/webhooks/subscriptions/{subscription}/test");
    let reply = connection.send("POST", &path, auth, "").map_err(|e| e.to_string())?;
    if reply.status != 202 {
        return Err(format!("test event: {} {}", reply.status, reply.body));
    }
    field(&reply.body, "event_id").map(|id| id.to_ascii_lowercase()).ok_or_else(|| reply.body.clone())
}

/// A hundred subscriptions to `user.created`, then `backlog / 100` users created as fast
/// as one connection can (each event fans out to all of them), timed from the first user to
/// the last receipt. (A disabled subscription gets no messages, so this backlog cannot be
/// queued ahead as the single subscription's is; creating the users takes a few ms.)
fn fan_out(
    connection: &mut Connection,
    auth: &str,
    url: &str,
    receipts: &Receipts,
    backlog: usize,
) -> Result<f64, String> {
    for n in 0..100 {
        let body = format!(r#"{{"url":"{url}/{n}","event_types":["user.created"]}}"#);
        let created = connection
            .send("POST", "/v1/tenants/default/webhooks/subscriptions", auth, &body)
            .map_err(|e| e.to_string())?;
        if created.status != 201 {
            return Err(format!("subscription: {} {}", created.status, created.body));
        }
    }
    let run = std::process::id();
    let started = Instant::now();
    for n in 0..backlog / 100 {
        let body = format!(r#"{{"email":"fan-out-{run}-{n}@example.com"}}"#);
        let created = connection.send("POST", "/v1/tenants/default/users", auth, &body).map_err(|e| e.to_string())?;
        if created.status != 201 {
            return Err(format!("user: {} {}", created.status, created.body));
        }
    }
    let expected = (backlog / 100) * 100;
    let fanned_out = |receipts: &HashMap<String, Instant>| -> Vec<Instant> {
        receipts.iter().filter(|(key, _)| key.starts_with("/hooks/")).map(|(_, at)| *at).collect()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let arrived = fanned_out(&*receipts.lock().map_err(|_| "poisoned")?);
        if arrived.len() >= expected {
            let last = arrived.into_iter().max().unwrap_or(started);
            return Ok(expected as f64 / (last - started).as_secs_f64());
        }
        if Instant::now() > deadline {
            return Err(format!("only {} of {expected} fanned-out webhooks arrived", arrived.len()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn deliveries(address: &str, token: &str, backlog: usize, latency_rate: usize) -> Result<WebhookFigures, String> {
    deliveries_probed(address, token, backlog, latency_rate, &mut |_| {})
}

/// [`deliveries`], calling `probe(true)` as the one-subscription drain starts and
/// `probe(false)` when its last message has arrived (a profiler's start and stop).
pub fn deliveries_probed(
    address: &str,
    token: &str,
    backlog: usize,
    latency_rate: usize,
    probe: &mut dyn FnMut(bool),
) -> Result<WebhookFigures, String> {
    let (url, receipts) = start_receiver()?;
    let auth = format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n");
    let mut connection = Connection::open(address).map_err(|e| e.to_string())?;
    let created = connection
        .send(
            "POST",
            "/v1/tenants/default/webhooks/subscriptions",
            &auth,
            &format!(r#"{{"url":"{url}","event_types":["*"],"enabled":false}}"#),
        )
        .map_err(|e| e.to_string())?;
    let subscription = field(&created.body, "id").ok_or(format!("subscription: {}", created.body))?;

    // Throughput: queue a backlog while the subscription is disabled, then enable it and
    // time the drain.
    for _ in 0..backlog {
        send_test_event(&mut connection, &auth, &subscription)?;
    }
    let path = format!("/v1/tenants/default/webhooks/subscriptions/{subscription}");
    probe(true);
    let enabled_at = Instant::now();
    connection.send("PATCH", &path, &auth, r#"{"enabled":true}"#).map_err(|e| e.to_string())?;
    let drained = wait_for(&receipts, backlog, Duration::from_secs(120));
    probe(false);
    drained?;
    let last = receipts.lock().map_err(|_| "poisoned")?.values().max().copied().unwrap_or(enabled_at);
    let per_second = backlog as f64 / (last - enabled_at).as_secs_f64();
    // The drain may have outlasted the server's idle timeout for this connection.
    let mut connection = Connection::open(address).map_err(|e| e.to_string())?;
    let fan_out_per_second = fan_out(&mut connection, &auth, &url, &receipts, backlog)?;
    let mut connection = Connection::open(address).map_err(|e| e.to_string())?;
    let before_latency = receipts.lock().map_err(|_| "poisoned")?.len();

    // Latency: events at a steady rate, each timed from the API call that created it.
    let mut sent = Vec::new();
    let interval = Duration::from_secs_f64(1.0 / latency_rate as f64);
    let samples = latency_rate * 3;
    let started = Instant::now();
    for n in 0..samples {
        let due = started + interval * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let begun = Instant::now();
        sent.push((send_test_event(&mut connection, &auth, &subscription)?, begun));
    }
    wait_for(&receipts, before_latency + samples, Duration::from_secs(60))?;
    let receipts = receipts.lock().map_err(|_| "poisoned")?;
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(id, begun)| receipts.get(&format!("/hooks {id}")).map(|received| *received - *begun))
        .collect();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    Ok(WebhookFigures { per_second, fan_out_per_second, latency_p50: percentile(0.5), latency_p99: percentile(0.99) })
}
