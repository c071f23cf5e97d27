//! A small SMTP server for tests: speaks enough RFC 5321 for a real client (lettre) to
//! deliver, and keeps every message it receives.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

pub struct SmtpServer {
    pub url: String,
    inbox: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let sink = inbox.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 test-smtp ready\r\n").await;
                    let mut to = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-test-smtp\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "RCPT" => {
                                let address = line.split(['<', '>']).nth(1).unwrap_or_default().to_owned();
                                to.push(address);
                                b"250 OK\r\n"
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 end with .\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(line)) = lines.next_line().await {
                                    if line == "." {
                                        break;
                                    }
                                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                                    data.push('\n');
                                }
                                sink.lock().unwrap().push(Received { to: std::mem::take(&mut to), data });
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"502 not implemented\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        SmtpServer { url, inbox, task }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits for a message to `to` whose body contains `needle`, and returns its body
    /// with quoted-printable soft line breaks undone.
    pub async fn wait_for(&self, to: &str, needle: &str) -> String {
        for _ in 0..100 {
            let found = self.messages().into_iter().map(|m| (m.to, unfold(&m.data))).find(|(recipients, body)| {
                recipients.iter().any(|r| r.eq_ignore_ascii_case(to)) && body.contains(needle)
            });
            if let Some((_, body)) = found {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} containing {needle:?}; inbox: {:?}", self.messages());
    }

    /// The first link in the newest mail to `to` that contains `path`.
    pub async fn link(&self, to: &str, path: &str) -> String {
        let body = self.wait_for(to, path).await;
        let start = body.find("http").expect("a link");
        body[start..].split_whitespace().next().unwrap().to_owned()
    }
}

/// Undoes quoted-printable encoding (soft breaks and `=3D`) that mail clients apply.
fn unfold(data: &str) -> String {
    data.replace("=\n", "").replace("=3D", "=")
}
