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

    /// Waits for a message to `to` whose decoded body contains `needle`, and returns that
    /// body.
    pub async fn wait_for(&self, to: &str, needle: &str) -> String {
        for _ in 0..100 {
            let found = self.messages().into_iter().map(|m| (m.to.clone(), m.read().2)).find(|(recipients, body)| {
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

impl Received {
    /// The message as its reader sees it: the `Subject` header with its RFC 2047 encoded
    /// words decoded, the `Content-Type` header, and the body decoded from its
    /// `Content-Transfer-Encoding` (quoted-printable or base64).
    pub fn read(&self) -> (String, String, String) {
        let (head, body) = self.data.split_once("\n\n").unwrap_or((&self.data, ""));
        let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
        let header = |name: &str| {
            unfolded
                .lines()
                .find_map(|line| line.split_once(':').filter(|(key, _)| key.eq_ignore_ascii_case(name)))
                .map(|(_, value)| value.trim().to_owned())
                .unwrap_or_default()
        };
        let body = match header("Content-Transfer-Encoding").to_ascii_lowercase().as_str() {
            "base64" => String::from_utf8(base64_decode(&body.replace('\n', ""))).unwrap(),
            "quoted-printable" => String::from_utf8(quoted_printable(body)).unwrap(),
            _ => body.to_owned(),
        };
        (decode_words(&header("Subject")), header("Content-Type"), body.replace("\r\n", "\n"))
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).expect("base64")
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\n", "");
    let bytes = text.as_bytes();
    let (mut out, mut at) = (Vec::new(), 0);
    while at < bytes.len() {
        if bytes[at] == b'=' && at + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("a quoted-printable escape"));
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    out
}

/// A header value with its RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`)
/// decoded; the white space between two encoded words is not part of the text.
fn decode_words(value: &str) -> String {
    let mut out = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let gap = &rest[..start];
        if !(after_word && gap.trim().is_empty()) {
            out.extend_from_slice(gap.as_bytes());
        }
        let word = &rest[start + 2..];
        let mut parts = word.splitn(3, '?');
        let (_charset, kind, tail) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let end = tail.find("?=").expect("an encoded word's end");
        let text = &tail[..end];
        match kind.to_ascii_lowercase().as_str() {
            "b" => out.extend(base64_decode(text)),
            _ => out.extend(quoted_printable(&text.replace('_', " "))),
        }
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).unwrap()
}
