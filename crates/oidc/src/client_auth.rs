//! Client authentication at the token endpoint: `client_secret_basic`, `client_secret_post`,
//! or none for public clients (RFC 6749 §2.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use intelliauth_catalogue::Code;
use intelliauth_core::model::{Application, ClientType};
use intelliauth_core::ports::Store;
use intelliauth_core::{secret, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Basic,
    Post,
    None,
}

/// What the client presented.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
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

/// `invalid_client`, answered 401 with a challenge (RFC 6749 §5.2).
pub fn invalid_client(issuer: &str) -> Error {
    Error::new(Code::InvalidClient).oauth("invalid_client").with_challenge(format!("Basic realm=\"{issuer}\""))
}

impl ClientCredentials {
    /// From the `Authorization` header and the form's `client_id` / `client_secret`.
    /// Using two methods at once is refused, as RFC 6749 §2.3 requires.
    pub fn from_request(
        authorization: Option<&str>,
        form_id: Option<&str>,
        form_secret: Option<&str>,
        issuer: &str,
    ) -> Result<ClientCredentials> {
        let basic = authorization.and_then(|value| {
            let (scheme, encoded) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(encoded.trim())
        });
        match (basic, form_secret) {
            (Some(_), Some(_)) => {
                Err(invalid_client(issuer).with_detail("reason", "more than one client authentication method"))
            }
            (Some(encoded), None) => {
                let decoded = STANDARD.decode(encoded).ok().and_then(|bytes| String::from_utf8(bytes).ok());
                let (id, secret) =
                    decoded.as_deref().and_then(|pair| pair.split_once(':')).ok_or_else(|| invalid_client(issuer))?;
                Ok(ClientCredentials {
                    client_id: percent_decode(id),
                    secret: Some(percent_decode(secret)),
                    method: Method::Basic,
                })
            }
            (None, Some(secret)) => Ok(ClientCredentials {
                client_id: form_id.unwrap_or_default().to_owned(),
                secret: Some(secret.to_owned()),
                method: Method::Post,
            }),
            (None, None) => match form_id {
                Some(id) => Ok(ClientCredentials { client_id: id.to_owned(), secret: None, method: Method::None }),
                None => Err(invalid_client(issuer).with_detail("reason", "no client authentication")),
            },
        }
    }

    /// The application these credentials prove, or `invalid_client`.
    pub async fn authenticate(&self, store: &dyn Store, tenant_id: &str, issuer: &str) -> Result<Application> {
        if self.client_id.is_empty() || self.client_id.len() > 128 {
            return Err(invalid_client(issuer));
        }
        let application =
            store.get_application(tenant_id, &self.client_id).await?.ok_or_else(|| invalid_client(issuer))?;
        let proven = match (application.client_type, &application.secret_digest, &self.secret) {
            (ClientType::Confidential, Some(digest), Some(presented)) => {
                secret::digests_equal(digest, &secret::digest(presented))
            }
            (ClientType::Public, None, None) => true,
            _ => false,
        };
        if proven {
            Ok(application)
        } else {
            Err(invalid_client(issuer))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("app%3A1:s%2Bcret+x"));
        let creds = ClientCredentials::from_request(Some(&header), None, None, "iss").unwrap();
        assert_eq!((creds.client_id.as_str(), creds.secret.as_deref()), ("app:1", Some("s+cret x")));
        assert!(ClientCredentials::from_request(Some(&header), None, Some("also"), "iss").is_err());
    }
}
