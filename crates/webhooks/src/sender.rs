//! One HTTP attempt to a receiver, and what it observed.
//!
//! The client is an [`Egress`] one: it never follows redirects, ignores proxy settings, and
//! checks the address policy against the address actually connected to (a name that
//! resolved to a public address when the subscription was saved cannot be re-pointed at an
//! internal one: no DNS-rebinding SSRF).

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use intelliauth_catalogue::Code;
use intelliauth_egress::{refusal_in, AddressPolicy, Egress, EgressSettings, Refusal};

/// How much of a failed response's body the feed keeps.
const EXCERPT_BYTES: usize = 1024;

/// What one attempt saw.
#[derive(Debug, Clone)]
pub struct Report {
    pub observation: Code,
    pub http_status: Option<u16>,
    pub excerpt: Option<String>,
    pub error: Option<String>,
    pub latency: Duration,
    /// A 429 or 503's `Retry-After`: when the receiver asked to be tried again.
    pub retry_after: Option<Duration>,
}

/// Sends webhook requests.
#[derive(Clone)]
pub struct Sender {
    egress: Egress,
}

impl Sender {
    pub fn new(policy: AddressPolicy, timeout: Duration) -> Result<Sender, String> {
        let settings = EgressSettings {
            user_agent: concat!("IntelliAuth-Webhooks/", env!("CARGO_PKG_VERSION")),
            timeout: Some(timeout),
        };
        Ok(Sender { egress: Egress::new(policy, settings)? })
    }

    /// POSTs the JSON `body` with `headers`; never fails, it reports.
    pub async fn send(&self, url: &str, headers: &[(&str, String)], body: String) -> Report {
        self.post(url, "application/json", headers, body).await
    }

    /// POSTs a form (`application/x-www-form-urlencoded`), as back-channel logout does.
    pub async fn send_form(&self, url: &str, body: String) -> Report {
        self.post(url, "application/x-www-form-urlencoded", &[], body).await
    }

    async fn post(&self, url: &str, content_type: &str, headers: &[(&str, String)], body: String) -> Report {
        let started = Instant::now();
        let report = |observation, http_status, excerpt, error| Report {
            observation,
            http_status,
            excerpt,
            error,
            latency: started.elapsed(),
            retry_after: None,
        };
        // An IP literal never reaches the resolver, so it is checked here.
        if let Some(reason) = self.egress.literal_refusal(url) {
            return report(Code::ReceiverAddressForbidden, None, None, Some(reason));
        }
        let mut request = self.egress.client().post(url).header("content-type", content_type).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let (observation, reason) = classify(&error, url.starts_with("https://"));
                return report(observation, None, None, Some(reason));
            }
        };
        let status = response.status();
        if status.is_success() {
            return report(Code::Delivered, Some(status.as_u16()), None, None);
        }
        let observation = if status.is_server_error() {
            Code::Receiver5xx
        } else if status.is_client_error() {
            Code::Receiver4xx
        } else {
            Code::ReceiverUnexpectedStatus
        };
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk[..chunk.len().min(EXCERPT_BYTES - excerpt.len())]),
                _ => break,
            }
        }
        let excerpt = (!excerpt.is_empty()).then(|| String::from_utf8_lossy(&excerpt).into_owned());
        let retry_after = match status.as_u16() {
            429 | 503 => {
                response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after)
            }
            _ => None,
        };
        Report { retry_after, ..report(observation, Some(status.as_u16()), excerpt, None) }
    }
}

/// RFC 9110 §10.2.3: delay-seconds or an HTTP-date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// Sorts a transport failure into the feed's observation, with a reason for people. Over
/// `https`, a failure while connecting that is not a refusal failed in the TLS handshake
/// (a plain-HTTP port answers a ClientHello with garbage or hangs up).
fn classify(error: &reqwest::Error, https: bool) -> (Code, String) {
    match refusal_in(error) {
        Some(Refusal::Address(reason)) => return (Code::ReceiverAddressForbidden, reason),
        Some(Refusal::Dns(reason)) => return (Code::ReceiverDnsFailed, reason),
        None => {}
    }
    let mut source: Option<&(dyn StdError + 'static)> = Some(error);
    let mut io_kind = None;
    while let Some(current) = source {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return (Code::ReceiverTlsFailed, format!("TLS handshake failed: {tls}"));
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
            // An io::Error's `source` skips the error it wraps; rustls's is in there.
            if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return (Code::ReceiverTlsFailed, format!("TLS handshake failed: {tls}"));
            }
        }
        source = current.source();
    }
    if error.is_timeout() {
        return (Code::ReceiverTimeout, "no response within the delivery timeout".into());
    }
    let chain = error_chain(error);
    use std::io::ErrorKind;
    // Over https, a failure while connecting that is not a refusal happened after the TCP
    // handshake, in the TLS one (rustls's error does not always survive the wrapping).
    if https && error.is_connect() && io_kind != Some(ErrorKind::ConnectionRefused) {
        return (Code::ReceiverTlsFailed, format!("TLS handshake failed (is the port plain HTTP?): {chain}"));
    }
    match io_kind {
        Some(ErrorKind::ConnectionRefused) => (Code::ReceiverConnectionFailed, chain),
        _ if chain.contains("tls") || chain.contains("certificate") || chain.contains("handshake") => {
            (Code::ReceiverTlsFailed, chain)
        }
        _ => (Code::ReceiverConnectionFailed, chain),
    }
}

fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(current) = source {
        text.push_str(": ");
        text.push_str(&current.to_string());
        source = current.source();
    }
    text
}
