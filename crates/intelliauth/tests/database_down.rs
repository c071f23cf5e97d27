//! The database goes away and comes back: requests get `service_unavailable` quickly,
//! `/readyz` says not ready, `/healthz` stays up, and the server recovers on its own.
//!
//! The server reaches PostgreSQL through a TCP proxy that this test stops and restarts on
//! the same port: a real connection cut, not a mock. PostgreSQL only: the embedded SQLite
//! file cannot become unreachable from under a running process.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::oauth::machine_client;
use common::{postgres_url, Options, Reply, Server};
use reqwest::StatusCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards TCP connections to PostgreSQL until stopped; while `stalled`, it keeps every
/// connection open and accepts new ones but forwards nothing until it is resumed.
struct Proxy {
    address: SocketAddr,
    upstream: String,
    tasks: Vec<JoinHandle<()>>,
    stalled: Arc<AtomicBool>,
}

/// Copies one direction of a connection, holding what arrives while `stalled` (nothing is
/// lost: a database that stops answering and later answers everything it was sent).
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, stalled: Arc<AtomicBool>) {
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
}

impl Proxy {
    async fn start(upstream: String, address: SocketAddr) -> Proxy {
        Proxy::start_with(upstream, address, Arc::default()).await
    }

    async fn start_with(upstream: String, address: SocketAddr, stalled: Arc<AtomicBool>) -> Proxy {
        let listener = TcpListener::bind(address).await.expect("bind proxy");
        let address = listener.local_addr().unwrap();
        let target = upstream.clone();
        let flag = stalled.clone();
        let acceptor = tokio::spawn(async move {
            // Aborting this task drops the guard, which aborts every copy loop: connections cut.
            struct AbortOnDrop(Vec<JoinHandle<()>>);
            impl Drop for AbortOnDrop {
                fn drop(&mut self) {
                    self.0.iter().for_each(JoinHandle::abort);
                }
            }
            let mut guard = AbortOnDrop(Vec::new());
            while let Ok((inbound, _)) = listener.accept().await {
                let target = target.clone();
                let stalled = flag.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(&target).await {
                        let (in_read, in_write) = inbound.into_split();
                        let (out_read, out_write) = outbound.into_split();
                        tokio::join!(pump(in_read, out_write, stalled.clone()), pump(out_read, in_write, stalled));
                    }
                });
                guard.0.push(handle);
            }
        });
        Proxy { address, upstream, tasks: vec![acceptor], stalled }
    }

    /// Closes the port and cuts every open connection.
    async fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }

    async fn restart(&mut self) {
        let again = Proxy::start_with(self.upstream.clone(), self.address, self.stalled.clone()).await;
        self.tasks = again.tasks;
    }

    fn stall(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::SeqCst);
    }
}

fn host_port(url: &str) -> (String, String) {
    // postgres://user@host:port/db?… → ("host:port", url with the proxy substituted later)
    let after_scheme = url.split("://").nth(1).unwrap();
    let authority = after_scheme.split('/').next().unwrap();
    let host = authority.rsplit('@').next().unwrap();
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:5432") };
    (host, authority.to_owned())
}

/// A server on PostgreSQL reached through a proxy, with a 1 s acquire timeout.
async fn behind_proxy() -> Option<(Proxy, Server)> {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: set {} to run the database outage tests", common::TEST_DATABASE_ENV);
        return None;
    };
    let (upstream, authority) = host_port(&url);
    let proxy = Proxy::start(upstream, "127.0.0.1:0".parse().unwrap()).await;
    let user_part = authority.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
    let via = url.replacen(&authority, &format!("{user_part}{}", proxy.address), 1);
    let options = Options { postgres_via: Some(via), ..Options::default() }.arg("--db-acquire-timeout-ms", 1000);
    let server = Server::start_with(options).await;
    Some((proxy, server))
}

/// The database keeps its connections open and takes new ones but never answers: every
/// request still gets `service_unavailable` within a few seconds (acquire timeout plus the
/// operation margin), the JSON sign-in included, and the server recovers when it answers again.
#[tokio::test]
async fn database_that_never_answers_is_service_unavailable_within_seconds() {
    let Some((mut proxy, server)) = behind_proxy().await else { return };
    let id = server.create_user("silent@example.com").await;
    let path = format!("/v1/tenants/default/users/{id}");
    assert_eq!(server.get(&path).await.status, StatusCode::OK);
    let (client_id, secret) = machine_client(&server.endpoint, "default", &["client_credentials"], &[]).await;
    let token =
        || server.oauth_post("default", "token", (&client_id, &secret), &[("grant_type", "client_credentials")]);
    assert_eq!(token().await.status, StatusCode::OK, "the node now holds a copy of the client");

    proxy.stall(true);
    let stalled_at = Instant::now();
    for request in 0..3 {
        let started = Instant::now();
        let down = server.get(&path).await;
        let took = started.elapsed();
        down.assert_error(503, "service_unavailable");
        assert!(took < Duration::from_secs(5), "request {request} answered after {took:?}, not within seconds");
    }
    let started = Instant::now();
    let url = server.url("/t/default/api/login");
    let sign_in = Reply::from(reqwest::Client::new().post(url).send().await.unwrap()).await;
    sign_in.assert_error(503, "service_unavailable");
    assert!(started.elapsed() < Duration::from_secs(5), "sign-in answered after {:?}", started.elapsed());

    // The node's copy of the client cannot be vouched for once its listener hears nothing
    // (another node might change the client meanwhile): the token endpoint stops serving
    // from it within the listener's 3 s of silence, and answers like the rest.
    let deadline = stalled_at + Duration::from_secs(3) + Duration::from_secs(6);
    loop {
        let issued = token().await;
        if issued.status == StatusCode::SERVICE_UNAVAILABLE {
            issued.assert_error(503, "service_unavailable");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tokens still served from a copy {:?} after the stall",
            stalled_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    proxy.stall(false);
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.get(&path).await.status != StatusCode::OK {
        assert!(Instant::now() < deadline, "did not recover after the database answered again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A write the stall caught between its statements (the tenant log's batch of the tokens
    // above, say) may have left its session open in a transaction; closing the proxy ends it
    // before the test's schema is dropped, rather than the server's 60 s idle limit.
    proxy.stop().await;
    drop(server);
}

#[tokio::test]
async fn database_outage_is_service_unavailable_then_recovers() {
    let Some((mut proxy, server)) = behind_proxy().await else { return };

    let id = server.create_user("up@example.com").await;
    let path = format!("/v1/tenants/default/users/{id}");
    assert_eq!(server.get(&path).await.status, StatusCode::OK);
    assert_eq!(server.get("/readyz").await.status, StatusCode::OK);

    proxy.stop().await;
    let started = Instant::now();
    let down = server.get(&path).await;
    assert!(started.elapsed() < Duration::from_secs(5), "no hang: {:?}", started.elapsed());
    down.assert_error(503, "service_unavailable");
    down.assert_catalogue_message();
    assert!(down.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{:?}", down.headers);
    let not_ready = server.get("/readyz").await;
    not_ready.assert_error(503, "service_unavailable");
    assert_eq!(not_ready.body["details"]["database"], "unreachable");
    assert_eq!(server.get("/healthz").await.status, StatusCode::OK, "liveness does not depend on the database");

    proxy.restart().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = server.get(&path).await;
        if reply.status == StatusCode::OK {
            assert_eq!(reply.body["email"], "up@example.com");
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {}", reply.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.get("/readyz").await.status, StatusCode::OK);
}
