//! Captcha: when sign-in asks for one, the built-in proof-of-work provider, and the
//! siteverify provider behind `ports::CaptchaVerifier`.

use intelliauth_catalogue::Code;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Auth, ClientContext};
use crate::model::{CaptchaMode, CaptchaPolicy, CaptchaProvider, Tenant, User};
use crate::{ids, secret, Error, Result};

/// How long a proof-of-work challenge may be answered.
const CHALLENGE_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// A puzzle for the client: find `solution` so that SHA-256(`nonce` ":" `solution`) starts
/// with `difficulty` zero bits. Answer with `captcha = "<id>:<solution>"`.
#[derive(Debug, Clone)]
pub struct CaptchaChallenge {
    pub id: String,
    pub nonce: String,
    pub difficulty: u8,
}

/// A sign-in must prove a person first; `rejected`: the answer it carried was wrong.
#[derive(Debug, Clone)]
pub struct CaptchaDue {
    pub rejected: bool,
    pub widget: CaptchaWidget,
}

/// What the client shows to get an answer.
#[derive(Debug, Clone)]
pub enum CaptchaWidget {
    /// The built-in puzzle, solved by the browser's script.
    ProofOfWork(CaptchaChallenge),
    /// The configured siteverify provider's widget, with the instance's site key.
    Siteverify { site_key: String },
}

/// How clients that read codes (the JSON API) learn of it: `captcha_required`, with what
/// to render.
impl From<CaptchaDue> for Error {
    fn from(due: CaptchaDue) -> Error {
        let error = Error::new(Code::CaptchaRequired).with_detail("rejected", due.rejected);
        match due.widget {
            CaptchaWidget::ProofOfWork(challenge) => error.with_detail("provider", "proof_of_work").with_detail(
                "challenge",
                json!({ "id": challenge.id, "nonce": challenge.nonce, "difficulty": challenge.difficulty,
                        "algorithm": "sha256", "answer_format": "<id>:<solution>" }),
            ),
            CaptchaWidget::Siteverify { site_key } => {
                error.with_detail("provider", "siteverify").with_detail("site_key", site_key)
            }
        }
    }
}

fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

fn meets(nonce: &str, solution: &str, difficulty: u8) -> bool {
    let hash = Sha256::digest(format!("{nonce}:{solution}").as_bytes());
    leading_zero_bits(&hash) >= u32::from(difficulty)
}

/// Solves a challenge by brute force, as a client would (tests and examples use it).
pub fn solve_proof_of_work(nonce: &str, difficulty: u8) -> String {
    (0u64..).map(|n| n.to_string()).find(|candidate| meets(nonce, candidate, difficulty)).unwrap_or_default()
}

impl Auth {
    /// Whether this attempt must carry a captcha, before its password is looked at.
    pub(super) async fn captcha_needed(&self, tenant: &Tenant, user: Option<&User>, client: &ClientContext) -> bool {
        let policy = &tenant.settings.sign_in.captcha;
        match policy.mode {
            CaptchaMode::Off => false,
            CaptchaMode::Always => true,
            CaptchaMode::AfterFailures => {
                let ip_failures = self.ip_failures(&tenant.id, client.ip).await;
                let account_failures = user.map_or(0, |user| self.account_failures_in_window(tenant, user));
                ip_failures >= policy.ip_failures || account_failures >= i64::from(policy.account_failures)
            }
        }
    }

    fn account_failures_in_window(&self, tenant: &Tenant, user: &User) -> i64 {
        let window_ms = tenant.settings.sign_in.lockout_window_s as i64 * 1000;
        if ids::now_ms() - user.lockout.window_start < window_ms {
            user.lockout.failed_attempts
        } else {
            0
        }
    }

    /// The challenge a sign-in page shows before anything is submitted: when the tenant asks
    /// for a captcha on every attempt, the first submit must not fail for the lack of one.
    pub async fn captcha_up_front(&self, tenant: &Tenant) -> Result<Option<CaptchaWidget>> {
        match tenant.settings.sign_in.captcha.mode {
            CaptchaMode::Always => Ok(Some(self.captcha_due(tenant, false).await?.widget)),
            CaptchaMode::Off | CaptchaMode::AfterFailures => Ok(None),
        }
    }

    /// A fresh challenge and what the client must render.
    pub(super) async fn captcha_due(&self, tenant: &Tenant, rejected: bool) -> Result<CaptchaDue> {
        let policy: &CaptchaPolicy = &tenant.settings.sign_in.captcha;
        let widget = match policy.provider {
            CaptchaProvider::ProofOfWork => {
                CaptchaWidget::ProofOfWork(self.issue_challenge(&tenant.id, policy.pow_difficulty).await?)
            }
            CaptchaProvider::Siteverify => match &self.siteverify {
                Some(verifier) => CaptchaWidget::Siteverify { site_key: verifier.site_key().to_owned() },
                None => return Err(Error::internal("the tenant asks for siteverify captcha but none is configured")),
            },
        };
        Ok(CaptchaDue { rejected, widget })
    }

    async fn issue_challenge(&self, tenant_id: &str, difficulty: u8) -> Result<CaptchaChallenge> {
        let challenge = CaptchaChallenge { id: secret::generate("cap_"), nonce: secret::generate(""), difficulty };
        let expires_at = ids::now_ms() + CHALLENGE_LIFETIME_MS;
        self.auth_store.insert_captcha(&challenge.id, tenant_id, &challenge.nonce, difficulty, expires_at).await?;
        Ok(challenge)
    }

    /// Checks a captcha answer; each proof-of-work challenge answers once.
    pub(super) async fn captcha_solved(&self, tenant: &Tenant, answer: &str, client: &ClientContext) -> Result<bool> {
        match tenant.settings.sign_in.captcha.provider {
            CaptchaProvider::ProofOfWork => {
                let Some((id, solution)) = answer.split_once(':') else { return Ok(false) };
                if id.len() > 128 || solution.len() > 128 {
                    return Ok(false);
                }
                match self.auth_store.consume_captcha(id, &tenant.id, ids::now_ms()).await? {
                    Some((nonce, difficulty)) => Ok(meets(&nonce, solution, difficulty)),
                    None => Ok(false),
                }
            }
            CaptchaProvider::Siteverify => {
                let verifier =
                    self.siteverify.as_ref().ok_or_else(|| Error::internal("no siteverify provider configured"))?;
                if answer.is_empty() || answer.len() > 4096 {
                    return Ok(false);
                }
                verifier
                    .verify(answer, client.ip)
                    .await
                    .map_err(|cause| Error::unavailable(format!("captcha verification failed: {cause}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solutions_meet_their_difficulty() {
        let solution = solve_proof_of_work("abc", 10);
        assert!(meets("abc", &solution, 10));
        assert!(!meets("abc", "definitely-not", 24));
        assert_eq!(leading_zero_bits(&[0, 0b0001_0000]), 11);
    }
}
