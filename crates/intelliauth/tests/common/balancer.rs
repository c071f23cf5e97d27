//! HAProxy, from Debian's packages (`scripts/test-deps.sh` installs it), in front of the
//! nodes of a test's cluster: round robin per request, `X-Served-By` naming the node that
//! answered, and health checks on `/readyz`, so a killed node leaves the rotation.

use std::time::Duration;

use tokio::process::{Child, Command};

pub struct Balancer {
    pub base: String,
    child: Child,
    _config_dir: TempDir,
}

/// A loopback port free right now, for a process that must know its port before it starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Balancer {
    /// Starts HAProxy on `port` in front of `nodes` (`host:port` each).
    pub async fn start(port: u16, nodes: &[String]) -> Balancer {
        let servers: String = nodes
            .iter()
            .enumerate()
            .map(|(n, node)| format!("  server node{n} {node} check inter 300ms fall 2 rise 1\n"))
            .collect();
        let config = format!(
            "global\n  maxconn 2000\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  \
             retries 2\n  option redispatch\n\
             frontend cluster\n  bind 127.0.0.1:{port}\n  default_backend nodes\n\
             backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n  \
             http-response set-header X-Served-By %s\n{servers}"
        );
        let dir = TempDir::new();
        let path = dir.0.join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("haproxy is installed (scripts/test-deps.sh, which `cargo xtask test` runs)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Balancer { base, child, _config_dir: dir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("HAProxy did not start on port {port}");
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(super::unique("intelliauth-haproxy-"));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
