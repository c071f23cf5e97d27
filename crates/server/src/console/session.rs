//! The console's two cookies, sealed with the instance key: the sign-in in progress
//! (PKCE verifier, state, nonce) and the signed-in session (the admin's access token and
//! the CSRF token every change must echo). Nothing is stored server-side, so any node
//! reads them and a restart keeps admins signed in.

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use intelliauth_core::{ids, secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pages::cookies;
use crate::state::AppState;

pub const FLOW_COOKIE: &str = "ia_console_flow";
pub const SESSION_COOKIE: &str = "ia_console";
/// A sign-in must come back within this long.
const FLOW_LIFETIME_S: u64 = 600;

/// A sign-in started by `/console/login`, checked by `/console/callback`.
#[derive(Serialize, Deserialize)]
pub struct Flow {
    pub tenant_id: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// The console view to return to (`#/…`).
    pub return_to: String,
    pub expires_at_s: i64,
}

impl Flow {
    pub fn start(tenant_id: &str, return_to: &str) -> Flow {
        Flow {
            tenant_id: tenant_id.to_owned(),
            state: secret::generate(""),
            nonce: secret::generate(""),
            verifier: secret::generate(""),
            return_to: return_to.to_owned(),
            expires_at_s: now_s() + FLOW_LIFETIME_S as i64,
        }
    }

    /// The PKCE S256 challenge of the verifier (RFC 7636 §4.2).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

/// A signed-in admin.
#[derive(Serialize, Deserialize)]
pub struct Session {
    pub tenant_id: String,
    pub access_token: String,
    /// For RP-initiated logout without a confirmation page.
    pub id_token: Option<String>,
    pub expires_at_s: i64,
    pub csrf: String,
    pub email: String,
    pub role: String,
    /// An owner of the instance's own tenant: administers every tenant from this session.
    pub instance_admin: bool,
}

impl Session {
    pub fn is_live(&self) -> bool {
        self.expires_at_s > now_s()
    }

    /// Whether `presented` is this session's CSRF token.
    pub fn csrf_matches(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|token| same_secret(token, &self.csrf))
    }
}

/// Compares a presented secret with the expected one in constant time (through their
/// digests, so neither the content nor the length leaks).
pub fn same_secret(presented: &str, expected: &str) -> bool {
    secret::digests_equal(&secret::digest(presented), &secret::digest(expected))
}

pub fn now_s() -> i64 {
    ids::now_ms() / 1000
}

fn read<T: DeserializeOwned>(state: &AppState, headers: &HeaderMap, name: &str) -> Option<T> {
    let sealed = cookies::read(headers, name)?;
    let plain = state.cookie_key.open(sealed, name).ok()?;
    serde_json::from_slice(&plain).ok()
}

fn write<T: Serialize>(state: &AppState, headers: &mut HeaderMap, name: &str, value: &T, max_age_s: u64) {
    let plain = serde_json::to_vec(value).unwrap_or_default();
    let sealed = state.cookie_key.seal(&plain, name);
    cookies::set_at(headers, &state.settings.public_url, "/console", name, &sealed, Some(max_age_s));
}

pub fn forget(state: &AppState, headers: &mut HeaderMap, name: &str) {
    cookies::set_at(headers, &state.settings.public_url, "/console", name, "", Some(0));
}

pub fn read_flow(state: &AppState, headers: &HeaderMap) -> Option<Flow> {
    read::<Flow>(state, headers, FLOW_COOKIE).filter(|flow| flow.expires_at_s > now_s())
}

pub fn write_flow(state: &AppState, headers: &mut HeaderMap, flow: &Flow) {
    write(state, headers, FLOW_COOKIE, flow, FLOW_LIFETIME_S);
}

/// The live session of this browser, if any.
pub fn read_session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    read::<Session>(state, headers, SESSION_COOKIE).filter(Session::is_live)
}

pub fn write_session(state: &AppState, headers: &mut HeaderMap, session: &Session) {
    let max_age = (session.expires_at_s - now_s()).max(0) as u64;
    write(state, headers, SESSION_COOKIE, session, max_age);
}
