//! Sign-in load for the benchmark: each virtual user starts a flow and signs in with the
//! right password, over a kept-alive HTTP/1.1 connection written with std only (wrk cannot
//! chain the two requests).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One kept-alive connection speaking just enough HTTP/1.1 for JSON requests.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(address: &str) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Connection { reader: BufReader::new(stream.try_clone()?), writer: stream })
    }

    /// POSTs `body` and returns the status and response body.
    fn post(&mut self, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        write!(
            self.writer,
            "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line)?;
        let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

pub struct SignInFigures {
    pub sign_ins_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub failures: usize,
}

/// Runs `users` concurrent sign-in loops against `address` for `duration`.
pub fn run(address: &str, email: &str, password: &str, users: usize, duration: Duration) -> SignInFigures {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers: Vec<_> = (0..users)
        .map(|_| {
            let (address, email, password) = (address.to_owned(), email.to_owned(), password.to_owned());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut failures = 0;
                let Ok(mut connection) = Connection::open(&address) else { return (latencies, 1) };
                let body = format!("{{\"email\":\"{email}\",\"password\":\"{password}\"}}");
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    let flow = connection.post("/t/default/api/login", "");
                    let flow_id = flow.ok().and_then(|(_, body)| {
                        body.split("\"flow_id\":\"").nth(1).map(|rest| rest.split('"').next().unwrap_or("").to_owned())
                    });
                    let Some(flow_id) = flow_id else {
                        failures += 1;
                        continue;
                    };
                    match connection.post(&format!("/t/default/api/login/{flow_id}"), &body) {
                        Ok((200, _)) => latencies.push(begun.elapsed()),
                        _ => failures += 1,
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for worker in workers {
        let (mut samples, failed) = worker.join().unwrap_or_default();
        latencies.append(&mut samples);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    SignInFigures {
        sign_ins_per_second: latencies.len() as f64 / elapsed,
        p50: percentile(0.5),
        p99: percentile(0.99),
        failures,
    }
}
