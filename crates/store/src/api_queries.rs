//! `core::apis::ApiStore` for both backends: APIs (settings and permissions as JSON), client
//! grants, roles (their permissions as JSON) and the roles assigned to users.

use async_trait::async_trait;
use intelliauth_core::apis::{Api, ApiStore, ClientGrant, Role, SubjectType};
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::StoreResult;
use sqlx::Row;

use crate::rows::{corrupt, json_column, json_text, meta, Columns};
use crate::{map_error, on_pool, SqlStore};

fn api(row: &impl Columns) -> sqlx::Result<Api> {
    Ok(from_columns!(row => Api {
        text: id, tenant_id, identifier;
    } and {
        config: json_column(row, "config")?,
        meta: meta(row)?,
    }))
}

fn client_grant(row: &impl Columns) -> sqlx::Result<ClientGrant> {
    let subject = row.text("subject_type")?;
    Ok(from_columns!(row => ClientGrant {
        text: id, tenant_id, client_id, api_id;
    } and {
        subject_type: SubjectType::parse(&subject).ok_or_else(|| corrupt("subject_type", &subject))?,
        scopes: json_column(row, "scopes")?,
        meta: meta(row)?,
    }))
}

fn role(row: &impl Columns) -> sqlx::Result<Role> {
    Ok(from_columns!(row => Role {
        text: id, tenant_id, name, description;
    } and {
        permissions: json_column(row, "permissions")?,
        meta: meta(row)?,
    }))
}

#[async_trait]
impl ApiStore for SqlStore {
    async fn insert_api(&self, a: &Api) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO apis (id, tenant_id, identifier, config, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&a.id).bind(&a.tenant_id).bind(&a.identifier).bind(json_text(&a.config))
            .bind(a.meta.created_at).bind(a.meta.updated_at).bind(a.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_api(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Api>> {
        fetch_one_as!(
            self,
            api,
            sqlx::query("SELECT * FROM apis WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn api_by_identifier(&self, tenant_id: &str, identifier: &str) -> StoreResult<Option<Api>> {
        fetch_one_as!(
            self,
            api,
            sqlx::query("SELECT * FROM apis WHERE tenant_id = $1 AND identifier = $2").bind(tenant_id).bind(identifier)
        )
    }

    async fn list_apis(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Api>> {
        fetch_all_as!(
            self,
            api,
            sqlx::query("SELECT * FROM apis WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_api(&self, a: &Api, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE apis SET config = $1, updated_at = $2, version = $3
                 WHERE tenant_id = $4 AND id = $5 AND version = $6"
            )
            .bind(json_text(&a.config))
            .bind(a.meta.updated_at)
            .bind(a.meta.version)
            .bind(&a.tenant_id)
            .bind(&a.id)
            .bind(expected_version)
        )
    }

    async fn delete_api(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        // Its client grants go with it (ON DELETE CASCADE).
        touched!(
            self,
            sqlx::query("DELETE FROM apis WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn insert_client_grant(&self, g: &ClientGrant) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO client_grants (id, tenant_id, client_id, api_id, subject_type, scopes, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&g.id).bind(&g.tenant_id).bind(&g.client_id).bind(&g.api_id).bind(g.subject_type.as_str())
            .bind(json_text(&g.scopes)).bind(g.meta.created_at).bind(g.meta.updated_at).bind(g.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_client_grant(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ClientGrant>> {
        fetch_one_as!(
            self,
            client_grant,
            sqlx::query("SELECT * FROM client_grants WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn client_grant_for(
        &self,
        tenant_id: &str,
        client_id: &str,
        api_id: &str,
        subject_type: SubjectType,
    ) -> StoreResult<Option<ClientGrant>> {
        fetch_one_as!(
            self,
            client_grant,
            sqlx::query(
                "SELECT * FROM client_grants WHERE tenant_id = $1 AND client_id = $2 AND api_id = $3 AND subject_type = $4"
            )
            .bind(tenant_id)
            .bind(client_id)
            .bind(api_id)
            .bind(subject_type.as_str())
        )
    }

    async fn list_client_grants(
        &self,
        tenant_id: &str,
        api_id: Option<&str>,
        client_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<ClientGrant>> {
        fetch_all_as!(
            self,
            client_grant,
            sqlx::query(
                "SELECT * FROM client_grants WHERE tenant_id = $1 AND ($2 = '' OR api_id = $2)
                 AND ($3 = '' OR client_id = $3) AND id > $4 ORDER BY id LIMIT $5"
            )
            .bind(tenant_id)
            .bind(api_id.unwrap_or(""))
            .bind(client_id.unwrap_or(""))
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit))
        )
    }

    async fn update_client_grant(&self, g: &ClientGrant, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE client_grants SET scopes = $1, updated_at = $2, version = $3
                 WHERE tenant_id = $4 AND id = $5 AND version = $6"
            )
            .bind(json_text(&g.scopes))
            .bind(g.meta.updated_at)
            .bind(g.meta.version)
            .bind(&g.tenant_id)
            .bind(&g.id)
            .bind(expected_version)
        )
    }

    async fn delete_client_grant(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM client_grants WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn insert_role(&self, r: &Role) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO roles (id, tenant_id, name, description, permissions, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&r.id).bind(&r.tenant_id).bind(&r.name).bind(&r.description).bind(json_text(&r.permissions))
            .bind(r.meta.created_at).bind(r.meta.updated_at).bind(r.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_role(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Role>> {
        fetch_one_as!(
            self,
            role,
            sqlx::query("SELECT * FROM roles WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn list_roles(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Role>> {
        fetch_all_as!(
            self,
            role,
            sqlx::query("SELECT * FROM roles WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_role(&self, r: &Role, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE roles SET name = $1, description = $2, permissions = $3, updated_at = $4, version = $5
                 WHERE tenant_id = $6 AND id = $7 AND version = $8"
            )
            .bind(&r.name)
            .bind(&r.description)
            .bind(json_text(&r.permissions))
            .bind(r.meta.updated_at)
            .bind(r.meta.version)
            .bind(&r.tenant_id)
            .bind(&r.id)
            .bind(expected_version)
        )
    }

    async fn delete_role(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        // Its assignments go with it (ON DELETE CASCADE).
        touched!(
            self,
            sqlx::query("DELETE FROM roles WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn user_roles(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<Role>> {
        fetch_all_as!(
            self,
            role,
            sqlx::query(
                "SELECT roles.* FROM user_roles JOIN roles ON roles.id = user_roles.role_id
                 WHERE user_roles.tenant_id = $1 AND user_roles.user_id = $2 ORDER BY roles.name"
            )
            .bind(tenant_id)
            .bind(user_id)
        )
    }

    async fn assign_roles(&self, tenant_id: &str, user_id: &str, role_ids: &[String], now: i64) -> StoreResult<()> {
        in_outbox!(self, &[], tx => {
            for role_id in role_ids {
                // Only a role of the tenant; one assigned already is left as it is.
                sqlx::query(
                    "INSERT INTO user_roles (tenant_id, user_id, role_id, created_at)
                     SELECT $1, $2, id, $4 FROM roles WHERE tenant_id = $1 AND id = $3
                     ON CONFLICT DO NOTHING",
                )
                .bind(tenant_id)
                .bind(user_id)
                .bind(role_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
            }
            ((), false)
        })
    }

    async fn unassign_role(&self, tenant_id: &str, user_id: &str, role_id: &str) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2 AND role_id = $3")
                .bind(tenant_id)
                .bind(user_id)
                .bind(role_id)
        )
    }

    async fn role_users(&self, tenant_id: &str, role_id: &str, page: &PageRequest) -> StoreResult<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT user_id FROM user_roles WHERE tenant_id = $1 AND role_id = $2 AND user_id > $3
                 ORDER BY user_id LIMIT $4",
            )
            .bind(tenant_id)
            .bind(role_id)
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit))
            .fetch_all(pool)
            .await
            .map_err(map_error)?;
            rows.iter().map(|row| row.try_get::<String, _>("user_id").map_err(map_error)).collect()
        })
    }
}
