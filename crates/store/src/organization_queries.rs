//! `core::organizations::OrganizationStore` for both backends: organizations (settings as
//! JSON) and their members (role ids as JSON).

use async_trait::async_trait;
use intelliauth_core::organizations::{Invitation, Membership, Organization, OrganizationStore};
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::StoreResult;

use crate::rows::{json_column, json_text, meta, Columns};
use crate::{map_error, on_pool, SqlStore};

fn organization(row: &impl Columns) -> sqlx::Result<Organization> {
    Ok(from_columns!(row => Organization {
        text: id, tenant_id, name;
    } and {
        config: json_column(row, "config")?,
        meta: meta(row)?,
    }))
}

fn membership(row: &impl Columns) -> sqlx::Result<Membership> {
    Ok(from_columns!(row => Membership {
        text: organization_id, user_id;
        int: created_at;
    } and {
        role_ids: json_column(row, "role_ids")?,
    }))
}

#[async_trait]
impl OrganizationStore for SqlStore {
    async fn insert_organization(&self, o: &Organization) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO organizations (id, tenant_id, name, config, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&o.id).bind(&o.tenant_id).bind(&o.name).bind(json_text(&o.config))
            .bind(o.meta.created_at).bind(o.meta.updated_at).bind(o.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_organization(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Organization>> {
        fetch_one_as!(
            self,
            organization,
            sqlx::query("SELECT * FROM organizations WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn organization_by_name(&self, tenant_id: &str, name: &str) -> StoreResult<Option<Organization>> {
        fetch_one_as!(
            self,
            organization,
            sqlx::query("SELECT * FROM organizations WHERE tenant_id = $1 AND name = $2").bind(tenant_id).bind(name)
        )
    }

    async fn list_organizations(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Organization>> {
        fetch_all_as!(
            self,
            organization,
            sqlx::query("SELECT * FROM organizations WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_organization(&self, o: &Organization, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE organizations SET config = $1, updated_at = $2, version = $3
                 WHERE tenant_id = $4 AND id = $5 AND version = $6"
            )
            .bind(json_text(&o.config))
            .bind(o.meta.updated_at)
            .bind(o.meta.version)
            .bind(&o.tenant_id)
            .bind(&o.id)
            .bind(expected_version)
        )
    }

    async fn delete_organization(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        // Memberships go with it (ON DELETE CASCADE).
        touched!(
            self,
            sqlx::query("DELETE FROM organizations WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn add_members(
        &self,
        tenant_id: &str,
        organization_id: &str,
        user_ids: &[String],
        now: i64,
    ) -> StoreResult<()> {
        in_outbox!(self, &[], tx => {
            for user_id in user_ids {
                // Only a user of the organization's tenant; a member already in stays as is.
                sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id, tenant_id, role_ids, created_at)
                     SELECT $1, id, $3, '[]', $4 FROM users WHERE id = $2 AND tenant_id = $3
                     ON CONFLICT DO NOTHING",
                )
                .bind(organization_id)
                .bind(user_id)
                .bind(tenant_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
            }
            ((), false)
        })
    }

    async fn remove_member(&self, organization_id: &str, user_id: &str) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2")
                .bind(organization_id)
                .bind(user_id)
        )
    }

    async fn membership(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<Membership>> {
        fetch_one_as!(
            self,
            membership,
            sqlx::query("SELECT * FROM organization_members WHERE organization_id = $1 AND user_id = $2")
                .bind(organization_id)
                .bind(user_id)
        )
    }

    async fn members(&self, organization_id: &str, page: &PageRequest) -> StoreResult<Vec<Membership>> {
        fetch_all_as!(
            self,
            membership,
            sqlx::query(
                "SELECT * FROM organization_members WHERE organization_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3"
            )
            .bind(organization_id)
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit))
        )
    }

    async fn set_member_roles(&self, organization_id: &str, user_id: &str, role_ids: &[String]) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("UPDATE organization_members SET role_ids = $1 WHERE organization_id = $2 AND user_id = $3")
                .bind(json_text(role_ids))
                .bind(organization_id)
                .bind(user_id)
        )
    }

    async fn user_organizations(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<Organization>> {
        fetch_all_as!(
            self,
            organization,
            sqlx::query(
                "SELECT organizations.* FROM organization_members
                 JOIN organizations ON organizations.id = organization_members.organization_id
                 WHERE organization_members.tenant_id = $1 AND organization_members.user_id = $2
                 ORDER BY organizations.name"
            )
            .bind(tenant_id)
            .bind(user_id)
        )
    }

    async fn insert_invitation(&self, i: &Invitation) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO organization_invitations (id, tenant_id, organization_id, email, role_ids, inviter, token_digest,
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&i.id).bind(&i.tenant_id).bind(&i.organization_id).bind(&i.email).bind(json_text(&i.role_ids))
            .bind(&i.inviter).bind(&i.token_digest).bind(i.created_at).bind(i.expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn invitations(&self, organization_id: &str, page: &PageRequest) -> StoreResult<Vec<Invitation>> {
        fetch_all_as!(
            self,
            invitation,
            sqlx::query(
                "SELECT * FROM organization_invitations WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            )
            .bind(organization_id)
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit))
        )
    }

    async fn delete_invitation(&self, organization_id: &str, id: &str) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM organization_invitations WHERE organization_id = $1 AND id = $2")
                .bind(organization_id)
                .bind(id)
        )
    }

    async fn invitation_by_digest(&self, token_digest: &str) -> StoreResult<Option<Invitation>> {
        fetch_one_as!(
            self,
            invitation,
            sqlx::query("SELECT * FROM organization_invitations WHERE token_digest = $1").bind(token_digest)
        )
    }

    async fn accept_invitation(&self, token_digest: &str, user_id: &str, now: i64) -> StoreResult<Option<Invitation>> {
        in_outbox!(self, &[], tx => {
            let taken = sqlx::query(
                "UPDATE organization_invitations SET accepted_at = $1, accepted_by = $2
                 WHERE token_digest = $3 AND accepted_at IS NULL AND expires_at > $1
                 RETURNING *",
            )
            .bind(now)
            .bind(user_id)
            .bind(token_digest)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
            let accepted = match taken {
                Some(row) => Some(crate::macros::decoded(invitation(&row))?),
                None => None,
            };
            if let Some(accepted) = &accepted {
                // A member already keeps their roles and gains the invitation's.
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT role_ids FROM organization_members WHERE organization_id = $1 AND user_id = $2",
                )
                .bind(&accepted.organization_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_error)?;
                let mut roles: Vec<String> =
                    existing.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
                for role in &accepted.role_ids {
                    if !roles.contains(role) {
                        roles.push(role.clone());
                    }
                }
                sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id, tenant_id, role_ids, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (organization_id, user_id) DO UPDATE SET role_ids = $4",
                )
                .bind(&accepted.organization_id)
                .bind(user_id)
                .bind(&accepted.tenant_id)
                .bind(json_text(&roles))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
            }
            (accepted, false)
        })
    }
}

fn invitation(row: &impl Columns) -> sqlx::Result<Invitation> {
    Ok(from_columns!(row => Invitation {
        text: id, tenant_id, organization_id, email, inviter, token_digest;
        int: created_at, expires_at;
        opt_text: accepted_by;
    } and {
        role_ids: json_column(row, "role_ids")?,
        accepted_at: row.opt_int("accepted_at")?,
    }))
}
