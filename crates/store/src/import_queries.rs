//! Bulk user import: a batch of rows goes to the database as one JSON array, read back as a
//! table (`json_each` on SQLite, `jsonb_to_recordset` on PostgreSQL), so a thousand users
//! cost three statements, not three thousand.

use std::collections::{HashMap, HashSet};

use intelliauth_core::directory::{ImportMatch, ImportRow, ImportWrite};
use intelliauth_core::ports::StoreResult;
use serde_json::{json, Value};
use sqlx::Row;

use crate::rows::json_text;
use crate::{map_error, Db, SqlStore};

/// The batch as a table `i`, bound as `$2`, on SQLite.
const SQLITE_INPUT: &str = "(SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.email') AS email,
    json_extract(value, '$.email_verified') AS email_verified, json_extract(value, '$.name') AS name,
    json_extract(value, '$.disabled') AS disabled, json_extract(value, '$.password_hash') AS password_hash,
    json_extract(value, '$.app_metadata') AS app_metadata, json_extract(value, '$.profile') AS profile,
    json_extract(value, '$.user_metadata') AS user_metadata, json_extract(value, '$.external_id') AS external_id,
    json_extract(value, '$.locale') AS locale, json_extract(value, '$.created_at') AS created_at
    FROM json_each($2)) AS i";

/// The same table on PostgreSQL.
const POSTGRES_INPUT: &str =
    "jsonb_to_recordset($2::jsonb) AS i(id TEXT, email TEXT, email_verified BOOLEAN, name TEXT,
    disabled BOOLEAN, password_hash TEXT, app_metadata TEXT, profile TEXT, user_metadata TEXT, external_id TEXT,
    locale TEXT, created_at BIGINT)";

/// How each database merges the row's profile claims over the stored ones (top-level keys;
/// the row's win), and reads the stored ones for comparison.
struct Dialect {
    input: &'static str,
    merged_profile: &'static str,
    stored_profile: &'static str,
}

const SQLITE_DIALECT: Dialect = Dialect {
    input: SQLITE_INPUT,
    merged_profile: "json_patch(users.profile, COALESCE(i.profile, '{}'))",
    stored_profile: "json(users.profile)",
};

const POSTGRES_DIALECT: Dialect = Dialect {
    input: POSTGRES_INPUT,
    merged_profile: "(users.profile::jsonb || COALESCE(i.profile, '{}')::jsonb)",
    stored_profile: "users.profile::jsonb",
};

/// The users column a match key is.
fn key_column(by: ImportMatch) -> &'static str {
    match by {
        ImportMatch::Email => "email",
        ImportMatch::ExternalId => "external_id",
    }
}

/// Given fields replace stored ones (profile claims one by one); a row whose given fields
/// all equal the stored ones is left alone (its version does not move), which makes a
/// second run of a file a no-op. The key matched on is never changed, nor the other key.
fn update_sql(dialect: &Dialect, by: ImportMatch) -> String {
    let (input, merged, stored, key) = (dialect.input, dialect.merged_profile, dialect.stored_profile, key_column(by));
    format!(
        "UPDATE users SET email_verified = COALESCE(i.email_verified, users.email_verified),
            name = COALESCE(i.name, users.name), disabled = COALESCE(i.disabled, users.disabled),
            password_hash = COALESCE(i.password_hash, users.password_hash),
            app_metadata = COALESCE(i.app_metadata, users.app_metadata),
            user_metadata = COALESCE(i.user_metadata, users.user_metadata),
            locale = COALESCE(i.locale, users.locale),
            profile = CAST({merged} AS TEXT),
            updated_at = $3, version = users.version + 1
         FROM {input}
         WHERE users.tenant_id = $1 AND users.{key} = i.{key} AND (
            COALESCE(i.email_verified, users.email_verified) IS DISTINCT FROM users.email_verified
            OR COALESCE(i.name, users.name) IS DISTINCT FROM users.name
            OR COALESCE(i.disabled, users.disabled) IS DISTINCT FROM users.disabled
            OR COALESCE(i.password_hash, users.password_hash) IS DISTINCT FROM users.password_hash
            OR COALESCE(i.app_metadata, users.app_metadata) IS DISTINCT FROM users.app_metadata
            OR COALESCE(i.user_metadata, users.user_metadata) IS DISTINCT FROM users.user_metadata
            OR COALESCE(i.locale, users.locale) IS DISTINCT FROM users.locale
            OR {merged} IS DISTINCT FROM {stored})
         RETURNING users.{key}"
    )
}

fn existing_sql(dialect: &Dialect, by: ImportMatch) -> String {
    let (input, key) = (dialect.input, key_column(by));
    format!("SELECT users.{key}, users.id FROM users JOIN {input} ON users.{key} = i.{key} WHERE users.tenant_id = $1")
}

/// `WHERE true`: SQLite needs it to read `ON CONFLICT` as the upsert clause, not a join's.
/// No conflict target: a row that collides on any unique key (email, external id, id) is
/// left out, and reported as a conflict.
fn insert_sql(dialect: &Dialect, by: ImportMatch) -> String {
    let (input, key) = (dialect.input, key_column(by));
    format!(
        "INSERT INTO users (id, tenant_id, email, email_verified, name, disabled, password_hash, app_metadata,
            profile, user_metadata, external_id, locale, created_at, updated_at, version, must_reset_password, admin)
         SELECT i.id, $1, i.email, COALESCE(i.email_verified, FALSE), i.name, COALESCE(i.disabled, FALSE),
            i.password_hash, COALESCE(i.app_metadata, '{{}}'), COALESCE(i.profile, '{{}}'),
            COALESCE(i.user_metadata, '{{}}'), i.external_id, i.locale, COALESCE(i.created_at, $3), $3, 1, FALSE, FALSE
         FROM {input} WHERE true
         ON CONFLICT DO NOTHING
         RETURNING {key}"
    )
}

struct Statements {
    update: String,
    existing: String,
    insert: String,
}

impl Statements {
    fn new(dialect: &Dialect, by: ImportMatch) -> Self {
        Statements {
            update: update_sql(dialect, by),
            existing: existing_sql(dialect, by),
            insert: insert_sql(dialect, by),
        }
    }
}

/// The statements, by database and then by match key (email, external id).
static SQLITE: std::sync::LazyLock<[Statements; 2]> = std::sync::LazyLock::new(|| {
    [Statements::new(&SQLITE_DIALECT, ImportMatch::Email), Statements::new(&SQLITE_DIALECT, ImportMatch::ExternalId)]
});
static POSTGRES: std::sync::LazyLock<[Statements; 2]> = std::sync::LazyLock::new(|| {
    [
        Statements::new(&POSTGRES_DIALECT, ImportMatch::Email),
        Statements::new(&POSTGRES_DIALECT, ImportMatch::ExternalId),
    ]
});

fn batch_json(rows: &[ImportRow]) -> String {
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.id,
                "email": row.email,
                "email_verified": row.email_verified,
                "name": row.name,
                "disabled": row.disabled,
                "password_hash": row.password_hash,
                // Stored as JSON text, so these travel as strings.
                "app_metadata": row.app_metadata.as_ref().map(json_text),
                "user_metadata": row.user_metadata.as_ref().map(json_text),
                "profile": row.profile.as_ref().map(json_text),
                "external_id": row.external_id,
                "locale": row.locale,
                "created_at": row.created_at,
            })
        })
        .collect();
    Value::Array(rows).to_string()
}

/// The keys `$sql`, bound to the tenant, the batch and the time, returns in `$tx`.
macro_rules! returned_keys {
    ($tx:ident, $sql:expr, $tenant_id:expr, $batch:expr, $now:expr) => {
        sqlx::query($sql)
            .bind($tenant_id)
            .bind($batch)
            .bind($now)
            .fetch_all(&mut *$tx)
            .await
            .map_err(map_error)?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<HashSet<String>, _>>()
            .map_err(map_error)?
    };
}

/// Runs one batch's statements in a transaction on `$pool`.
macro_rules! import_batch {
    ($pool:expr, $statements:expr, $tenant_id:expr, $batch:expr, $update:expr, $now:expr) => {{
        let mut tx = $pool.begin().await.map_err(map_error)?;
        let mut write = ImportWrite::default();
        // Writes first: on SQLite the first statement of a transaction that reads could
        // not later take the write lock once another connection wrote (a busy snapshot).
        if $update {
            write.updated = returned_keys!(tx, &$statements.update, $tenant_id, $batch, $now);
        }
        write.created = returned_keys!(tx, &$statements.insert, $tenant_id, $batch, $now);
        // Who holds each key now (the created included, which the caller tells apart): a
        // row left out of the insert is a conflict on its key when the key is held, else
        // on another unique field.
        let rows = sqlx::query(&$statements.existing)
            .bind($tenant_id)
            .bind($batch)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_error)?;
        write.existing = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<HashMap<String, String>, sqlx::Error>>()
            .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(write)
    }};
}

impl SqlStore {
    pub(crate) async fn import_batch(
        &self,
        tenant_id: &str,
        rows: &[ImportRow],
        by: ImportMatch,
        update: bool,
        now: i64,
    ) -> StoreResult<ImportWrite> {
        let batch = batch_json(rows);
        let index = match by {
            ImportMatch::Email => 0,
            ImportMatch::ExternalId => 1,
        };
        match &self.db {
            Db::Sqlite(pool) => import_batch!(pool, SQLITE[index], tenant_id, &batch, update, now),
            Db::Postgres(pool) => {
                crate::within_deadline(self.operation_timeout, async {
                    import_batch!(pool, POSTGRES[index], tenant_id, &batch, update, now)
                })
                .await
            }
        }
    }
}
