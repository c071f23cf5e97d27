//! node-oidc-provider beside IntelliAuth in the same run: `bench/peer` (installed from npm,
//! in memory, ES256 JWT access tokens, one process per core through node:cluster), loaded
//! by the same wrk command as our token endpoint.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use crate::{run as run_command, workspace_root};

pub struct Peer {
    child: Child,
    pub base: String,
}

/// The peer's one client, as `bench/peer/server.mjs` registers it.
pub const CLIENT: (&str, &str) = ("bench", "bench-secret-bench-secret-bench-secret");

impl Peer {
    pub fn start() -> Result<Peer, String> {
        let directory = workspace_root().join("bench/peer");
        let lock = directory.join("package-lock.json");
        let installed = directory.join("node_modules/.installed-lock");
        if std::fs::read(&lock).ok() != std::fs::read(&installed).ok() {
            run_command(
                Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&directory),
            )?;
            std::fs::copy(&lock, &installed).map_err(|e| e.to_string())?;
        }
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&directory)
            .env("PEER_PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so stopping it stops its workers too.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start node-oidc-provider: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("listening on ") => break,
                Some(Ok(_)) => {}
                _ => return Err("node-oidc-provider exited before listening".into()),
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Peer { child, base: format!("http://127.0.0.1:{port}") })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // `--`: without it, procps kill reads the negative process group as an option.
        let _ = Command::new("kill").args(["-s", "KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}
