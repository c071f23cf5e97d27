//! A webhook receiver for tests: a real HTTP (or HTTPS, with a certificate nobody trusts)
//! server whose answer the test sets, which records every request it is sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status and body, after this delay.
    Status { status: u16, body: String, delay: Duration },
    /// Reads the request and never answers.
    Hang,
    /// 429 Too Many Requests with this `Retry-After` value.
    TooMany { retry_after: String },
}

impl Answer {
    pub fn ok() -> Answer {
        Answer::status(200, "ok")
    }

    pub fn status(status: u16, body: &str) -> Answer {
        Answer::Status { status, body: body.to_owned(), delay: Duration::ZERO }
    }

    pub fn slow(status: u16, delay: Duration) -> Answer {
        Answer::Status { status, body: "ok".into(), delay }
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HashMap<String, String>,
    pub body: String,
    pub received_at: Instant,
}

impl Delivery {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("webhook body is JSON")
    }
}

#[derive(Default)]
struct Shared {
    deliveries: Vec<Delivery>,
    /// Requests being answered right now, by `webhook-id`.
    in_flight: HashMap<String, usize>,
    /// The most requests for one `webhook-id` ever answered at the same time.
    max_in_flight_per_id: usize,
}

pub struct Receiver {
    pub url: String,
    answer: Arc<Mutex<Answer>>,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(answer: Answer) -> Receiver {
        Receiver::start_with(answer, None).await
    }

    /// An HTTPS receiver whose self-signed certificate no client trusts.
    pub async fn start_untrusted_tls(answer: Answer) -> Receiver {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("test certificate");
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .expect("TLS server config");
        Receiver::start_with(answer, Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn start_with(answer: Answer, tls: Option<tokio_rustls::TlsAcceptor>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/hooks", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(answer));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (answer_for_task, shared_for_task) = (answer.clone(), shared.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (answer, shared, tls) = (answer_for_task.clone(), shared_for_task.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, answer, shared).await;
                            }
                        }
                        None => serve(stream, answer, shared).await,
                    }
                });
            }
        });
        Receiver { url, answer, shared, task }
    }

    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().unwrap().deliveries.clone()
    }

    pub fn max_in_flight_per_id(&self) -> usize {
        self.shared.lock().unwrap().max_in_flight_per_id
    }

    /// Waits until at least `count` requests arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + within;
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count {
                return deliveries;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} deliveries within {within:?}, got {}",
                deliveries.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until a delivery matching `predicate` arrived.
    pub async fn wait_for_match(&self, within: Duration, predicate: impl Fn(&Delivery) -> bool) -> Delivery {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = self.deliveries().into_iter().find(|delivery| predicate(delivery)) {
                return found;
            }
            assert!(Instant::now() < deadline, "no matching delivery within {within:?}: {:#?}", self.deliveries());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    answer: Arc<Mutex<Answer>>,
    shared: Arc<Mutex<Shared>>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head, body) = loop {
        let Ok(n) = stream.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        // A TLS ClientHello (record type 0x16) at a plain-HTTP port: answer as HTTP servers
        // (hyper, nginx) do, with a 400, and hang up.
        if buffer[0] == 0x16 {
            let _ =
                stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").await;
            let _ = stream.shutdown().await;
            return;
        }
        let Some(head_end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0usize);
        if buffer.len() >= head_end + 4 + length {
            break (head, String::from_utf8_lossy(&buffer[head_end + 4..head_end + 4 + length]).into_owned());
        }
    };
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let id = headers.get("webhook-id").cloned().unwrap_or_default();
    {
        let mut shared = shared.lock().unwrap();
        shared.deliveries.push(Delivery { headers, body, received_at: Instant::now() });
        let in_flight = shared.in_flight.entry(id.clone()).or_default();
        *in_flight += 1;
        let now = *in_flight;
        shared.max_in_flight_per_id = shared.max_in_flight_per_id.max(now);
    }
    let answer = answer.lock().unwrap().clone();
    match answer {
        Answer::Hang => {
            // Hold the connection open; the server must give up on its own.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Answer::Status { .. } | Answer::TooMany { .. } => {
            let (status, body, extra) = match answer {
                Answer::Status { status, body, delay } => {
                    tokio::time::sleep(delay).await;
                    (status, body, String::new())
                }
                Answer::TooMany { retry_after } => (429, "slow down".into(), format!("Retry-After: {retry_after}\r\n")),
                Answer::Hang => unreachable!(),
            };
            let response = format!(
                "HTTP/1.1 {status} Status\r\nContent-Type: text/plain\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
    if let Some(count) = shared.lock().unwrap().in_flight.get_mut(&id) {
        *count -= 1;
    }
}
