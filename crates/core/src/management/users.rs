//! User use cases: create (with the tenant's password policy), read, list, update, delete.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{versioned, Management};
use crate::events::{Event, EventType};
use crate::merge_patch::MergePatch;
use crate::model::{AdminRole, IfMatch, Lockout, Meta, Profile, User, UI_LOCALES};
use crate::page::{Page, PageRequest};
use crate::ports::{StoreError, UserFilter};
use crate::validate::{check_email, check_name, normalize_email, FieldErrors};
use crate::{ids, Error, Result};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub password: Option<String>,
    pub name: Option<String>,
    pub email_verified: bool,
    /// A tenant admin's role (they may use the management API with their own access tokens).
    pub role: Option<AdminRole>,
    /// The hosted pages' language for this user (one of `model::UI_LOCALES`).
    pub locale: Option<String>,
    pub profile: Profile,
    pub user_metadata: Map<String, Value>,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub password: Option<String>,
    /// `Some(None)` clears the name.
    pub name: Option<Option<String>>,
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
    /// Require a new password at the next sign-in.
    pub must_reset_password: Option<bool>,
    /// `Some(None)`: no longer a tenant admin.
    pub role: Option<Option<AdminRole>>,
    /// `Some(None)`: no language of their own (the browser's and the tenant's again).
    pub locale: Option<Option<String>>,
    /// Profile claims as a merge patch (`null` clears one).
    pub profile: Option<MergePatch>,
    /// A merge patch of `user_metadata` (RFC 7396: `null` removes a key).
    pub user_metadata: Option<MergePatch>,
}

/// The most a user's `user_metadata` may hold, serialised.
pub const MAX_USER_METADATA_BYTES: usize = 16 * 1024;

/// Every problem with a user's profile claims and `user_metadata`, by field.
pub fn check_profile(errors: &mut FieldErrors, profile: &Profile, user_metadata: &Map<String, Value>) {
    for (field, value) in
        [("given_name", &profile.given_name), ("family_name", &profile.family_name), ("nickname", &profile.nickname)]
    {
        if let Some(value) = value {
            check_name(errors, field, value, 200);
        }
    }
    if let Some(picture) = &profile.picture {
        let https = url::Url::parse(picture).is_ok_and(|url| url.scheme() == "https" && url.host().is_some());
        if !https || picture.len() > 2048 {
            errors.add("picture", "must be an https URL of at most 2048 bytes");
        }
    }
    if serde_json::to_string(user_metadata).map_or(0, |text| text.len()) > MAX_USER_METADATA_BYTES {
        errors.add("user_metadata", format!("must be at most {MAX_USER_METADATA_BYTES} bytes as JSON"));
    }
}

fn check_locale(errors: &mut FieldErrors, locale: Option<&str>) {
    if let Some(locale) = locale {
        if !UI_LOCALES.contains(&locale) {
            errors.add("locale", format!("must be one of {}", UI_LOCALES.join(", ")));
        }
    }
}

fn check_optional_name(errors: &mut FieldErrors, name: Option<&str>) {
    if let Some(name) = name {
        check_name(errors, "name", name, 200);
    }
}

impl Management {
    /// Every semantic problem with a new user, given the tenant's policy.
    pub async fn check_new_user(&self, tenant_id: &str, input: &NewUser) -> Result<FieldErrors> {
        let tenant = self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        check_email(&mut errors, "email", &normalize_email(&input.email));
        if let Some(password) = &input.password {
            tenant.settings.password_policy.check(&mut errors, "password", password);
        }
        check_optional_name(&mut errors, input.name.as_deref());
        check_locale(&mut errors, input.locale.as_deref());
        check_profile(&mut errors, &input.profile, &input.user_metadata);
        Ok(errors)
    }

    pub async fn create_user(&self, tenant_id: &str, input: NewUser) -> Result<User> {
        self.check_new_user(tenant_id, &input).await?.into_result()?;
        let password_hash = match input.password.clone() {
            Some(password) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let user = user_record(tenant_id, input, password_hash);
        match self.store.insert_user(&user, &[Event::user(EventType::UserCreated, &user)]).await {
            Err(StoreError::Conflict) => Err(Error::conflict("user", "email", &user.email)),
            other => other.map(|()| user).map_err(Error::from),
        }
    }

    pub async fn user(&self, tenant_id: &str, id: &str) -> Result<User> {
        match self.store.get_user(tenant_id, id).await? {
            Some(user) => Ok(user),
            None => Err(self.missing_in_tenant(tenant_id, "user").await),
        }
    }

    pub async fn list_users(&self, tenant_id: &str, filter: UserFilter, page: PageRequest) -> Result<Page<User>> {
        self.tenant(tenant_id).await?;
        let filter = UserFilter {
            email_prefix: filter.email_prefix.map(|prefix| normalize_email(&prefix)),
            email: filter.email.map(|email| normalize_email(&email)),
        };
        if filter.email_prefix.is_none() {
            let rows = self.store.list_users(tenant_id, &filter, &page.with_lookahead()).await?;
            return Ok(Page::from_rows(rows, page.limit, |user| &user.id));
        }
        // A search pages by email: its cursor is the last email, base64url so that it is a
        // cursor as every other (URL-safe, one pattern). Any well-formed cursor is a
        // position, as the pattern promises: one that is not base64url stands for itself.
        let after = page.after.as_deref().map(|cursor| match URL_SAFE_NO_PAD.decode(cursor) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => cursor.to_owned(),
        });
        let request = PageRequest { limit: page.limit, after };
        let rows = self.store.list_users(tenant_id, &filter, &request.with_lookahead()).await?;
        let mut found = Page::from_rows(rows, page.limit, |user| &user.email);
        found.next_cursor = found.next_cursor.map(|email| URL_SAFE_NO_PAD.encode(email));
        Ok(found)
    }

    pub async fn check_user_patch(&self, tenant_id: &str, patch: &UserPatch) -> Result<FieldErrors> {
        let tenant = self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        if let Some(email) = &patch.email {
            check_email(&mut errors, "email", &normalize_email(email));
        }
        if let Some(password) = &patch.password {
            tenant.settings.password_policy.check(&mut errors, "password", password);
        }
        check_optional_name(&mut errors, patch.name.as_ref().and_then(|name| name.as_deref()));
        check_locale(&mut errors, patch.locale.as_ref().and_then(|locale| locale.as_deref()));
        // Checked alone here; merged into the stored values (and checked again) on update.
        let profile = patch.profile.as_ref().map(|patch| patch.apply(&Profile::default(), "profile"));
        match profile {
            Some(Err(problems)) => errors.merge_new_fields(problems),
            Some(Ok(profile)) => check_profile(&mut errors, &profile, &Map::new()),
            None => {}
        }
        Ok(errors)
    }

    pub async fn update_user(
        &self,
        tenant_id: &str,
        id: &str,
        patch: UserPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<User> {
        self.check_user_patch(tenant_id, &patch).await?.into_result()?;
        // Hash once, outside the retry loop: it is the expensive part.
        let password_hash = match &patch.password {
            Some(password) => Some(self.hasher.hash(password.clone()).await?),
            None => None,
        };
        let email = patch.email.as_deref().map(normalize_email);
        versioned::update(
            "user",
            if_match,
            || async { Ok(self.store.get_user(tenant_id, id).await?) },
            |user: &mut User| {
                if let Some(email) = &email {
                    if *email != user.email {
                        user.email = email.clone();
                        user.email_verified = false;
                    }
                }
                if let Some(hash) = &password_hash {
                    user.password_hash = Some(hash.clone());
                }
                if let Some(name) = &patch.name {
                    user.name = name.as_ref().map(|name| name.trim().to_owned());
                }
                if let Some(verified) = patch.email_verified {
                    user.email_verified = verified;
                }
                if let Some(disabled) = patch.disabled {
                    user.disabled = disabled;
                }
                if let Some(must_reset) = patch.must_reset_password {
                    user.must_reset_password = must_reset;
                }
                if let Some(role) = patch.role {
                    user.role = role;
                }
                if let Some(locale) = &patch.locale {
                    user.locale = locale.clone();
                }
                if let Some(profile) = &patch.profile {
                    user.profile = profile.apply(&user.profile, "profile").map_err(Error::validation)?;
                }
                if let Some(metadata) = &patch.user_metadata {
                    user.user_metadata =
                        metadata.apply(&user.user_metadata, "user_metadata").map_err(Error::validation)?;
                }
                let mut errors = FieldErrors::new();
                check_profile(&mut errors, &user.profile, &user.user_metadata);
                errors.into_result()?;
                Ok(())
            },
            |user, version| async move {
                match self.store.update_user(&user, version, &[Event::user(EventType::UserUpdated, &user)]).await {
                    Err(StoreError::Conflict) => Err(Error::conflict("user", "email", &user.email)),
                    other => Ok(other?.then_some(user)),
                }
            },
        )
        .await
    }

    pub async fn delete_user(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "user",
            if_match,
            || async { Ok(self.store.get_user(tenant_id, id).await?) },
            |version| async move {
                let deleted = Event::user_deleted(tenant_id, id);
                Ok(self.store.delete_user(tenant_id, id, version, &[deleted]).await?)
            },
        )
        .await
    }
}

impl Management {
    /// Lifts a lockout now (an admin action); the failure count starts again from zero.
    pub async fn unlock_user(&self, tenant_id: &str, id: &str) -> Result<User> {
        if !self.auth_store.unlock_user(tenant_id, id).await? {
            return Err(self.missing_in_tenant(tenant_id, "user").await);
        }
        let user = self.user(tenant_id, id).await?;
        self.record_change(tenant_id, "admin.user.unlocked", serde_json::json!({ "user_id": id })).await;
        Ok(user)
    }
}

impl Management {
    /// The user's live sessions (browser and app sign-ins).
    pub async fn user_sessions(&self, tenant_id: &str, user_id: &str) -> Result<Vec<crate::ports::SessionRecord>> {
        self.user(tenant_id, user_id).await?;
        Ok(self.auth_store.user_sessions(tenant_id, user_id, ids::now_ms()).await?)
    }

    /// Ends one session of the user, or all of them (`None`), with their refresh tokens.
    pub async fn revoke_user_sessions(&self, tenant_id: &str, user_id: &str, session_id: Option<&str>) -> Result<()> {
        let sessions = self.user_sessions(tenant_id, user_id).await?;
        let now = ids::now_ms();
        match session_id {
            None => {
                let revoked = Event::session_revoked(tenant_id, user_id, None, "admin");
                Ok(self.auth_store.revoke_user_sessions(user_id, now, &[revoked]).await?)
            }
            Some(id) if sessions.iter().any(|session| session.id == id) => {
                let revoked = Event::session_revoked(tenant_id, user_id, Some(id), "admin");
                Ok(self.auth_store.revoke_session(id, now, &[revoked]).await?)
            }
            Some(_) => Err(Error::not_found("session")),
        }
    }
}

/// A new user of `tenant_id` as `input` describes them, with `password_hash` (already
/// hashed; the input's password is not read).
pub fn user_record(tenant_id: &str, input: NewUser, password_hash: Option<String>) -> User {
    User {
        id: ids::new_id("usr"),
        tenant_id: tenant_id.to_owned(),
        email: normalize_email(&input.email),
        email_verified: input.email_verified,
        name: input.name.map(|name| name.trim().to_owned()),
        disabled: false,
        password_hash,
        must_reset_password: false,
        role: input.role,
        app_metadata: Default::default(),
        locale: input.locale,
        profile: input.profile,
        user_metadata: input.user_metadata,
        external_id: None,
        lockout: Lockout::default(),
        meta: Meta::new(ids::now_ms()),
    }
}
