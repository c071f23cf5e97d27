//! `core::federation::ConnectionStore` for both backends: connections, the identities
//! linked through them, and upstream requests (taken once by their state's digest).

use async_trait::async_trait;
use intelliauth_core::events::Event;
use intelliauth_core::federation::{Connection, ConnectionStore, Identity, UpstreamRequest};
use intelliauth_core::model::User;
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::StoreResult;
use serde_json::{Map, Value};

use crate::directory_queries::insert_user_row;
use crate::rows::{json_column, json_text, meta, Columns};
use crate::{map_error, on_pool, SqlStore};

fn connection(row: &impl Columns) -> sqlx::Result<Connection> {
    Ok(from_columns!(row => Connection {
        text: id, tenant_id, name;
        flag: enabled;
    } and {
        config: json_column(row, "config")?,
        client_secret_sealed: row.opt_text("client_secret")?,
        meta: meta(row)?,
    }))
}

fn identity(row: &impl Columns) -> sqlx::Result<Identity> {
    Ok(from_columns!(row => Identity {
        text: id, tenant_id, user_id, connection_id, subject;
        int: created_at, last_sign_in_at;
    } and {
        claims: json_column(row, "claims")?,
    }))
}

fn upstream_request(row: &impl Columns) -> sqlx::Result<UpstreamRequest> {
    Ok(from_columns!(row => UpstreamRequest {
        text: id, tenant_id, flow_id, connection_id, state_digest, nonce;
        opt_text: app_redirect, link_user_id, result_digest;
        int: created_at, expires_at;
    } and {
        verifier_sealed: row.text("verifier")?,
        outcome_sealed: row.opt_text("outcome")?,
    }))
}

/// Inserts `$identity`'s row in the transaction or pool `$on`.
macro_rules! insert_identity_row {
    ($on:expr, $identity:expr) => {{
        let identity: &Identity = $identity;
        sqlx::query(
            "INSERT INTO user_identities (id, tenant_id, user_id, connection_id, subject, claims, created_at, last_sign_in_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&identity.id)
        .bind(&identity.tenant_id)
        .bind(&identity.user_id)
        .bind(&identity.connection_id)
        .bind(&identity.subject)
        .bind(json_text(&identity.claims))
        .bind(identity.created_at)
        .bind(identity.last_sign_in_at)
        .execute($on)
        .await
        .map_err(map_error)
    }};
}

#[async_trait]
impl ConnectionStore for SqlStore {
    async fn insert_connection(&self, c: &Connection) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO connections (id, tenant_id, name, enabled, config, client_secret, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&c.id).bind(&c.tenant_id).bind(&c.name).bind(c.enabled).bind(json_text(&c.config))
            .bind(&c.client_secret_sealed).bind(c.meta.created_at).bind(c.meta.updated_at).bind(c.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_connection(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Connection>> {
        fetch_one_as!(
            self,
            connection,
            sqlx::query("SELECT * FROM connections WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn connection_by_name(&self, tenant_id: &str, name: &str) -> StoreResult<Option<Connection>> {
        fetch_one_as!(
            self,
            connection,
            sqlx::query("SELECT * FROM connections WHERE tenant_id = $1 AND name = $2").bind(tenant_id).bind(name)
        )
    }

    async fn list_connections(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Connection>> {
        fetch_all_as!(
            self,
            connection,
            sqlx::query("SELECT * FROM connections WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_connection(&self, c: &Connection, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE connections SET enabled = $1, config = $2, client_secret = $3, updated_at = $4, version = $5
             WHERE tenant_id = $6 AND id = $7 AND version = $8"
            )
            .bind(c.enabled)
            .bind(json_text(&c.config))
            .bind(&c.client_secret_sealed)
            .bind(c.meta.updated_at)
            .bind(c.meta.version)
            .bind(&c.tenant_id)
            .bind(&c.id)
            .bind(expected_version)
        )
    }

    async fn delete_connection(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        // Identities and requests go with it (foreign keys, ON DELETE CASCADE).
        touched!(
            self,
            sqlx::query("DELETE FROM connections WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn identities_of(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<Identity>> {
        fetch_all_as!(
            self,
            identity,
            sqlx::query("SELECT * FROM user_identities WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id")
                .bind(tenant_id)
                .bind(user_id)
        )
    }

    async fn identity_by_subject(&self, connection_id: &str, subject: &str) -> StoreResult<Option<Identity>> {
        fetch_one_as!(
            self,
            identity,
            sqlx::query("SELECT * FROM user_identities WHERE connection_id = $1 AND subject = $2")
                .bind(connection_id)
                .bind(subject)
        )
    }

    async fn insert_identity(&self, identity: &Identity) -> StoreResult<()> {
        on_pool!(self, pool => insert_identity_row!(pool, identity).map(|_| ()))
    }

    async fn insert_user_with_identity(&self, user: &User, identity: &Identity, events: &[Event]) -> StoreResult<()> {
        in_outbox!(self, events, tx => {
            insert_user_row!(tx, user);
            insert_identity_row!(&mut *tx, identity)?;
            ((), true)
        })
    }

    async fn touch_identity(&self, id: &str, claims: &Map<String, Value>, now: i64) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query("UPDATE user_identities SET claims = $1, last_sign_in_at = $2 WHERE id = $3")
                .bind(json_text(claims))
                .bind(now)
                .bind(id)
        )
        .map(|_| ())
    }

    async fn delete_identity(&self, tenant_id: &str, user_id: &str, id: &str) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM user_identities WHERE tenant_id = $1 AND user_id = $2 AND id = $3")
                .bind(tenant_id)
                .bind(user_id)
                .bind(id)
        )
    }

    async fn insert_upstream_request(&self, r: &UpstreamRequest) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO upstream_requests (id, tenant_id, flow_id, connection_id, state_digest, nonce, verifier, app_redirect,
             link_user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&r.id).bind(&r.tenant_id).bind(&r.flow_id).bind(&r.connection_id).bind(&r.state_digest)
            .bind(&r.nonce).bind(&r.verifier_sealed).bind(&r.app_redirect).bind(&r.link_user_id).bind(r.created_at)
            .bind(r.expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn take_upstream_request(&self, state_digest: &str, now: i64) -> StoreResult<Option<UpstreamRequest>> {
        // One statement marks it used and returns it: of two callbacks with one state, one wins.
        fetch_one_as!(
            self,
            upstream_request,
            sqlx::query(
                "UPDATE upstream_requests SET used_at = $1
                 WHERE state_digest = $2 AND used_at IS NULL AND expires_at > $1 RETURNING *"
            )
            .bind(now)
            .bind(state_digest)
        )
    }

    async fn set_upstream_outcome(&self, id: &str, outcome: &str, result_digest: Option<&str>) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query("UPDATE upstream_requests SET outcome = $1, result_digest = $2 WHERE id = $3")
                .bind(outcome)
                .bind(result_digest)
                .bind(id)
        )
        .map(|_| ())
    }

    async fn forget_upstream_outcomes(&self, flow_id: &str) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query("UPDATE upstream_requests SET outcome = NULL, result_digest = NULL WHERE flow_id = $1")
                .bind(flow_id)
        )
        .map(|_| ())
    }

    async fn upstream_outcome_of_flow(&self, flow_id: &str) -> StoreResult<Option<UpstreamRequest>> {
        fetch_one_as!(
            self,
            upstream_request,
            sqlx::query(
                "SELECT * FROM upstream_requests WHERE flow_id = $1 AND outcome IS NOT NULL
                 ORDER BY created_at DESC, id DESC LIMIT 1"
            )
            .bind(flow_id)
        )
    }
}
