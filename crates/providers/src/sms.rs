//! An HTTP SMS gateway in the style of Twilio's Messages API: `POST` a form with `To`,
//! `From` and `Body`, authenticated with HTTP Basic; any 2xx is accepted.

use std::time::Duration;

use async_trait::async_trait;
use intelliauth_core::ports::SmsSender;

pub struct HttpSms {
    url: String,
    username: Option<String>,
    password: Option<String>,
    from: String,
    client: reqwest::Client,
}

impl HttpSms {
    pub fn new(url: &str, username: Option<&str>, password: Option<&str>, from: &str) -> Result<HttpSms, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the SMS gateway client: {e}"))?;
        Ok(HttpSms {
            url: url.to_owned(),
            username: username.map(str::to_owned),
            password: password.map(str::to_owned),
            from: from.to_owned(),
            client,
        })
    }
}

#[async_trait]
impl SmsSender for HttpSms {
    async fn send(&self, to: &str, body: &str) -> Result<(), String> {
        let form = [("To", to), ("From", self.from.as_str()), ("Body", body)];
        let mut request = self.client.post(&self.url).form(&form);
        if let Some(username) = &self.username {
            request = request.basic_auth(username, self.password.as_deref());
        }
        let reply = request.send().await.map_err(|e| {
            if e.is_timeout() {
                "the SMS gateway did not answer within 5 s".to_owned()
            } else {
                format!("the SMS gateway is unreachable: {e}")
            }
        })?;
        let status = reply.status();
        if status.is_success() {
            return Ok(());
        }
        let text = reply.text().await.unwrap_or_default();
        Err(format!("the SMS gateway answered {status}: {}", text.chars().take(200).collect::<String>()))
    }
}
