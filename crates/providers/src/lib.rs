//! External providers behind `core`'s ports: mail delivery (SMTP, or files in the data
//! directory so a fresh install works offline), siteverify captcha verification, and the
//! HTTP SMS gateway for one-time codes.
//! Kept apart from `server` so the HTTP layer does not carry SMTP and TLS client code.

mod mail;
mod siteverify;
mod sms;

pub use mail::{FileMailer, SmtpMailer};
pub use siteverify::Siteverify;
pub use sms::HttpSms;
