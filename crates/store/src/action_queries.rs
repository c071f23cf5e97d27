//! `core::actions::ActionStore` for both backends: Actions with their kept versions, the
//! execution log, and the users' `app_metadata` that Actions write.

use async_trait::async_trait;
use intelliauth_core::actions::{
    Action, ActionStore, ActionVersion, Execution, ExecutionFilter, ExecutionOutcome, Trigger,
};
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::{StoreError, StoreResult};
use serde_json::{Map, Value};

use crate::rows::{corrupt, json_column, json_text, meta, Columns};
use crate::{map_error, on_pool, SqlStore};

fn trigger(row: &impl Columns) -> sqlx::Result<Trigger> {
    let name = row.text("trigger_name")?;
    Trigger::parse(&name).ok_or_else(|| corrupt("trigger_name", &name))
}

fn action(row: &impl Columns) -> sqlx::Result<Action> {
    Ok(from_columns!(row => Action {
        text: id, tenant_id, name, code;
        int: code_version, position;
        flag: enabled;
    } and {
        trigger: trigger(row)?,
        secrets_sealed: row.opt_text("secrets")?,
        secret_names: json_column(row, "secret_names")?,
        meta: meta(row)?,
    }))
}

fn version(row: &impl Columns) -> sqlx::Result<ActionVersion> {
    Ok(from_columns!(row => ActionVersion {
        text: action_id, code;
        int: version, created_at;
    }))
}

fn execution(row: &impl Columns) -> sqlx::Result<Execution> {
    let outcome = row.text("outcome")?;
    Ok(from_columns!(row => Execution {
        text: id, tenant_id, action_id, action_name;
        int: action_version, duration_us, created_at;
        opt_text: request_id, user_id, reason, error, stack;
        flag: test;
    } and {
        trigger: trigger(row)?,
        outcome: ExecutionOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome", &outcome))?,
        console: json_column(row, "console")?,
    }))
}

const INSERT_VERSION: &str =
    "INSERT INTO action_versions (action_id, version, code, created_at) VALUES ($1, $2, $3, $4)";

#[async_trait]
impl ActionStore for SqlStore {
    async fn insert_action(&self, a: &Action) -> StoreResult<()> {
        in_outbox!(self, &[], tx => {
            // Last in its trigger's order, decided by the insert itself: a read first would
            // make SQLite upgrade a read transaction to a write one, which concurrent
            // creations fail with SQLITE_BUSY instead of waiting.
            sqlx::query(
                "INSERT INTO actions (id, tenant_id, name, trigger_name, code, code_version, enabled, position, secrets,
                 secret_names, created_at, updated_at, version)
                 SELECT $1, $2, $3, $4, $5, $6, $7, COALESCE(MAX(position) + 1, 0), $8, $9, $10, $11, $12
                 FROM actions WHERE tenant_id = $2 AND trigger_name = $4")
                .bind(&a.id).bind(&a.tenant_id).bind(&a.name).bind(a.trigger.as_str()).bind(&a.code).bind(a.code_version)
                .bind(a.enabled).bind(&a.secrets_sealed).bind(json_text(&a.secret_names))
                .bind(a.meta.created_at).bind(a.meta.updated_at).bind(a.meta.version)
                .execute(&mut *tx).await.map_err(map_error)?;
            sqlx::query(INSERT_VERSION).bind(&a.id).bind(a.code_version).bind(&a.code).bind(a.meta.created_at)
                .execute(&mut *tx).await.map_err(map_error)?;
            ((), false)
        })
    }

    async fn get_action(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Action>> {
        fetch_one_as!(
            self,
            action,
            sqlx::query("SELECT * FROM actions WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn list_actions(&self, tenant_id: &str, trigger: Option<Trigger>) -> StoreResult<Vec<Action>> {
        fetch_all_as!(
            self,
            action,
            sqlx::query(
                "SELECT * FROM actions WHERE tenant_id = $1 AND ($2 = '' OR trigger_name = $2)
                 ORDER BY trigger_name, position, id"
            )
            .bind(tenant_id)
            .bind(trigger.map_or("", Trigger::as_str))
        )
    }

    async fn update_action(&self, a: &Action, expected_version: i64) -> StoreResult<bool> {
        in_outbox!(self, &[], tx => {
            let updated = sqlx::query(
                "UPDATE actions SET name = $1, code = $2, code_version = $3, enabled = $4, secrets = $5, secret_names = $6,
                 updated_at = $7, version = $8 WHERE tenant_id = $9 AND id = $10 AND version = $11")
                .bind(&a.name).bind(&a.code).bind(a.code_version).bind(a.enabled).bind(&a.secrets_sealed)
                .bind(json_text(&a.secret_names)).bind(a.meta.updated_at).bind(a.meta.version)
                .bind(&a.tenant_id).bind(&a.id).bind(expected_version)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            if updated {
                // A new code version is kept; other changes leave the versions alone.
                sqlx::query(
                    "INSERT INTO action_versions (action_id, version, code, created_at)
                     SELECT $1, $2, $3, $4 WHERE NOT EXISTS
                     (SELECT 1 FROM action_versions WHERE action_id = $1 AND version = $2)")
                    .bind(&a.id).bind(a.code_version).bind(&a.code).bind(a.meta.updated_at)
                    .execute(&mut *tx).await.map_err(map_error)?;
            }
            (updated, false)
        })
    }

    async fn delete_action(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM actions WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn action_versions(&self, action_id: &str) -> StoreResult<Vec<ActionVersion>> {
        fetch_all_as!(
            self,
            version,
            sqlx::query("SELECT * FROM action_versions WHERE action_id = $1 ORDER BY version DESC").bind(action_id)
        )
    }

    async fn reorder_actions(&self, tenant_id: &str, trigger: Trigger, ids: &[String], now: i64) -> StoreResult<bool> {
        let outcome = in_outbox!(self, &[], tx => {
            for (position, id) in ids.iter().enumerate() {
                let moved = sqlx::query(
                    "UPDATE actions SET position = $1, updated_at = $2, version = version + 1
                     WHERE tenant_id = $3 AND trigger_name = $4 AND id = $5")
                    .bind(position as i64).bind(now).bind(tenant_id).bind(trigger.as_str()).bind(id)
                    .execute(&mut *tx).await.map_err(map_error)?.rows_affected();
                if moved == 0 {
                    // Deleted since the caller listed it: rolled back with the transaction.
                    return Err(StoreError::Conflict);
                }
            }
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM actions WHERE tenant_id = $1 AND trigger_name = $2")
                .bind(tenant_id).bind(trigger.as_str())
                .fetch_one(&mut *tx).await.map_err(map_error)?;
            if count != ids.len() as i64 {
                // One was created since: an order that leaves it out is not applied.
                return Err(StoreError::Conflict);
            }
            ((), false)
        });
        match outcome {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn insert_execution(&self, e: &Execution) -> StoreResult<()> {
        let entry = e.log_entry();
        on_pool!(self, pool => async {
            let mut tx = pool.begin().await.map_err(map_error)?;
            sqlx::query(
                "INSERT INTO action_executions (id, tenant_id, action_id, action_name, action_version, trigger_name, request_id,
                 user_id, outcome, test, duration_us, console, reason, error, stack, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
                .bind(&e.id).bind(&e.tenant_id).bind(&e.action_id).bind(&e.action_name).bind(e.action_version)
                .bind(e.trigger.as_str()).bind(&e.request_id).bind(&e.user_id).bind(e.outcome.as_str()).bind(e.test)
                .bind(e.duration_us).bind(json_text(&e.console)).bind(&e.reason).bind(&e.error).bind(&e.stack)
                .bind(e.created_at)
                .execute(&mut *tx).await.map_err(map_error)?;
            append_log!(tx, &entry);
            tx.commit().await.map_err(map_error)
        }.await)
    }

    async fn list_executions(
        &self,
        tenant_id: &str,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Execution>> {
        fetch_all_as!(
            self,
            execution,
            sqlx::query(
                "SELECT * FROM action_executions WHERE tenant_id = $1
                 AND ($2 = '' OR action_id = $2) AND ($3 = '' OR request_id = $3) AND ($4 = '' OR id < $4)
                 ORDER BY id DESC LIMIT $5"
            )
            .bind(tenant_id)
            .bind(filter.action_id.as_deref().unwrap_or(""))
            .bind(filter.request_id.as_deref().unwrap_or(""))
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit))
        )
    }

    async fn merge_app_metadata(&self, user_id: &str, metadata: &Map<String, Value>, now: i64) -> StoreResult<()> {
        // Optimistic read-modify-write on the user's version: portable, and a concurrent
        // change (an admin's update, another sign-in) makes this retry instead of losing it.
        for _ in 0..5 {
            let stored: Option<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
                "SELECT app_metadata, version FROM users WHERE id = $1").bind(user_id)
                .fetch_optional(pool).await.map_err(map_error))?;
            let Some((stored, version)) = stored else { return Ok(()) };
            let mut merged: Map<String, Value> = serde_json::from_str(&stored).unwrap_or_default();
            for (key, value) in metadata {
                if value.is_null() {
                    merged.remove(key);
                } else {
                    merged.insert(key.clone(), value.clone());
                }
            }
            let written = touched!(self, sqlx::query(
                "UPDATE users SET app_metadata = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4")
                .bind(Value::Object(merged).to_string()).bind(now).bind(user_id).bind(version))?;
            if written {
                return Ok(());
            }
        }
        Err(StoreError::Internal("the user kept changing while app_metadata was written".into()))
    }

    async fn prune_executions(&self, before: i64) -> StoreResult<u64> {
        on_pool!(self, pool => sqlx::query("DELETE FROM action_executions WHERE created_at < $1").bind(before)
            .execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))
    }
}
