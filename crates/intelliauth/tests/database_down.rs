//! The database goes away and comes back: requests get `service_unavailable` quickly,
//! `/readyz` says not ready, `/healthz` stays up, and the server recovers on its own.
//!
//! The server reaches PostgreSQL through a TCP proxy that this test stops and restarts on
//! the same port: a real connection cut, not a mock. PostgreSQL only: the embedded SQLite
//! file cannot become unreachable from under a running process.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{postgres_url, Options, Server};
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards TCP connections to PostgreSQL until stopped.
struct Proxy {
    address: SocketAddr,
    upstream: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: String, address: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(address).await.expect("bind proxy");
        let address = listener.local_addr().unwrap();
        let target = upstream.clone();
        let acceptor = tokio::spawn(async move {
            // Aborting this task drops the guard, which aborts every copy loop: connections cut.
            struct AbortOnDrop(Vec<JoinHandle<()>>);
            impl Drop for AbortOnDrop {
                fn drop(&mut self) {
                    self.0.iter().for_each(JoinHandle::abort);
                }
            }
            let mut guard = AbortOnDrop(Vec::new());
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                guard.0.push(handle);
            }
        });
        Proxy { address, upstream, tasks: vec![acceptor] }
    }

    /// Closes the port and cuts every open connection.
    async fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }

    async fn restart(&mut self) {
        let again = Proxy::start(self.upstream.clone(), self.address).await;
        self.tasks = again.tasks;
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

#[tokio::test]
async fn database_outage_is_service_unavailable_then_recovers() {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: set {} to run the database outage test", common::TEST_DATABASE_ENV);
        return;
    };
    let (upstream, authority) = host_port(&url);
    let mut proxy = Proxy::start(upstream, "127.0.0.1:0".parse().unwrap()).await;
    let user_part = authority.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
    let via = url.replacen(&authority, &format!("{user_part}{}", proxy.address), 1);
    let options = Options { postgres_via: Some(via), ..Options::default() }.arg("--db-acquire-timeout-ms", 1000);
    let server = Server::start_with(options).await;

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
