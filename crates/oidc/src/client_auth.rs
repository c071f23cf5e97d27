//! Client authentication at the token endpoint: `client_secret_basic`, `client_secret_post`,
//! `private_key_jwt` (RFC 7523 with OIDC Core §9), or none for public clients (RFC 6749 §2.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use intelliauth_catalogue::Code;
use intelliauth_core::{Error, Refusal, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Basic,
    Post,
    PrivateKeyJwt,
    None,
}

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What the client presented.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    /// The signed client assertion, for `private_key_jwt`.
    pub assertion: Option<String>,
    pub method: Method,
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

fn percent_decode(text: &str) -> String {
    // RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => match (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    index += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `sub` of a JWT, read before its signature is checked (to find the client's keys).
fn unverified_subject(jwt: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = jwt.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    claims.get("sub")?.as_str().filter(|sub| sub.len() <= 128).map(str::to_owned)
}

/// `invalid_client`, answered 401 with a challenge (RFC 6749 §5.2).
pub fn invalid_client(issuer: &str) -> Error {
    Error::new(Code::InvalidClient).with_refusal(Refusal::BadClient { realm: Some(issuer.to_owned()) })
}

impl ClientCredentials {
    /// From the `Authorization` header and the form's `client_id`, `client_secret`,
    /// `client_assertion_type` and `client_assertion`. Using two methods at once is refused,
    /// as RFC 6749 §2.3 requires.
    pub fn from_request(
        authorization: Option<&str>,
        form_id: Option<&str>,
        form_secret: Option<&str>,
        assertion: Option<(&str, &str)>,
        issuer: &str,
    ) -> Result<ClientCredentials> {
        let basic = authorization.and_then(|value| {
            let (scheme, encoded) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(encoded.trim())
        });
        let methods =
            usize::from(basic.is_some()) + usize::from(form_secret.is_some()) + usize::from(assertion.is_some());
        if methods > 1 {
            return Err(invalid_client(issuer).with_detail("reason", "more than one client authentication method"));
        }
        let credentials = match (assertion, basic, form_secret) {
            (Some((kind, jwt)), _, _) => Self::asserted(kind, jwt, form_id, issuer)?,
            (None, Some(encoded), _) => {
                let decoded = STANDARD.decode(encoded).ok().and_then(|bytes| String::from_utf8(bytes).ok());
                let (id, secret) =
                    decoded.as_deref().and_then(|pair| pair.split_once(':')).ok_or_else(|| invalid_client(issuer))?;
                ClientCredentials {
                    client_id: percent_decode(id),
                    secret: Some(percent_decode(secret)),
                    assertion: None,
                    method: Method::Basic,
                }
            }
            (None, None, Some(secret)) => ClientCredentials {
                client_id: form_id.unwrap_or_default().to_owned(),
                secret: Some(secret.to_owned()),
                assertion: None,
                method: Method::Post,
            },
            (None, None, None) => match form_id {
                Some(id) => {
                    ClientCredentials { client_id: id.to_owned(), secret: None, assertion: None, method: Method::None }
                }
                None => return Err(invalid_client(issuer).with_detail("reason", "no client authentication")),
            },
        };
        // No client id has a NUL in it (and PostgreSQL cannot even look one up).
        if credentials.client_id.contains('\0') || credentials.secret.as_deref().is_some_and(|s| s.contains('\0')) {
            return Err(invalid_client(issuer).with_detail("reason", "the client credentials contain a NUL character"));
        }
        Ok(credentials)
    }

    /// A client authenticating with a signed JWT (`private_key_jwt`), named by the assertion's
    /// `sub`; a form `client_id` must agree. The signature is checked once the client is known.
    fn asserted(kind: &str, jwt: &str, form_id: Option<&str>, issuer: &str) -> Result<ClientCredentials> {
        if kind != JWT_BEARER {
            return Err(invalid_client(issuer).with_detail("reason", "unsupported client_assertion_type"));
        }
        let subject = unverified_subject(jwt).ok_or_else(|| invalid_client(issuer))?;
        if form_id.is_some_and(|id| id != subject) {
            return Err(invalid_client(issuer).with_detail("reason", "client_id and the assertion disagree"));
        }
        Ok(ClientCredentials {
            client_id: subject,
            secret: None,
            assertion: Some(jwt.to_owned()),
            method: Method::PrivateKeyJwt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("app%3A1:s%2Bcret+x"));
        let creds = ClientCredentials::from_request(Some(&header), None, None, None, "iss").unwrap();
        assert_eq!((creds.client_id.as_str(), creds.secret.as_deref()), ("app:1", Some("s+cret x")));
        assert!(ClientCredentials::from_request(Some(&header), None, Some("also"), None, "iss").is_err());
    }
}
