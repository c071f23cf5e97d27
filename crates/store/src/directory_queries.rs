//! `core::ports::DirectoryStore` for both backends: one SQL text per operation.

use async_trait::async_trait;
use intelliauth_core::directory::{ImportMatch, ImportRow, ImportWrite};
use intelliauth_core::events::Event;
use intelliauth_core::model::{AdminRole, Application, ManagementCredential, Tenant, User};
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::{DirectoryStore, StoreResult, UserFilter};

use crate::directory_cache::{DirectoryCache, Generation};
use crate::rows::{self, grant_names, json_text, scope_names};
use crate::{map_error, on_pool, SqlStore};

fn after(page: &PageRequest) -> &str {
    // Ids are non-empty, so every id sorts after "".
    page.after.as_deref().unwrap_or("")
}

/// The least string above every string that starts with `prefix`, in byte order (UTF-8
/// keeps code point order): the prefix with its last character raised by one, or `None`
/// when no string is above them all.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value; the surrogate gap is skipped.
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The users of a tenant whose email starts with `$3` (below `$4`), in email order after
/// the email `$2`: one range on an index in byte order, read in its order, however many
/// users the tenant has and however many match (the unique email index on SQLite, whose
/// text compares bytewise; the pattern-ops index on PostgreSQL, whatever the collation).
const PREFIX_SQLITE: &str = "SELECT * FROM users WHERE tenant_id = $1 AND email > $2 AND email >= $3 AND email < $4
    ORDER BY email LIMIT $5";
const PREFIX_POSTGRES: &str =
    "SELECT * FROM users WHERE tenant_id = $1 AND email ~>~ $2 AND email ~>=~ $3 AND email ~<~ $4
    ORDER BY email USING ~<~ LIMIT $5";

/// Users' password hashes by scheme, told apart by their prefixes (`legacy_hash`'s forms;
/// `$1` is today's argon2id prefix, then `%`); `$` and the letters are literal in LIKE, and
/// no prefix holds `_` or `%`.
const PASSWORD_SCHEMES: &str = "SELECT CASE
        WHEN password_hash LIKE $1 THEN 'argon2id_current'
        WHEN password_hash LIKE '$argon2%' THEN 'argon2'
        WHEN password_hash LIKE '$2%' THEN 'bcrypt'
        WHEN password_hash LIKE '$pbkdf2-%' THEN 'pbkdf2'
        WHEN password_hash LIKE '$scrypt$%' THEN 'scrypt'
        WHEN password_hash LIKE '$salted-sha%' THEN 'salted_sha2'
        ELSE 'other' END AS scheme, COUNT(*) AS users
    FROM users WHERE password_hash IS NOT NULL GROUP BY 1 ORDER BY 1";

/// Inserts `$user`'s row in the transaction `$tx` (a new user, whoever creates them).
macro_rules! insert_user_row {
    ($tx:ident, $user:expr) => {{
        let user: &intelliauth_core::model::User = $user;
        sqlx::query(
            "INSERT INTO users (id, tenant_id, email, email_verified, name, disabled, password_hash, created_at, updated_at, version,
             must_reset_password, admin, role, locale, profile, user_metadata, external_id, app_metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)")
        .bind(&user.id).bind(&user.tenant_id).bind(&user.email).bind(user.email_verified).bind(&user.name)
        .bind(user.disabled).bind(&user.password_hash)
        .bind(user.meta.created_at).bind(user.meta.updated_at).bind(user.meta.version).bind(user.must_reset_password)
        .bind(user.role.is_some())
        .bind(user.role.map(intelliauth_core::model::AdminRole::as_str))
        .bind(&user.locale)
        .bind($crate::rows::json_text(&user.profile)).bind($crate::rows::json_text(&user.user_metadata))
        .bind(&user.external_id).bind($crate::rows::json_text(&user.app_metadata))
        .execute(&mut *$tx).await.map_err($crate::map_error)?;
    }};
}
pub(crate) use insert_user_row;

#[async_trait]
impl DirectoryStore for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn count_password_schemes(&self, current_prefix: &str) -> StoreResult<Vec<(String, i64)>> {
        let current = format!("{current_prefix}%");
        on_pool!(self, pool => sqlx::query_as(PASSWORD_SCHEMES).bind(&current).fetch_all(pool).await.map_err(map_error))
    }

    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let settings = json_text(&tenant.settings);
        self.changing_directory(async {
            on_pool!(self, pool => sqlx::query(
            "INSERT INTO tenants (id, display_name, settings, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&tenant.id).bind(&tenant.display_name).bind(&settings)
            .bind(tenant.meta.created_at).bind(tenant.meta.updated_at).bind(tenant.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
        })
        .await
    }

    async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        self.through_copies(
            |cache, generation| cache.tenant(generation, id),
            async { fetch_one_as!(self, rows::tenant, sqlx::query("SELECT * FROM tenants WHERE id = $1").bind(id)) },
            DirectoryCache::keep_tenant,
        )
        .await
    }

    async fn list_tenants(&self, page: &PageRequest) -> StoreResult<Vec<Tenant>> {
        fetch_all_as!(
            self,
            rows::tenant,
            sqlx::query("SELECT * FROM tenants WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after(page))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_tenant(&self, tenant: &Tenant, expected_version: i64) -> StoreResult<bool> {
        let settings = json_text(&tenant.settings);
        self.changing_directory(async {
            touched!(self, sqlx::query(
            "UPDATE tenants SET display_name = $1, settings = $2, updated_at = $3, version = $4 WHERE id = $5 AND version = $6")
            .bind(&tenant.display_name).bind(&settings).bind(tenant.meta.updated_at).bind(tenant.meta.version)
            .bind(&tenant.id).bind(expected_version))
        })
        .await
    }

    async fn delete_tenant(&self, id: &str, expected_version: i64) -> StoreResult<bool> {
        self.changing_directory(async {
            touched!(
                self,
                sqlx::query("DELETE FROM tenants WHERE id = $1 AND version = $2").bind(id).bind(expected_version)
            )
        })
        .await
    }

    async fn insert_user(&self, user: &User, events: &[Event]) -> StoreResult<()> {
        in_outbox!(self, events, tx => {
            insert_user_row!(tx, user);
            ((), true)
        })
    }

    async fn get_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>> {
        fetch_one_as!(
            self,
            rows::user,
            sqlx::query("SELECT * FROM users WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn list_users(&self, tenant_id: &str, filter: &UserFilter, page: &PageRequest) -> StoreResult<Vec<User>> {
        let limit = i64::from(page.limit);
        if let Some(email) = &filter.email {
            return fetch_all_as!(
                self,
                rows::user,
                sqlx::query("SELECT * FROM users WHERE tenant_id = $1 AND id > $2 AND email = $3 ORDER BY id LIMIT $4")
                    .bind(tenant_id)
                    .bind(after(page))
                    .bind(email)
                    .bind(limit)
            );
        }
        match &filter.email_prefix {
            Some(prefix) => {
                // Above every string: U+10FFFF is no character an email holds.
                let end = prefix_end(prefix).unwrap_or_else(|| format!("{prefix}\u{10FFFF}"));
                let statement = match &self.db {
                    crate::Db::Sqlite(_) => PREFIX_SQLITE,
                    crate::Db::Postgres(_) => PREFIX_POSTGRES,
                };
                fetch_all_as!(
                    self,
                    rows::user,
                    sqlx::query(statement).bind(tenant_id).bind(after(page)).bind(prefix).bind(&end).bind(limit)
                )
            }
            None => fetch_all_as!(
                self,
                rows::user,
                sqlx::query("SELECT * FROM users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                    .bind(tenant_id)
                    .bind(after(page))
                    .bind(limit)
            ),
        }
    }

    async fn import_users(
        &self,
        tenant_id: &str,
        rows: &[ImportRow],
        by: ImportMatch,
        update: bool,
        now: i64,
    ) -> StoreResult<ImportWrite> {
        self.import_batch(tenant_id, rows, by, update, now).await
    }

    async fn update_user(&self, user: &User, expected_version: i64, events: &[Event]) -> StoreResult<bool> {
        in_outbox!(self, events, tx => {
            let changed = sqlx::query(
            "UPDATE users SET email = $1, email_verified = $2, name = $3, disabled = $4, password_hash = $5, updated_at = $6, version = $7,
             must_reset_password = $8, admin = $12, role = $13, locale = $14, profile = $15, user_metadata = $16
             WHERE tenant_id = $9 AND id = $10 AND version = $11")
            .bind(&user.email).bind(user.email_verified).bind(&user.name).bind(user.disabled).bind(&user.password_hash)
            .bind(user.meta.updated_at).bind(user.meta.version).bind(user.must_reset_password)
            .bind(&user.tenant_id).bind(&user.id).bind(expected_version).bind(user.role.is_some())
            .bind(user.role.map(AdminRole::as_str)).bind(&user.locale)
            .bind(json_text(&user.profile)).bind(json_text(&user.user_metadata))
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            (changed, changed)
        })
    }

    async fn delete_user(&self, tenant_id: &str, id: &str, version: i64, events: &[Event]) -> StoreResult<bool> {
        let statement = "DELETE FROM users WHERE tenant_id = $1 AND id = $2 AND version = $3";
        self.delete_versioned(statement, tenant_id, id, version, events).await
    }

    async fn insert_application(&self, app: &Application, events: &[Event]) -> StoreResult<()> {
        let (uris, grants, scopes) = (
            json_text(&app.redirect_uris),
            json_text(&grant_names(&app.allowed_grants)),
            json_text(&app.allowed_scopes),
        );
        self.changing_directory(async { in_outbox!(self, events, tx => {
            sqlx::query(
            "INSERT INTO applications (id, tenant_id, name, client_type, redirect_uris, allowed_grants, allowed_scopes, first_party,
             secret_digest, created_at, updated_at, version, post_logout_redirect_uris, jwks, token_settings, mfa, require_par,
             dpop_bound_access_tokens, backchannel_logout_uri, organization_usage, frontchannel_logout_uri)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
            .bind(&app.id).bind(&app.tenant_id).bind(&app.name).bind(app.client_type.as_str())
            .bind(&uris).bind(&grants).bind(&scopes).bind(app.first_party).bind(&app.secret_digest)
            .bind(app.meta.created_at).bind(app.meta.updated_at).bind(app.meta.version)
            .bind(json_text(&app.post_logout_redirect_uris))
            .bind(app.jwks.as_ref().map(|jwks| jwks.to_string()))
            .bind(json_text(&app.token_settings))
            .bind(app.mfa.map(|mode| mode.as_str()))
            .bind(app.require_par)
            .bind(app.dpop_bound_access_tokens)
            .bind(&app.backchannel_logout_uri)
            .bind(app.organization_usage.as_str())
            .bind(&app.frontchannel_logout_uri)
            .execute(&mut *tx).await.map_err(map_error)?;
            ((), true)
        }) })
        .await
    }

    async fn get_application(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Application>> {
        self.through_copies(
            |cache, generation| cache.application(generation, tenant_id, id),
            async {
                fetch_one_as!(
                    self,
                    rows::application,
                    sqlx::query("SELECT * FROM applications WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
                )
            },
            DirectoryCache::keep_application,
        )
        .await
    }

    async fn list_applications(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Application>> {
        fetch_all_as!(
            self,
            rows::application,
            sqlx::query("SELECT * FROM applications WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(after(page))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_application(
        &self,
        app: &Application,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool> {
        let (uris, grants, scopes) = (
            json_text(&app.redirect_uris),
            json_text(&grant_names(&app.allowed_grants)),
            json_text(&app.allowed_scopes),
        );
        self.changing_directory(async { in_outbox!(self, events, tx => {
            let changed = sqlx::query(
            "UPDATE applications SET name = $1, redirect_uris = $2, allowed_grants = $3, allowed_scopes = $4, first_party = $5,
             secret_digest = $6, updated_at = $7, version = $8, post_logout_redirect_uris = $12, jwks = $13,
             token_settings = $14, mfa = $15, require_par = $16, dpop_bound_access_tokens = $17,
             backchannel_logout_uri = $18, organization_usage = $19, frontchannel_logout_uri = $20 WHERE tenant_id = $9 AND id = $10 AND version = $11")
            .bind(&app.name).bind(&uris).bind(&grants).bind(&scopes).bind(app.first_party).bind(&app.secret_digest)
            .bind(app.meta.updated_at).bind(app.meta.version).bind(&app.tenant_id).bind(&app.id).bind(expected_version)
            .bind(json_text(&app.post_logout_redirect_uris))
            .bind(app.jwks.as_ref().map(|jwks| jwks.to_string()))
            .bind(json_text(&app.token_settings))
            .bind(app.mfa.map(|mode| mode.as_str()))
            .bind(app.require_par)
            .bind(app.dpop_bound_access_tokens)
            .bind(&app.backchannel_logout_uri)
            .bind(app.organization_usage.as_str())
            .bind(&app.frontchannel_logout_uri)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            (changed, changed)
        }) })
        .await
    }

    async fn delete_application(&self, tenant_id: &str, id: &str, version: i64, events: &[Event]) -> StoreResult<bool> {
        let statement = "DELETE FROM applications WHERE tenant_id = $1 AND id = $2 AND version = $3";
        self.changing_directory(self.delete_versioned(statement, tenant_id, id, version, events)).await
    }

    async fn insert_credential(&self, credential: &ManagementCredential) -> StoreResult<()> {
        let scopes = json_text(&scope_names(&credential.scopes));
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO management_credentials (id, tenant_id, name, scopes, token_digest, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&credential.id).bind(&credential.tenant_id).bind(&credential.name).bind(&scopes).bind(&credential.token_digest)
            .bind(credential.meta.created_at).bind(credential.meta.updated_at).bind(credential.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn credential_by_digest(&self, token_digest: &str) -> StoreResult<Option<ManagementCredential>> {
        fetch_one_as!(
            self,
            rows::credential,
            sqlx::query("SELECT * FROM management_credentials WHERE token_digest = $1").bind(token_digest)
        )
    }

    async fn list_credentials(
        &self,
        tenant_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<ManagementCredential>> {
        match tenant_id {
            Some(tenant_id) => fetch_all_as!(
                self,
                rows::credential,
                sqlx::query(
                    "SELECT * FROM management_credentials WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"
                )
                .bind(tenant_id)
                .bind(after(page))
                .bind(i64::from(page.limit))
            ),
            None => fetch_all_as!(
                self,
                rows::credential,
                sqlx::query("SELECT * FROM management_credentials WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after(page))
                    .bind(i64::from(page.limit))
            ),
        }
    }

    async fn delete_credential(&self, id: &str) -> StoreResult<bool> {
        touched!(self, sqlx::query("DELETE FROM management_credentials WHERE id = $1").bind(id))
    }

    async fn count_credentials(&self) -> StoreResult<i64> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM management_credentials").fetch_one(pool).await.map_err(map_error))
    }

    async fn set_credential_digest(&self, id: &str, token_digest: &str) -> StoreResult<bool> {
        touched!(self, sqlx::query("UPDATE management_credentials SET token_digest = $1, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(token_digest).bind(intelliauth_core::ids::now_ms()).bind(id))
    }
}

impl SqlStore {
    /// A read through this node's copies: what `copied` finds under the generation the
    /// read starts in, else what `fetch` reads from the database, which `keep` keeps (when
    /// nothing changed meanwhile). Without a generation (changes elsewhere cannot be known
    /// now), straight from the database.
    async fn through_copies<T>(
        &self,
        copied: impl FnOnce(&DirectoryCache, Generation) -> Option<T>,
        fetch: impl std::future::Future<Output = StoreResult<Option<T>>>,
        keep: impl FnOnce(&DirectoryCache, Generation, &T),
    ) -> StoreResult<Option<T>> {
        let copy = self.directory.as_ref().and_then(|cache| Some((cache, cache.generation()?)));
        if let Some(found) = copy.and_then(|(cache, generation)| copied(cache, generation)) {
            return Ok(Some(found));
        }
        let found = fetch.await?;
        if let (Some((cache, generation)), Some(found)) = (copy, &found) {
            keep(cache, generation, found);
        }
        Ok(found)
    }

    /// Runs `write` to tenants or applications, then counts it as a change — committed or
    /// not (an answer lost after the commit still counts) — before the caller answers
    /// anyone; on PostgreSQL, after this node's listener has heard it announced too.
    async fn changing_directory<T>(&self, write: impl std::future::Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let heard_before = self.listening.heard_count();
        let result = write.await;
        if let Some(cache) = &self.directory {
            cache.changed();
        }
        self.listening.heard_after(heard_before).await;
        result
    }

    /// Deletes a tenant's resource by `statement` (`$1` tenant, `$2` id, `$3` the version it must
    /// still have), recording `events` when it went.
    async fn delete_versioned(
        &self,
        statement: &str,
        tenant_id: &str,
        id: &str,
        version: i64,
        events: &[Event],
    ) -> StoreResult<bool> {
        in_outbox!(self, events, tx => {
            let query = sqlx::query(statement).bind(tenant_id).bind(id).bind(version);
            let changed = query.execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            (changed, changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_prefix_range_ends_above_every_string_with_the_prefix() {
        assert_eq!(prefix_end("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
    }
}
