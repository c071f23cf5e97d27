//! Load for the flows wrk cannot chain: each virtual user runs a sequence of requests over
//! a kept-alive HTTP/1.1 connection written with std only. Sign-ins (start a flow, send the
//! password), the authorization-code flow (authorize with a session, exchange the code),
//! and refresh-token rotation (each refresh uses the token the last one returned).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One kept-alive connection speaking just enough HTTP/1.1.
pub(crate) struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    /// `name=value` of each `Set-Cookie`.
    pub(crate) cookies: Vec<String>,
    pub(crate) body: String,
}

impl Connection {
    pub(crate) fn open(address: &str) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Connection { reader: BufReader::new(stream.try_clone()?), writer: stream })
    }

    pub(crate) fn send(&mut self, method: &str, path: &str, headers: &str, body: &str) -> std::io::Result<Reply> {
        write!(
            self.writer,
            "{method} {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line)?;
        let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (mut length, mut location, mut cookies, mut chunked) = (0, None, Vec::new(), false);
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            } else if lower.starts_with("location:") {
                location = Some(line[9..].trim().to_owned());
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("set-cookie:") {
                cookies.extend(line[11..].split(';').next().map(|pair| pair.trim().to_owned()));
            }
        }
        let body = if chunked { self.read_chunks()? } else { self.read_bytes(length)? };
        Ok(Reply { status, location, cookies, body: String::from_utf8_lossy(&body).into_owned() })
    }

    fn read_bytes(&mut self, length: usize) -> std::io::Result<Vec<u8>> {
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(body)
    }

    /// A chunked body (Node answers so when it did not know the length up front).
    fn read_chunks(&mut self) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            self.reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or_default(), 16)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            body.extend(self.read_bytes(size)?);
            let mut end = String::new();
            self.reader.read_line(&mut end)?;
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn post_json(&mut self, path: &str, body: &str) -> std::io::Result<Reply> {
        self.send("POST", path, "Content-Type: application/json\r\n", body)
    }

    pub(crate) fn post_form(&mut self, path: &str, body: &str) -> std::io::Result<Reply> {
        self.send("POST", path, "Content-Type: application/x-www-form-urlencoded\r\n", body)
    }
}

/// A JSON string field, without a JSON parser (the xtask keeps its dependencies few).
pub(crate) fn field(body: &str, name: &str) -> Option<String> {
    Some(body.split(&format!("\"{name}\":\"")).nth(1)?.split('"').next()?.to_owned())
}

pub(crate) fn query_field(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

pub struct LoadFigures {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub failures: usize,
}

impl LoadFigures {
    /// The figures, or an error naming `what` when any iteration failed: a run with
    /// failures measured something else.
    pub fn checked(self, what: &str) -> Result<LoadFigures, String> {
        match self.failures {
            0 => Ok(self),
            failures => Err(format!("{failures} iterations of {what} failed during the benchmark")),
        }
    }
}

/// Runs `users` loops of `iteration` on their own connections for `duration`.
pub(crate) fn drive<S: Send + 'static>(
    address: &str,
    users: usize,
    duration: Duration,
    setup: impl Fn(&mut Connection) -> Option<S> + Send + Clone + 'static,
    iteration: impl Fn(&mut Connection, &mut S) -> bool + Send + Clone + 'static,
) -> LoadFigures {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers: Vec<_> = (0..users)
        .map(|_| {
            let (address, setup, iteration) = (address.to_owned(), setup.clone(), iteration.clone());
            std::thread::spawn(move || {
                let (mut latencies, mut failures) = (Vec::new(), 0);
                let Ok(mut connection) = Connection::open(&address) else { return (latencies, 1) };
                let Some(mut state) = setup(&mut connection) else { return (latencies, 1) };
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    if iteration(&mut connection, &mut state) {
                        latencies.push(begun.elapsed());
                    } else {
                        failures += 1;
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let (mut latencies, mut failures) = (Vec::new(), 0);
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
    LoadFigures { per_second: latencies.len() as f64 / elapsed, p50: percentile(0.5), p99: percentile(0.99), failures }
}

/// A JSON-API sign-in; returns the session token (also the browser's session cookie).
fn sign_in(connection: &mut Connection, credentials: &str) -> Option<String> {
    let flow = field(&connection.post_json("/t/default/api/login", "").ok()?.body, "flow_id")?;
    let reply = connection.post_json(&format!("/t/default/api/login/{flow}"), credentials).ok()?;
    (reply.status == 200).then(|| field(&reply.body, "session_token")).flatten()
}

const CREDENTIALS: &str = r#"{"email":"bench@example.com","password":"correct horse battery"}"#;
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const REDIRECT: &str = "http://localhost:4000/callback";

/// Full sign-ins: start a flow and send the right password.
pub fn sign_ins(address: &str, users: usize, duration: Duration) -> LoadFigures {
    drive(address, users, duration, |_| Some(()), |connection, _| sign_in(connection, CREDENTIALS).is_some())
}

/// Authorizes with a session and exchanges the code; returns the token response body.
fn authorize_and_exchange(connection: &mut Connection, session: &str, client_id: &str) -> Option<String> {
    let path = format!(
        "/t/default/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback\
         &scope=openid%20offline_access&code_challenge={CHALLENGE}&code_challenge_method=S256&state=s"
    );
    let reply = connection.send("GET", &path, &format!("Cookie: ia_session={session}\r\n"), "").ok()?;
    let code = query_field(reply.location.as_deref()?, "code")?;
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback&code_verifier={VERIFIER}&client_id={client_id}"
    );
    let reply = connection.post_form("/t/default/oauth/token", &form).ok()?;
    (reply.status == 200).then_some(reply.body)
}

/// Authorize (with a signed-in session) and exchange the code: the authorization-code flow
/// without the password step.
pub fn code_flows(address: &str, client_id: &str, users: usize, duration: Duration) -> LoadFigures {
    let client_id: Arc<str> = client_id.into();
    drive(
        address,
        users,
        duration,
        |connection| sign_in(connection, CREDENTIALS),
        move |connection, session| authorize_and_exchange(connection, session, &client_id).is_some(),
    )
}

/// The whole authorization-code flow: sign in, authorize, exchange.
pub fn full_flows(address: &str, client_id: &str, users: usize, duration: Duration) -> LoadFigures {
    let client_id: Arc<str> = client_id.into();
    drive(
        address,
        users,
        duration,
        |_| Some(()),
        move |connection, _| {
            sign_in(connection, CREDENTIALS)
                .and_then(|session| authorize_and_exchange(connection, &session, &client_id))
                .is_some()
        },
    )
}

/// Refresh-token rotation: every refresh uses the token the previous one returned.
pub fn refreshes(address: &str, client_id: &str, users: usize, duration: Duration) -> LoadFigures {
    let client_id: Arc<str> = client_id.into();
    let setup_client = client_id.clone();
    drive(
        address,
        users,
        duration,
        move |connection| {
            let session = sign_in(connection, CREDENTIALS)?;
            field(&authorize_and_exchange(connection, &session, &setup_client)?, "refresh_token")
        },
        move |connection, token| {
            let form = format!("grant_type=refresh_token&refresh_token={token}&client_id={client_id}");
            match connection.post_form("/t/default/oauth/token", &form) {
                Ok(reply) if reply.status == 200 => match field(&reply.body, "refresh_token") {
                    Some(next) => {
                        *token = next;
                        true
                    }
                    None => false,
                },
                _ => false,
            }
        },
    )
}
