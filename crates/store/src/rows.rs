//! Decoding rows into domain records, written once for both backends.

use intelliauth_core::model::{
    AdminRole, Application, ClientType, Grant, Lockout, ManagementCredential, Meta, Scope, Tenant, User,
};
use intelliauth_core::ports::{
    CodeRecord, FlowRecord, OneTimeToken, RefreshTokenRecord, SessionRecord, SigningKeyRecord,
};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

/// Typed column access that both backends' rows provide.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> sqlx::Result<String>;
    fn opt_text(&self, column: &str) -> sqlx::Result<Option<String>>;
    fn int(&self, column: &str) -> sqlx::Result<i64>;
    fn flag(&self, column: &str) -> sqlx::Result<bool>;
    fn opt_int(&self, column: &str) -> sqlx::Result<Option<i64>>;
}

macro_rules! columns_for {
    ($($row:ty),+) => { $(impl Columns for $row {
        fn text(&self, column: &str) -> sqlx::Result<String> { self.try_get(column) }
        fn opt_text(&self, column: &str) -> sqlx::Result<Option<String>> { self.try_get(column) }
        fn int(&self, column: &str) -> sqlx::Result<i64> { self.try_get(column) }
        fn flag(&self, column: &str) -> sqlx::Result<bool> { self.try_get(column) }
        fn opt_int(&self, column: &str) -> sqlx::Result<Option<i64>> { self.try_get(column) }
    })+ };
}
columns_for!(SqliteRow, PgRow);

pub(crate) fn corrupt(column: &str, detail: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: column.to_owned(), source: detail.to_string().into() }
}

pub(crate) fn json_column<T: serde::de::DeserializeOwned>(row: &impl Columns, column: &str) -> sqlx::Result<T> {
    serde_json::from_str(&row.text(column)?).map_err(|e| corrupt(column, e))
}

pub(crate) fn meta(row: &impl Columns) -> sqlx::Result<Meta> {
    Ok(Meta { created_at: row.int("created_at")?, updated_at: row.int("updated_at")?, version: row.int("version")? })
}

pub(crate) fn tenant(row: &impl Columns) -> sqlx::Result<Tenant> {
    Ok(Tenant {
        id: row.text("id")?,
        display_name: row.text("display_name")?,
        settings: json_column(row, "settings")?,
        meta: meta(row)?,
    })
}

pub(crate) fn user(row: &impl Columns) -> sqlx::Result<User> {
    Ok(from_columns!(row => User {
        text: id, tenant_id, email;
        flag: email_verified, disabled, must_reset_password;
        opt_text: name, password_hash, locale;
    } and {
        role: match row.opt_text("role")? {
            Some(role) => Some(AdminRole::parse(&role).ok_or_else(|| corrupt("role", role))?),
            None => None,
        },
        app_metadata: json_column(row, "app_metadata")?,
        profile: json_column(row, "profile")?,
        user_metadata: json_column(row, "user_metadata")?,
        external_id: row.opt_text("external_id")?,
        lockout: lockout(row)?,
        meta: meta(row)?,
    }))
}

pub(crate) fn application(row: &impl Columns) -> sqlx::Result<Application> {
    let client_type = row.text("client_type")?;
    let grants: Vec<String> = json_column(row, "allowed_grants")?;
    let usage = row.text("organization_usage")?;
    Ok(from_columns!(row => Application {
        text: id, tenant_id, name;
        flag: first_party, require_par, dpop_bound_access_tokens;
        opt_text: secret_digest, backchannel_logout_uri, frontchannel_logout_uri;
    } and {
        client_type: ClientType::parse(&client_type).ok_or_else(|| corrupt("client_type", &client_type))?,
        redirect_uris: json_column(row, "redirect_uris")?,
        post_logout_redirect_uris: json_column(row, "post_logout_redirect_uris")?,
        allowed_grants: grants
            .iter()
            .map(|g| Grant::parse(g).ok_or_else(|| corrupt("allowed_grants", g)))
            .collect::<sqlx::Result<_>>()?,
        allowed_scopes: json_column(row, "allowed_scopes")?,
        organization_usage: intelliauth_core::organizations::OrganizationUsage::parse(&usage)
            .ok_or_else(|| corrupt("organization_usage", &usage))?,
        mfa: row.opt_text("mfa")?.as_deref().and_then(intelliauth_core::mfa::MfaMode::parse),
        token_settings: row
            .opt_text("token_settings")?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| corrupt("token_settings", e))?
            .unwrap_or_default(),
        jwks: row
            .opt_text("jwks")?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| corrupt("jwks", e))?,
        meta: meta(row)?,
    }))
}

pub(crate) fn credential(row: &impl Columns) -> sqlx::Result<ManagementCredential> {
    let scopes: Vec<String> = json_column(row, "scopes")?;
    Ok(from_columns!(row => ManagementCredential {
        text: id, name, token_digest;
        opt_text: tenant_id;
    } and {
        scopes: scopes
            .iter()
            .map(|s| Scope::parse(s).ok_or_else(|| corrupt("scopes", s)))
            .collect::<sqlx::Result<_>>()?,
        meta: meta(row)?,
    }))
}

/// JSON text for list columns.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn grant_names(grants: &[Grant]) -> Vec<&'static str> {
    grants.iter().map(|grant| grant.as_str()).collect()
}

pub(crate) fn scope_names(scopes: &[Scope]) -> Vec<&'static str> {
    scopes.iter().map(|scope| scope.as_str()).collect()
}

pub(crate) fn lockout(row: &impl Columns) -> sqlx::Result<Lockout> {
    Ok(Lockout {
        failed_attempts: row.int("failed_attempts")?,
        window_start: row.int("failed_window_start")?,
        locked_until: row.int("locked_until")?,
    })
}

pub(crate) fn flow(row: &impl Columns) -> sqlx::Result<FlowRecord> {
    Ok(from_columns!(row => FlowRecord {
        text: id, tenant_id, kind, step, csrf_digest;
        flag: browser;
        int: created_at, expires_at;
        opt_int: finished_at;
        opt_text: user_id;
    } and {
        return_to: row.opt_text("return_to")?.as_deref().and_then(intelliauth_core::paths::ReturnTo::parse),
        amr: json_column(row, "amr")?,
    }))
}

pub(crate) fn session(row: &impl Columns) -> sqlx::Result<SessionRecord> {
    Ok(from_columns!(row => SessionRecord {
        text: id, token_digest, tenant_id, user_id;
        int: created_at, last_seen_at, expires_at, idle_expires_at;
        opt_int: revoked_at;
    } and {
        amr: json_column(row, "amr")?,
        custom_claims: row
            .opt_text("custom_claims")?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| corrupt("custom_claims", e))?,
    }))
}

pub(crate) fn one_time_token(row: &impl Columns) -> sqlx::Result<OneTimeToken> {
    Ok(from_columns!(row => OneTimeToken {
        text: digest, purpose, tenant_id, user_id;
        int: created_at, expires_at;
    }))
}

pub(crate) fn signing_key(row: &impl Columns) -> sqlx::Result<SigningKeyRecord> {
    Ok(from_columns!(row => SigningKeyRecord {
        text: kid, tenant_id, alg, status, sealed_secret, public_jwk;
        int: created_at;
        opt_int: retire_after;
    }))
}

pub(crate) fn code(row: &impl Columns) -> sqlx::Result<CodeRecord> {
    Ok(from_columns!(row => CodeRecord {
        text: digest, tenant_id, client_id, user_id, grant_data;
        int: created_at, expires_at;
    }))
}

pub(crate) fn refresh_token(row: &impl Columns) -> sqlx::Result<RefreshTokenRecord> {
    Ok(from_columns!(row => RefreshTokenRecord {
        text: digest, family_id, tenant_id, client_id, user_id, session_id, grant_data;
        int: created_at, family_expires_at, idle_expires_at;
        opt_int: rotated_at, revoked_at;
    }))
}
