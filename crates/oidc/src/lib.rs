//! OAuth 2.0 / OpenID Connect: per-tenant signing keys with rotation, JWTs, server
//! metadata, client authentication and the token endpoint's grants.
//!
//! Depends on `core` for the domain and its ports; knows nothing of HTTP (the `server`
//! crate parses requests into [`TokenRequest`] and renders the answers).

pub mod authorize;
pub mod client_auth;
mod client_auth_verify;
pub mod device;
pub mod dpop;
mod exchange;
pub mod jwt;
mod key_set;
pub mod keys;
mod logout;
mod organization;
pub mod par;
mod provider;
mod refresh;
mod resource;
pub mod token_exchange;

pub use authorize::{AuthorizeParams, ConsentAnswer, Outcome, SessionInfo};
pub use client_auth::ClientCredentials;
pub use dpop::DPOP_ALGS;
pub use key_set::KEY_CACHE_TTL;
pub use logout::{LogoutParams, LogoutPlan};
pub use provider::{Oidc, TokenRequest, TokenResponse};
