//! WebAuthn ceremonies behind `core::ports::Passkeys`, with webauthn-rs.
//!
//! Its own crate because webauthn-rs brings OpenSSL and CBOR parsing that nothing else
//! needs; `core` sees JSON options, opaque ceremony state and stored credentials only.

use intelliauth_core::ports::{PasskeyCeremony, Passkeys, VerifiedPasskey};
use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// One relying party: the public URL's host and origin.
pub struct WebauthnPasskeys {
    webauthn: Webauthn,
}

impl WebauthnPasskeys {
    /// `public_url` names the origin pages run on; its host is the RP ID.
    pub fn new(public_url: &str, rp_name: &str) -> Result<WebauthnPasskeys, String> {
        let origin = Url::parse(public_url).map_err(|e| format!("public URL {public_url:?}: {e}"))?;
        let rp_id = origin.host_str().ok_or("the public URL has no host")?.to_owned();
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .and_then(|builder| builder.rp_name(rp_name).build())
            .map_err(|e| format!("WebAuthn relying party {rp_id}: {e}"))?;
        Ok(WebauthnPasskeys { webauthn })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

fn from_json<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| format!("{what} is malformed: {e}"))
}

fn from_text<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is malformed: {e}"))
}

fn credential_id(passkey: &Passkey) -> Result<String, String> {
    to_json(passkey.cred_id())?.as_str().map(str::to_owned).ok_or_else(|| "credential id is not text".into())
}

fn passkeys(stored: &[String]) -> Vec<Passkey> {
    stored.iter().filter_map(|text| serde_json::from_str(text).ok()).collect()
}

impl Passkeys for WebauthnPasskeys {
    fn start_registration(
        &self,
        user_handle: Uuid,
        name: &str,
        existing: &[String],
    ) -> Result<PasskeyCeremony, String> {
        let exclude: Vec<_> = passkeys(existing).iter().map(|p| p.cred_id().clone()).collect();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user_handle, name, name, Some(exclude))
            .map_err(|e| e.to_string())?;
        let mut options = to_json(&options)?;
        // Ask for a discoverable credential, so the same passkey also signs in without a password.
        if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection").and_then(Value::as_object_mut)
        {
            selection.insert("residentKey".into(), "required".into());
            selection.insert("requireResidentKey".into(), true.into());
        }
        Ok(PasskeyCeremony { options, state: to_json(&state)?.to_string() })
    }

    fn finish_registration(&self, response: &Value, state: &str) -> Result<VerifiedPasskey, String> {
        let response: RegisterPublicKeyCredential = from_json(response, "the credential")?;
        let state: PasskeyRegistration = from_text(state, "the ceremony")?;
        let passkey = self.webauthn.finish_passkey_registration(&response, &state).map_err(|e| e.to_string())?;
        Ok(VerifiedPasskey { credential_id: credential_id(&passkey)?, credential: to_json(&passkey)?.to_string() })
    }

    fn start_authentication(&self, stored: &[String]) -> Result<PasskeyCeremony, String> {
        let (options, state) =
            self.webauthn.start_passkey_authentication(&passkeys(stored)).map_err(|e| e.to_string())?;
        Ok(PasskeyCeremony { options: to_json(&options)?, state: to_json(&state)?.to_string() })
    }

    fn finish_authentication(
        &self,
        response: &Value,
        state: &str,
        stored: &[String],
    ) -> Result<VerifiedPasskey, String> {
        let response: PublicKeyCredential = from_json(response, "the assertion")?;
        let state: PasskeyAuthentication = from_text(state, "the ceremony")?;
        let result = self.webauthn.finish_passkey_authentication(&response, &state).map_err(|e| e.to_string())?;
        updated(passkeys(stored), &result)
    }

    fn start_discoverable(&self) -> Result<PasskeyCeremony, String> {
        let (options, state) = self.webauthn.start_discoverable_authentication().map_err(|e| e.to_string())?;
        Ok(PasskeyCeremony { options: to_json(&options)?, state: to_json(&state)?.to_string() })
    }

    fn discoverable_user(&self, response: &Value) -> Result<Uuid, String> {
        let response: PublicKeyCredential = from_json(response, "the assertion")?;
        let (user, _) = self.webauthn.identify_discoverable_authentication(&response).map_err(|e| e.to_string())?;
        Ok(user)
    }

    fn finish_discoverable(&self, response: &Value, state: &str, stored: &[String]) -> Result<VerifiedPasskey, String> {
        let response: PublicKeyCredential = from_json(response, "the assertion")?;
        let state: DiscoverableAuthentication = from_text(state, "the ceremony")?;
        let keys = passkeys(stored);
        let discoverable: Vec<DiscoverableKey> = keys.iter().map(DiscoverableKey::from).collect();
        let result = self
            .webauthn
            .finish_discoverable_authentication(&response, state, &discoverable)
            .map_err(|e| e.to_string())?;
        updated(keys, &result)
    }
}

/// The credential that answered, with its signature counter moved on.
fn updated(keys: Vec<Passkey>, result: &webauthn_rs::prelude::AuthenticationResult) -> Result<VerifiedPasskey, String> {
    let mut passkey =
        keys.into_iter().find(|p| p.cred_id() == result.cred_id()).ok_or("the credential is not registered")?;
    passkey.update_credential(result);
    Ok(VerifiedPasskey { credential_id: credential_id(&passkey)?, credential: to_json(&passkey)?.to_string() })
}
