//! A TCP proxy the test can cut: in front of the machine's Redis, it makes Redis go away
//! (connections refused and reset) or hang (accepted, never answered) for the nodes behind
//! it, without touching the Redis other tests use.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    /// New connections are closed at once and open ones are reset.
    Refuse,
    /// Connections are accepted and nothing is ever answered.
    Hang,
}

pub struct TcpProxy {
    pub port: u16,
    mode: Arc<watch::Sender<Mode>>,
}

impl TcpProxy {
    pub async fn start(upstream: &str) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mode, _) = watch::channel(Mode::Forward);
        let mode = Arc::new(mode);
        let upstream = upstream.to_owned();
        let shared = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream.clone(), shared.subscribe()));
            }
        });
        TcpProxy { port, mode }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

async fn relay(mut client: TcpStream, upstream: String, mut mode: watch::Receiver<Mode>) {
    let current = *mode.borrow_and_update();
    match current {
        Mode::Refuse => return,
        Mode::Hang => {
            // Hold the connection open, reading nothing, until the mode changes.
            let _ = mode.changed().await;
            return;
        }
        Mode::Forward => {}
    }
    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = mode.changed() => {
            // Any change cuts the connections that were forwarding.
            let _ = client.shutdown().await;
        }
    }
}
