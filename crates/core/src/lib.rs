//! The IntelliAuth domain: tenants, users, applications, management credentials, policies,
//! and the ports (traits) it needs from storage.
//!
//! No HTTP and no SQL live here: `server` turns requests into calls on [`Management`], and
//! `store` implements every port ([`ports::Ports`]). Errors carry a catalogue code plus an internal cause
//! that is logged and never sent.

pub mod actions;
pub mod apis;
pub mod auth;
pub mod console;
pub mod contrast;
pub mod directory;
pub mod error;
pub mod events;
pub mod federation;
pub mod grants;
pub mod ids;
pub mod legacy_hash;
pub mod log;
pub mod logout;
pub mod management;
pub mod merge_patch;
pub mod mfa;
pub mod model;
pub mod organizations;
pub mod page;
pub mod password;
pub mod paths;
pub mod ports;
pub mod sealed;
pub mod secret;
pub mod signing_keys;
pub mod validate;
pub mod webhooks;

pub use auth::Auth;
pub use error::{DpopChallenge, Error, Refusal, Result};
pub use management::Management;
