//! A siteverify-compatible captcha service (hCaptcha, Cloudflare Turnstile, reCAPTCHA):
//! POST `secret` and `response` as a form, read `success` from the JSON answer.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use intelliauth_core::ports::CaptchaVerifier;
use serde::Deserialize;

pub struct Siteverify {
    url: String,
    site_key: String,
    secret: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    success: bool,
}

impl Siteverify {
    pub fn new(url: &str, site_key: &str, secret: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the siteverify client: {e}"))?;
        Ok(Siteverify { url: url.to_owned(), site_key: site_key.to_owned(), secret: secret.to_owned(), client })
    }
}

#[async_trait]
impl CaptchaVerifier for Siteverify {
    fn site_key(&self) -> &str {
        &self.site_key
    }

    async fn verify(&self, response: &str, remote_ip: IpAddr) -> Result<bool, String> {
        let form = [("secret", self.secret.as_str()), ("response", response), ("remoteip", &remote_ip.to_string())];
        let reply =
            self.client.post(&self.url).form(&form).send().await.map_err(|e| format!("siteverify unreachable: {e}"))?;
        if !reply.status().is_success() {
            return Err(format!("siteverify answered {}", reply.status()));
        }
        let answer: Answer = reply.json().await.map_err(|e| format!("siteverify answer unreadable: {e}"))?;
        Ok(answer.success)
    }
}
