//! Schema migrations: an ordered list applied once each, under a lock so that several
//! nodes starting together on one PostgreSQL do not race.

use intelliauth_core::ports::StoreError;

use crate::{map_error, on_pool, Db, SqlStore};

/// One schema change: the same SQL for both backends, unless the change needs what only
/// one of them has (SQLite's `WITHOUT ROWID` tables, PostgreSQL's `ALTER … CONSTRAINT`).
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const fn both(version: i64, name: &'static str, sql: &'static str) -> Migration {
    Migration { version, name, sqlite: sql, postgres: sql }
}

const fn each(version: i64, name: &'static str, sqlite: &'static str, postgres: &'static str) -> Migration {
    Migration { version, name, sqlite, postgres }
}

/// Append only; never edit a released migration.
pub const MIGRATIONS: &[Migration] = &[
    both(1, "init", include_str!("migrations/0001_init.sql")),
    both(2, "sign_in", include_str!("migrations/0002_sign_in.sql")),
    both(3, "signing_keys", include_str!("migrations/0003_signing_keys.sql")),
    both(4, "authorization_codes", include_str!("migrations/0004_authorization_codes.sql")),
    both(5, "refresh_tokens", include_str!("migrations/0005_refresh_tokens.sql")),
    both(6, "webhooks", include_str!("migrations/0006_webhooks.sql")),
    both(7, "mfa", include_str!("migrations/0007_mfa.sql")),
    both(8, "actions", include_str!("migrations/0008_actions.sql")),
    both(9, "conformance", include_str!("migrations/0009_conformance.sql")),
    both(10, "tenant_log_and_roles", include_str!("migrations/0010_tenant_log_and_roles.sql")),
    each(
        11,
        "tenant_log_clustered",
        include_str!("migrations/0011_tenant_log_clustered.sqlite.sql"),
        include_str!("migrations/0011_tenant_log_clustered.postgres.sql"),
    ),
    both(12, "webhook_leased_at", include_str!("migrations/0012_webhook_leased_at.sql")),
    each(
        13,
        "user_email_prefix",
        include_str!("migrations/0013_user_email_prefix.sqlite.sql"),
        include_str!("migrations/0013_user_email_prefix.postgres.sql"),
    ),
    each(
        14,
        "directory_changes",
        include_str!("migrations/0014_directory_changes.sqlite.sql"),
        include_str!("migrations/0014_directory_changes.postgres.sql"),
    ),
    both(15, "user_locale", include_str!("migrations/0015_user_locale.sql")),
    both(16, "user_profile", include_str!("migrations/0016_user_profile.sql")),
    both(17, "connections", include_str!("migrations/0017_connections.sql")),
    both(18, "device_codes", include_str!("migrations/0018_device_codes.sql")),
    both(19, "apis_dpop_logout", include_str!("migrations/0019_apis_dpop_logout.sql")),
    both(20, "organizations", include_str!("migrations/0020_organizations.sql")),
    both(21, "device_audience", include_str!("migrations/0021_device_audience.sql")),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS intelliauth_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// An arbitrary constant naming our advisory lock.
const PG_LOCK_KEY: i64 = 0x1A_7E11_A075;

impl SqlStore {
    /// Applies pending migrations; returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        match &self.db {
            Db::Postgres(pool) => {
                // A session-level advisory lock must be released on the same connection.
                let mut conn = pool.acquire().await.map_err(map_error)?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(PG_LOCK_KEY)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_error)?;
                let result = self.apply_pending().await;
                let unlock = sqlx::query("SELECT pg_advisory_unlock($1)").bind(PG_LOCK_KEY).execute(&mut *conn).await;
                let applied = result?;
                unlock.map_err(map_error)?;
                Ok(applied)
            }
            // SQLite serialises writers itself; each migration runs in its own transaction.
            Db::Sqlite(_) => self.apply_pending().await,
        }
    }

    async fn apply_pending(&self) -> Result<Vec<i64>, StoreError> {
        on_pool!(self, pool => sqlx::raw_sql(CREATE_TABLE).execute(pool).await.map(|_| ()).map_err(map_error))?;
        let mut applied = Vec::new();
        for Migration { version, name, sqlite, postgres } in MIGRATIONS {
            let sql = match self.db {
                Db::Sqlite(_) => sqlite,
                Db::Postgres(_) => postgres,
            };
            let done: Option<i64> = on_pool!(self, pool => sqlx::query_scalar("SELECT version FROM intelliauth_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(pool)
                .await
                .map_err(map_error))?;
            if done.is_some() {
                continue;
            }
            on_pool!(self, pool => {
                let mut tx = pool.begin().await.map_err(map_error)?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(map_error)?;
                sqlx::query("INSERT INTO intelliauth_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(version)
                    .bind(name)
                    .bind(intelliauth_core::ids::now_ms())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                tx.commit().await.map_err(map_error)
            })?;
            tracing::info!(version, name, "applied migration");
            applied.push(*version);
        }
        Ok(applied)
    }
}
