//! DPoP (RFC 9449): the proofs a client signs with its own key, checked at the token
//! endpoint (tokens bound to the key's thumbprint, `cnf.jkt`) and wherever a bound access
//! token is presented; server nonces without server state; each proof's `jti` used once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use intelliauth_catalogue::Code;
use intelliauth_core::ports::StoreError;
use intelliauth_core::{ids, secret, DpopChallenge, Error, Refusal, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::authorize::Granted;
use crate::keys::{self, Algorithm};
use crate::provider::Oidc;
use intelliauth_core::model::{Application, ClientType};

/// The algorithms a proof may be signed with, as discovery lists them: `Ed25519` is the
/// fully-specified name of EdDSA over Ed25519 (RFC 9864), which newer clients send.
pub const DPOP_ALGS: [&str; 4] = ["ES256", "EdDSA", "Ed25519", "RS256"];

/// The algorithm a proof's `alg` names, if it is one we take.
fn proof_algorithm(alg: &str) -> Option<Algorithm> {
    match alg {
        "Ed25519" => Some(Algorithm::EdDsa),
        _ => DPOP_ALGS.contains(&alg).then(|| Algorithm::parse(alg)).flatten(),
    }
}
/// How long after its `iat` a proof is accepted (and its `jti` remembered).
const PROOF_LIFETIME_S: i64 = 300;
/// How far in the future a proof's `iat` may be (clocks disagree a little).
const CLOCK_SKEW_S: i64 = 60;
/// A nonce names the five-minute window it was made in; it is good in that window and the next.
const NONCE_WINDOW_S: i64 = 300;
/// The longest proof read: a header with an RSA key and a few claims fit in far less.
const MAX_PROOF_BYTES: usize = 8192;

/// Where a proof is presented: the request's method and URL (without query or fragment),
/// and the access token it accompanies, if any (its hash must be the proof's `ath`).
pub struct ProofContext<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub access_token: Option<&'a str>,
}

/// Why a proof is not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum ProofRefusal {
    Invalid(&'static str),
    /// A nonce is needed (none, or an old one): ask again with this one.
    NonceNeeded(String),
}

/// `invalid_dpop_proof` at the token endpoint.
pub(crate) fn invalid_proof(reason: &str) -> Error {
    Error::new(Code::InvalidDpopProof).with_refusal(Refusal::BadDpopProof).with_detail("reason", reason)
}

/// The token endpoint's error for a refused proof.
pub(crate) fn token_endpoint_error(refusal: ProofRefusal) -> Error {
    match refusal {
        ProofRefusal::Invalid(reason) => invalid_proof(reason),
        ProofRefusal::NonceNeeded(nonce) => {
            Error::new(Code::UseDpopNonce).with_refusal(Refusal::DpopNonceNeeded { nonce })
        }
    }
}

/// A resource's error (401 with a `DPoP` challenge) for a refused proof or token.
pub(crate) fn resource_error(refusal: ProofRefusal) -> Error {
    match refusal {
        ProofRefusal::Invalid(reason) => Error::new(Code::InvalidDpopProof)
            .with_refusal(Refusal::DpopCredential(Box::new(DpopChallenge {
                error: "invalid_dpop_proof",
                why: reason,
                nonce: None,
            })))
            .with_detail("reason", reason),
        ProofRefusal::NonceNeeded(nonce) => {
            Error::new(Code::UseDpopNonce).with_refusal(Refusal::DpopCredential(Box::new(DpopChallenge {
                error: "use_dpop_nonce",
                why: "A DPoP nonce is required",
                nonce: Some(nonce),
            })))
        }
    }
}

fn part(segment: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
}

/// The access token's hash, as a proof's `ath` carries it.
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// `url` without its query and fragment (RFC 9449 §4.3: `htu` is compared without them).
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

impl Oidc {
    fn nonce_mac(&self, tenant_id: &str, window: i64) -> Vec<u8> {
        let key = self.instance_key.derive("dpop-nonce");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(tenant_id.as_bytes());
        mac.update(&window.to_be_bytes());
        mac.finalize().into_bytes()[..16].to_vec()
    }

    /// The tenant's current DPoP nonce: the window it was made in and a MAC over it, so any
    /// node can check it without storing it.
    pub fn dpop_nonce(&self, tenant_id: &str) -> String {
        let window = ids::now_ms() / 1000 / NONCE_WINDOW_S;
        let mut bytes = window.to_be_bytes().to_vec();
        bytes.extend(self.nonce_mac(tenant_id, window));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn nonce_fresh(&self, tenant_id: &str, nonce: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else { return false };
        let Some((window, mac)) = bytes.split_first_chunk::<8>() else { return false };
        let window = i64::from_be_bytes(*window);
        let now = ids::now_ms() / 1000 / NONCE_WINDOW_S;
        (now - 1..=now).contains(&window)
            && secret::digests_equal(
                &URL_SAFE_NO_PAD.encode(mac),
                &URL_SAFE_NO_PAD.encode(self.nonce_mac(tenant_id, window)),
            )
    }

    /// Checks a proof for `at` (RFC 9449 §4.3) and returns its key's thumbprint (`jkt`).
    /// With `nonce_required`, a proof without a fresh server nonce is answered with one.
    pub(crate) async fn verify_proof(
        &self,
        tenant_id: &str,
        proof: &str,
        at: ProofContext<'_>,
        nonce_required: bool,
    ) -> Result<std::result::Result<String, ProofRefusal>> {
        use ProofRefusal::Invalid;
        let mut parts = proof.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(Err(Invalid("the proof is not a compact JWS")));
        };
        if proof.len() > MAX_PROOF_BYTES {
            return Ok(Err(Invalid("the proof is too long")));
        }
        let (Some(header_json), Some(claims_json)) = (part(header), part(claims)) else {
            return Ok(Err(Invalid("the proof's header or claims are not base64url JSON")));
        };
        if header_json["typ"] != "dpop+jwt" {
            return Ok(Err(Invalid("the proof's typ must be dpop+jwt")));
        }
        let Some(alg) = header_json["alg"].as_str().and_then(proof_algorithm) else {
            return Ok(Err(Invalid("the proof's alg must be ES256, EdDSA (Ed25519) or RS256")));
        };
        let jwk = &header_json["jwk"];
        if !jwk.is_object() || !keys::public_key_of(alg, jwk) {
            return Ok(Err(Invalid("the proof's jwk must be a public key of its alg's type")));
        }
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
            return Ok(Err(Invalid("the proof's signature is not base64url")));
        };
        if !keys::verify_as(alg, jwk, format!("{header}.{claims}").as_bytes(), &signature) {
            return Ok(Err(Invalid("the proof's signature does not verify with its jwk")));
        }
        let Some(jti) = claims_json["jti"].as_str().filter(|jti| !jti.is_empty() && jti.len() <= 128) else {
            return Ok(Err(Invalid("the proof's jti is missing or longer than 128 characters")));
        };
        if claims_json["htm"].as_str() != Some(at.method) {
            return Ok(Err(Invalid("the proof's htm is not this request's method")));
        }
        if claims_json["htu"].as_str().map(without_query) != Some(without_query(at.url)) {
            return Ok(Err(Invalid("the proof's htu is not this endpoint's URL")));
        }
        let now_s = ids::now_ms() / 1000;
        let Some(iat) = claims_json["iat"].as_i64() else { return Ok(Err(Invalid("the proof's iat is missing"))) };
        if iat > now_s + CLOCK_SKEW_S || now_s - iat > PROOF_LIFETIME_S {
            return Ok(Err(Invalid("the proof's iat is too old or in the future")));
        }
        if let Some(token) = at.access_token {
            if claims_json["ath"].as_str() != Some(access_token_hash(token).as_str()) {
                return Ok(Err(Invalid("the proof's ath is not the hash of the access token")));
            }
        }
        match claims_json.get("nonce") {
            Some(Value::String(nonce)) if self.nonce_fresh(tenant_id, nonce) => {}
            // An old or made-up nonce is answered like a missing one: with a fresh one.
            Some(_) => return Ok(Err(ProofRefusal::NonceNeeded(self.dpop_nonce(tenant_id)))),
            None if nonce_required => return Ok(Err(ProofRefusal::NonceNeeded(self.dpop_nonce(tenant_id)))),
            None => {}
        }
        let Some(jkt) = keys::thumbprint(jwk) else { return Ok(Err(Invalid("the proof's jwk has no thumbprint"))) };
        // Last, so a proof refused for another reason does not spend its jti.
        let keep_until = (iat.max(now_s) + PROOF_LIFETIME_S + CLOCK_SKEW_S) * 1000;
        match self.authorizations.use_assertion_id(tenant_id, &format!("dpop:{jkt}"), jti, keep_until).await {
            Ok(()) => Ok(Ok(jkt)),
            Err(StoreError::Conflict) => Ok(Err(Invalid("the proof's jti was used before (a replay)"))),
            Err(error) => Err(error.into()),
        }
    }
}

/// Binds an access token's claims to the proof's key (`cnf.jkt`), if there was one.
pub(crate) fn bind_access_token(claims: &mut Value, key: Option<&str>) {
    if let Some(jkt) = key {
        claims["cnf"] = serde_json::json!({ "jkt": jkt });
    }
}

/// The `token_type` of an access token bound to `key`, or not.
pub(crate) fn token_type(key: Option<&str>) -> &'static str {
    if key.is_some() {
        "DPoP"
    } else {
        "Bearer"
    }
}

/// A grant redeemed with the proof's `key`: a grant bound to a key needs a proof from that
/// key; afterwards a public client's grant is bound to the key it used (its refresh tokens
/// are sender-constrained, RFC 9449 §5), a confidential client's to none (it authenticates).
pub(crate) fn bind_grant(granted: &mut Granted, application: &Application, key: Option<&str>) -> Result<()> {
    if let Some(bound) = granted.dpop_jkt.as_deref() {
        if key != Some(bound) {
            return Err(invalid_proof("the grant is bound to a DPoP key: send a proof signed with it"));
        }
    }
    granted.dpop_jkt = match application.client_type {
        ClientType::Public => key.map(str::to_owned),
        ClientType::Confidential => None,
    };
    Ok(())
}

impl Oidc {
    /// The key a token request proves (its thumbprint), or none; an application that
    /// requires DPoP gets `invalid_dpop_proof` without a proof. Every proof at the token
    /// endpoint carries a fresh server nonce.
    pub(crate) async fn token_request_key(
        &self,
        application: &Application,
        proof: Option<&str>,
    ) -> Result<Option<String>> {
        let Some(proof) = proof else {
            if application.dpop_bound_access_tokens {
                return Err(invalid_proof("this application's tokens must be DPoP-bound: send a DPoP proof"));
            }
            return Ok(None);
        };
        let tenant_id = &application.tenant_id;
        let url = self.endpoint(intelliauth_core::paths::TOKEN, tenant_id);
        let at = ProofContext { method: "POST", url: &url, access_token: None };
        match self.verify_proof(tenant_id, proof, at, true).await? {
            Ok(jkt) => Ok(Some(jkt)),
            Err(refusal) => Err(token_endpoint_error(refusal)),
        }
    }

    /// The claims of an access token presented to a resource of ours (userinfo) by `scheme`
    /// with `proof`: a DPoP-bound token needs the `DPoP` scheme and a proof from its key for
    /// this request (RFC 9449 §7); a token that is not bound, the `Bearer` scheme.
    pub async fn verify_presented_token(
        &self,
        tenant_id: &str,
        presented: PresentedToken<'_>,
        (method, url): (&str, &str),
    ) -> Result<Value> {
        let claims = self.verify_access_token_claims(tenant_id, presented.token).await?;
        let bound = claims["cnf"]["jkt"].as_str();
        match (bound, presented.dpop_scheme) {
            (None, false) => Ok(claims),
            (None, true) => {
                Err(resource_error(ProofRefusal::Invalid("the access token is not DPoP-bound: send it as Bearer")))
            }
            (Some(_), false) => Err(resource_error(ProofRefusal::Invalid(
                "the access token is DPoP-bound: send it with the DPoP scheme and a proof",
            ))),
            (Some(jkt), true) => {
                let proof =
                    presented.proof.ok_or_else(|| resource_error(ProofRefusal::Invalid("a DPoP proof is required")))?;
                let at = ProofContext { method, url, access_token: Some(presented.token) };
                match self.verify_proof(tenant_id, proof, at, false).await? {
                    Ok(proven) if proven == jkt => Ok(claims),
                    Ok(_) => Err(resource_error(ProofRefusal::Invalid(
                        "the proof's key is not the one the token is bound to",
                    ))),
                    Err(refusal) => Err(resource_error(refusal)),
                }
            }
        }
    }
}

/// An access token as a request presented it: the scheme (`DPoP` or `Bearer`) and the
/// `DPoP` header's proof.
pub struct PresentedToken<'a> {
    pub token: &'a str,
    pub dpop_scheme: bool,
    pub proof: Option<&'a str>,
}
