//! External providers behind `core`'s ports: mail delivery (SMTP, or files in the data
//! directory so a fresh install works offline) and siteverify captcha verification.
//! Kept apart from `server` so the HTTP layer does not carry SMTP and TLS client code.

mod mail;
mod siteverify;

pub use mail::{FileMailer, SmtpMailer};
pub use siteverify::Siteverify;
