//! Asks tenants' legacy password verifiers (lazy migration): a POST of the email and
//! password, signed as Standard Webhooks with the tenant's verifier secret, through the
//! same egress guard as webhook deliveries (no redirects, no proxies, the address policy
//! checked on the address connected to).

use std::time::Duration;

use async_trait::async_trait;
use intelliauth_core::ports::{PasswordVerifier, VerifierAnswer, VerifierCall};
use intelliauth_egress::{describe, read_within, AddressPolicy, BodyError, Egress, EgressSettings};
use serde_json::{json, Value};

/// A verifier's answer larger than this is not read (a user's profile is a few KiB).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The verifier's time to answer: a person is waiting at the sign-in form.
const TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpPasswordVerifier {
    egress: Egress,
}

impl HttpPasswordVerifier {
    pub fn new(policy: AddressPolicy) -> Result<Self, String> {
        let settings = EgressSettings {
            user_agent: concat!("IntelliAuth-Migration/", env!("CARGO_PKG_VERSION")),
            timeout: Some(TIMEOUT),
        };
        Ok(HttpPasswordVerifier { egress: Egress::new(policy, settings)? })
    }
}

#[async_trait]
impl PasswordVerifier for HttpPasswordVerifier {
    async fn verify(&self, call: VerifierCall<'_>) -> Result<VerifierAnswer, String> {
        if let Some(reason) = self.egress.literal_refusal(call.url) {
            return Err(reason);
        }
        let body = json!({ "tenant_id": call.tenant_id, "email": call.email, "password": call.password }).to_string();
        let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        let timestamp_s = intelliauth_core::ids::now_ms() / 1000;
        let signature = crate::signing::sign(call.secret, &message_id, timestamp_s, &body)
            .ok_or("the verifier secret is malformed")?;
        let sent = self
            .egress
            .client()
            .post(call.url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp_s.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let response = sent.map_err(|error| format!("the verifier could not be reached: {}", describe(&error)))?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            401 | 403 | 404 => return Ok(VerifierAnswer::Wrong),
            other => return Err(format!("the verifier answered HTTP {other}")),
        }
        let answer = read_within(response, MAX_ANSWER_BYTES).await.map_err(|error| match error {
            BodyError::TooLarge => format!("the verifier's answer is over {MAX_ANSWER_BYTES} bytes"),
            BodyError::Broken(error) => format!("the verifier's answer broke off: {}", describe(&error)),
        })?;
        let answer: Value =
            serde_json::from_slice(&answer).map_err(|e| format!("the verifier's answer is not JSON: {e}"))?;
        match answer.get("user") {
            Some(user @ Value::Object(_)) => Ok(VerifierAnswer::Right(user.clone())),
            _ => Err("the verifier answered 200 without a \"user\" object".into()),
        }
    }
}
