//! Bulk user import: a batch of rows goes to the database as one JSON array, read back as a
//! table (`json_each` on SQLite, `jsonb_to_recordset` on PostgreSQL), so a thousand users
//! cost three statements, not three thousand.

use std::collections::{HashMap, HashSet};

use intelliauth_core::directory::{ImportRow, ImportWrite};
use intelliauth_core::ports::StoreResult;
use serde_json::{json, Value};
use sqlx::Row;

use crate::{map_error, Db, SqlStore};

/// The batch as a table `i`, bound as `$2`, on SQLite.
const SQLITE_INPUT: &str = "(SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.email') AS email,
    json_extract(value, '$.email_verified') AS email_verified, json_extract(value, '$.name') AS name,
    json_extract(value, '$.disabled') AS disabled, json_extract(value, '$.password_hash') AS password_hash,
    json_extract(value, '$.app_metadata') AS app_metadata FROM json_each($2)) AS i";

/// The same table on PostgreSQL.
const POSTGRES_INPUT: &str =
    "jsonb_to_recordset($2::jsonb) AS i(id TEXT, email TEXT, email_verified BOOLEAN, name TEXT,
    disabled BOOLEAN, password_hash TEXT, app_metadata TEXT)";

/// Given fields replace stored ones; a row whose given fields all equal the stored ones is
/// left alone (its version does not move), which makes a second run of a file a no-op.
fn update_sql(input: &str) -> String {
    format!(
        "UPDATE users SET email_verified = COALESCE(i.email_verified, users.email_verified),
            name = COALESCE(i.name, users.name), disabled = COALESCE(i.disabled, users.disabled),
            password_hash = COALESCE(i.password_hash, users.password_hash),
            app_metadata = COALESCE(i.app_metadata, users.app_metadata),
            updated_at = $3, version = users.version + 1
         FROM {input}
         WHERE users.tenant_id = $1 AND users.email = i.email AND (
            COALESCE(i.email_verified, users.email_verified) IS DISTINCT FROM users.email_verified
            OR COALESCE(i.name, users.name) IS DISTINCT FROM users.name
            OR COALESCE(i.disabled, users.disabled) IS DISTINCT FROM users.disabled
            OR COALESCE(i.password_hash, users.password_hash) IS DISTINCT FROM users.password_hash
            OR COALESCE(i.app_metadata, users.app_metadata) IS DISTINCT FROM users.app_metadata)
         RETURNING users.email"
    )
}

fn existing_sql(input: &str) -> String {
    format!("SELECT users.email, users.id FROM users JOIN {input} ON users.email = i.email WHERE users.tenant_id = $1")
}

/// `WHERE true`: SQLite needs it to read `ON CONFLICT` as the upsert clause, not a join's.
fn insert_sql(input: &str) -> String {
    format!(
        "INSERT INTO users (id, tenant_id, email, email_verified, name, disabled, password_hash, app_metadata,
            created_at, updated_at, version, must_reset_password, admin)
         SELECT i.id, $1, i.email, COALESCE(i.email_verified, FALSE), i.name, COALESCE(i.disabled, FALSE),
            i.password_hash, COALESCE(i.app_metadata, '{{}}'), $3, $3, 1, FALSE, FALSE
         FROM {input} WHERE true
         ON CONFLICT (tenant_id, email) DO NOTHING
         RETURNING email"
    )
}

struct Statements {
    update: String,
    existing: String,
    insert: String,
}

impl Statements {
    fn for_input(input: &str) -> Self {
        Statements { update: update_sql(input), existing: existing_sql(input), insert: insert_sql(input) }
    }
}

static SQLITE: std::sync::LazyLock<Statements> = std::sync::LazyLock::new(|| Statements::for_input(SQLITE_INPUT));
static POSTGRES: std::sync::LazyLock<Statements> = std::sync::LazyLock::new(|| Statements::for_input(POSTGRES_INPUT));

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
                // Stored as JSON text, so it travels as a string.
                "app_metadata": row.app_metadata.as_ref().map(|metadata| Value::Object(metadata.clone()).to_string()),
            })
        })
        .collect();
    Value::Array(rows).to_string()
}

/// The emails `$sql`, bound to the tenant, the batch and the time, returns in `$tx`.
macro_rules! returned_emails {
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
        if $update {
            // The update first: on SQLite it takes the write lock, so nothing changes
            // between it, the read of who exists and the insert.
            write.updated = returned_emails!(tx, &$statements.update, $tenant_id, $batch, $now);
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
        }
        write.created = returned_emails!(tx, &$statements.insert, $tenant_id, $batch, $now);
        tx.commit().await.map_err(map_error)?;
        Ok(write)
    }};
}

impl SqlStore {
    pub(crate) async fn import_batch(
        &self,
        tenant_id: &str,
        rows: &[ImportRow],
        update: bool,
        now: i64,
    ) -> StoreResult<ImportWrite> {
        let batch = batch_json(rows);
        match &self.db {
            Db::Sqlite(pool) => import_batch!(pool, SQLITE, tenant_id, &batch, update, now),
            Db::Postgres(pool) => {
                crate::within_deadline(self.operation_timeout, async {
                    import_batch!(pool, POSTGRES, tenant_id, &batch, update, now)
                })
                .await
            }
        }
    }
}
