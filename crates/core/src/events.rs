//! Domain events: what happened, written by the store in the same transaction as the change.
//!
//! Events are the webhook outbox's input. Their data is what a tenant's receiver may see:
//! identifiers, emails and names, never a password hash, token or secret.

use serde_json::{json, Value};

use crate::ids;
use crate::model::{Application, User};

/// Every event type IntelliAuth emits. The docs and `GET /v1/webhook-event-types` list
/// these; subscriptions name them (or `*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    UserCreated,
    UserUpdated,
    UserDeleted,
    UserEmailVerified,
    UserLoginSucceeded,
    UserLoginFailed,
    UserLocked,
    UserPasswordReset,
    UserMfaEnrolled,
    SessionRevoked,
    ApplicationCreated,
    ApplicationUpdated,
    ApplicationDeleted,
    /// Sent only to one subscription by "send test event".
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 14] = [
        EventType::UserCreated,
        EventType::UserUpdated,
        EventType::UserDeleted,
        EventType::UserEmailVerified,
        EventType::UserLoginSucceeded,
        EventType::UserLoginFailed,
        EventType::UserLocked,
        EventType::UserPasswordReset,
        EventType::UserMfaEnrolled,
        EventType::SessionRevoked,
        EventType::ApplicationCreated,
        EventType::ApplicationUpdated,
        EventType::ApplicationDeleted,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::UserDeleted => "user.deleted",
            EventType::UserEmailVerified => "user.email.verified",
            EventType::UserLoginSucceeded => "user.login.succeeded",
            EventType::UserLoginFailed => "user.login.failed",
            EventType::UserLocked => "user.locked",
            EventType::UserPasswordReset => "user.password.reset",
            EventType::UserMfaEnrolled => "user.mfa.enrolled",
            EventType::SessionRevoked => "session.revoked",
            EventType::ApplicationCreated => "application.created",
            EventType::ApplicationUpdated => "application.updated",
            EventType::ApplicationDeleted => "application.deleted",
            EventType::WebhookTest => "webhook.test",
        }
    }

    /// When the event is emitted, for the docs and the event-type listing.
    pub fn description(self) -> &'static str {
        match self {
            EventType::UserCreated => "A user was created by an admin or registered themselves.",
            EventType::UserUpdated => "An admin changed a user's profile, email, password or status.",
            EventType::UserDeleted => "An admin deleted a user.",
            EventType::UserEmailVerified => "A user followed their email verification link.",
            EventType::UserLoginSucceeded => "A user signed in; a new session began.",
            EventType::UserLoginFailed => "A sign-in failed: wrong password or unknown email.",
            EventType::UserLocked => "Too many failed sign-ins locked the account.",
            EventType::UserPasswordReset => "A user set a new password through a reset link.",
            EventType::UserMfaEnrolled => "A user confirmed a new second factor.",
            EventType::SessionRevoked => "A session ended: sign-out, admin revocation or password reset.",
            EventType::ApplicationCreated => "An application was registered.",
            EventType::ApplicationUpdated => "An application's settings changed.",
            EventType::ApplicationDeleted => "An application was deleted.",
            EventType::WebhookTest => "Sent on request to one subscription, to test the receiver.",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One thing that happened in a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_…`, stable: it is the `webhook-id` every delivery of this event carries.
    pub id: String,
    pub tenant_id: String,
    pub kind: EventType,
    pub occurred_at: i64,
    pub data: Value,
}

impl Event {
    pub fn new(tenant_id: &str, kind: EventType, data: Value) -> Event {
        Event { id: ids::new_id("evt"), tenant_id: tenant_id.to_owned(), kind, occurred_at: ids::now_ms(), data }
    }

    /// The JSON body delivered to receivers (Standard Webhooks' recommended shape).
    pub fn payload(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.kind.as_str(),
            "tenant_id": self.tenant_id,
            "timestamp": ids::rfc3339(self.occurred_at),
            "data": self.data,
        })
    }

    pub fn user(kind: EventType, user: &User) -> Event {
        Event::new(&user.tenant_id, kind, user_data(user))
    }

    pub fn application(kind: EventType, application: &Application) -> Event {
        Event::new(
            &application.tenant_id,
            kind,
            json!({
                "id": application.id,
                "name": application.name,
                "client_type": application.client_type.as_str(),
                "first_party": application.first_party,
            }),
        )
    }

    /// Written only if the failure it comes with is the one that locks the account.
    pub fn user_locked(user: &User, locked_for_s: u64) -> Event {
        Event::new(
            &user.tenant_id,
            EventType::UserLocked,
            json!({ "user_id": user.id, "email": user.email, "locked_for_s": locked_for_s }),
        )
    }

    pub fn user_deleted(tenant_id: &str, user_id: &str) -> Event {
        Event::new(tenant_id, EventType::UserDeleted, json!({ "id": user_id }))
    }

    pub fn application_deleted(tenant_id: &str, application_id: &str) -> Event {
        Event::new(tenant_id, EventType::ApplicationDeleted, json!({ "id": application_id }))
    }

    pub fn session_revoked(tenant_id: &str, user_id: &str, session_id: Option<&str>, reason: &str) -> Event {
        Event::new(
            tenant_id,
            EventType::SessionRevoked,
            json!({ "user_id": user_id, "session_id": session_id, "all_sessions": session_id.is_none(), "reason": reason }),
        )
    }
}

/// A user as events show it: no hash, no lockout internals.
pub fn user_data(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "disabled": user.disabled,
    })
}

/// A user for unit tests, with a password hash.
#[cfg(test)]
pub(crate) fn tests_user() -> User {
    User {
        id: "usr_1".into(),
        tenant_id: "t".into(),
        email: "ada@example.com".into(),
        email_verified: true,
        name: None,
        disabled: false,
        password_hash: Some("$argon2id$v=19$secret".into()),
        must_reset_password: false,
        role: None,
        app_metadata: Default::default(),
        locale: None,
        profile: Default::default(),
        user_metadata: Default::default(),
        external_id: None,
        lockout: Default::default(),
        meta: crate::model::Meta::new(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_list_every_event_type_with_its_description() {
        let docs = include_str!("../../../docs/src/webhooks.md");
        for kind in EventType::ALL {
            let row = docs
                .lines()
                .find(|line| line.starts_with(&format!("| `{}` |", kind.as_str())))
                .unwrap_or_else(|| panic!("docs/src/webhooks.md has no row for {}", kind.as_str()));
            let described = kind.description().trim_end_matches('.');
            assert!(row.contains(described), "{} row says something else than {described:?}: {row}", kind.as_str());
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn user_events_carry_no_secret() {
        let user = tests_user();
        let payload = Event::user(EventType::UserCreated, &user).payload().to_string();
        assert!(!payload.contains("argon2") && payload.contains("ada@example.com"), "{payload}");
    }
}
