//! Mailers: SMTP through lettre, or `.eml` files in a directory.

use std::path::PathBuf;

use async_trait::async_trait;
use intelliauth_core::ports::{Mail, Mailer};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Writes each mail as an `.eml` file, for development and air-gapped installs. The log
/// names the file, never its content: links in mail are credentials.
pub struct FileMailer {
    dir: PathBuf,
    from: String,
}

impl FileMailer {
    pub fn new(dir: PathBuf, from: &str) -> Self {
        FileMailer { dir, from: from.to_owned() }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.dir.join(format!("{}.eml", uuid::Uuid::now_v7().simple()));
        let text = format!("From: {}\r\nTo: {}\r\nSubject: {}\r\n\r\n{}", self.from, mail.to, mail.subject, mail.text);
        tokio::fs::write(&path, text).await.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), subject = %mail.subject, "mail written to the data directory");
        Ok(())
    }
}

/// Delivers through an SMTP server named by URL: `smtp://host:25` (plain, for a local
/// relay), `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("invalid SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from.parse().map_err(|e| format!("invalid mail sender {from:?}: {e}"))?;
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = mail.to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            // Said outright: the text is in the reader's language, often not ASCII.
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| format!("cannot build mail: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP delivery failed: {e}"))
    }
}
