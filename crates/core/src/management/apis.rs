//! API use cases: a tenant's APIs and their permissions, client grants, roles, and the roles
//! assigned to users. A permission taken out of an API is taken out of every role and
//! client grant that held it, so what an admin reads is what tokens get.

use serde_json::json;

use super::{versioned, Management};
use crate::apis::access::OIDC_SCOPES;
use crate::apis::{Api, ApiConfig, ClientGrant, Permission, Role, RolePermission, SubjectType, UserAccess};
use crate::model::{ClientType, IfMatch, Meta};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::validate::{check_name, check_scope, FieldErrors};
use crate::{ids, Error, Result};

const MAX_PERMISSIONS: usize = 500;
const MAX_ROLE_PERMISSIONS: usize = 1000;
const MAX_DESCRIPTION: usize = 500;
/// Roles assigned in one request.
const MAX_ASSIGNED: usize = 50;

/// An API as an admin describes it.
#[derive(Debug, Clone, Default)]
pub struct NewApi {
    pub identifier: String,
    pub name: Option<String>,
    pub permissions: Option<Vec<Permission>>,
    pub access_token_lifetime_s: Option<u64>,
    pub signing_alg: Option<String>,
    pub rbac: Option<bool>,
    pub permissions_claim: Option<bool>,
    pub roles_claim: Option<bool>,
    pub user_access: Option<UserAccess>,
}

/// A change to an API; its identifier is fixed (tokens name it). `Some(None)` clears the
/// lifetime or the signing algorithm.
#[derive(Debug, Clone, Default)]
pub struct ApiPatch {
    pub name: Option<String>,
    pub permissions: Option<Vec<Permission>>,
    pub access_token_lifetime_s: Option<Option<u64>>,
    pub signing_alg: Option<Option<String>>,
    pub rbac: Option<bool>,
    pub permissions_claim: Option<bool>,
    pub roles_claim: Option<bool>,
    pub user_access: Option<UserAccess>,
}

#[derive(Debug, Clone, Default)]
pub struct NewClientGrant {
    pub client_id: String,
    pub api_id: String,
    pub subject_type: Option<SubjectType>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Option<Vec<RolePermission>>,
}

#[derive(Debug, Clone, Default)]
pub struct RolePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<Vec<RolePermission>>,
}

/// One permission a user holds, with the roles that give it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldPermission {
    pub api_id: String,
    pub api_identifier: String,
    pub value: String,
    pub roles: Vec<String>,
}

/// An API identifier is RFC 8707's `resource`: an absolute URI without a fragment.
fn check_identifier(errors: &mut FieldErrors, identifier: &str) {
    let problem = match url::Url::parse(identifier) {
        _ if identifier.len() > 256 => Some("must be at most 256 characters"),
        _ if identifier.chars().any(|c| c.is_whitespace() || c.is_control()) => Some("must not contain spaces"),
        Err(_) => Some("must be an absolute URI (https://api.example.com), as RFC 8707 asks of a resource"),
        Ok(parsed) if parsed.fragment().is_some() => Some("must not contain a fragment (#)"),
        Ok(_) => None,
    };
    if let Some(problem) = problem {
        errors.add("identifier", problem);
    }
}

fn check_config(errors: &mut FieldErrors, config: &ApiConfig) {
    check_name(errors, "name", &config.name, 100);
    if config.permissions.len() > MAX_PERMISSIONS {
        errors.add("permissions", format!("must be at most {MAX_PERMISSIONS} permissions"));
    }
    for permission in &config.permissions {
        check_scope(errors, "permissions", &permission.value);
        if OIDC_SCOPES.contains(&permission.value.as_str()) {
            errors.add(
                "permissions",
                format!("{:?} is an OpenID Connect scope, not an API's permission", permission.value),
            );
        }
        if permission.description.chars().count() > MAX_DESCRIPTION
            || permission.description.chars().any(char::is_control)
        {
            errors.add(
                "permissions",
                format!(
                    "the description of {:?} must be at most {MAX_DESCRIPTION} characters, without control characters",
                    permission.value
                ),
            );
        }
    }
    if let Some(lifetime) = config.access_token_lifetime_s {
        if !(60..=86_400).contains(&lifetime) {
            errors.add("access_token_lifetime_s", "must be 60 to 86400 seconds");
        }
    }
    if let Some(alg) = &config.signing_alg {
        if !crate::model::SIGNING_ALGS.contains(&alg.as_str()) {
            errors.add("signing_alg", "must be ES256, EdDSA or RS256");
        }
    }
}

/// The permissions with each value once (the first description listed wins).
fn deduplicated(permissions: Vec<Permission>) -> Vec<Permission> {
    let mut unique: Vec<Permission> = Vec::with_capacity(permissions.len());
    for permission in permissions {
        if !unique.iter().any(|kept| kept.value == permission.value) {
            unique.push(permission);
        }
    }
    unique
}

fn check_description(errors: &mut FieldErrors, description: &str) {
    if description.chars().count() > MAX_DESCRIPTION || description.chars().any(|c| c.is_control() && c != '\n') {
        errors.add("description", format!("must be at most {MAX_DESCRIPTION} characters, without control characters"));
    }
}

impl Management {
    pub async fn create_api(&self, tenant_id: &str, input: NewApi) -> Result<Api> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        check_identifier(&mut errors, &input.identifier);
        let config = ApiConfig {
            // Without a name, the identifier shown as far as a name may go.
            name: input.name.unwrap_or_else(|| input.identifier.chars().take(100).collect()),
            permissions: deduplicated(input.permissions.unwrap_or_default()),
            access_token_lifetime_s: input.access_token_lifetime_s,
            signing_alg: input.signing_alg,
            rbac: input.rbac.unwrap_or(false),
            permissions_claim: input.permissions_claim.unwrap_or(true),
            roles_claim: input.roles_claim.unwrap_or(false),
            user_access: input.user_access.unwrap_or_default(),
        };
        check_config(&mut errors, &config);
        errors.into_result()?;
        let api = Api {
            id: ids::new_id("api"),
            tenant_id: tenant_id.to_owned(),
            identifier: input.identifier,
            config,
            meta: Meta::new(ids::now_ms()),
        };
        match self.apis.insert_api(&api).await {
            Err(StoreError::Conflict) => return Err(Error::conflict("API", "identifier", &api.identifier)),
            other => other?,
        }
        self.record_change(tenant_id, "admin.api.created", api.facts()).await;
        Ok(api)
    }

    pub async fn api(&self, tenant_id: &str, id: &str) -> Result<Api> {
        match self.apis.get_api(tenant_id, id).await? {
            Some(api) => Ok(api),
            None => Err(self.missing_in_tenant(tenant_id, "API").await),
        }
    }

    pub async fn list_apis(&self, tenant_id: &str, page: PageRequest) -> Result<Page<Api>> {
        self.tenant(tenant_id).await?;
        let rows = self.apis.list_apis(tenant_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |api| &api.id))
    }

    pub async fn update_api(
        &self,
        tenant_id: &str,
        id: &str,
        patch: ApiPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Api> {
        let apply = |api: &mut Api| {
            let config = &mut api.config;
            if let Some(name) = &patch.name {
                config.name = name.clone();
            }
            if let Some(permissions) = &patch.permissions {
                config.permissions = deduplicated(permissions.clone());
            }
            if let Some(lifetime) = patch.access_token_lifetime_s {
                config.access_token_lifetime_s = lifetime;
            }
            if let Some(alg) = &patch.signing_alg {
                config.signing_alg = alg.clone();
            }
            if let Some(rbac) = patch.rbac {
                config.rbac = rbac;
            }
            if let Some(claim) = patch.permissions_claim {
                config.permissions_claim = claim;
            }
            if let Some(claim) = patch.roles_claim {
                config.roles_claim = claim;
            }
            if let Some(access) = patch.user_access {
                config.user_access = access;
            }
        };
        let mut preview = self.api(tenant_id, id).await?;
        apply(&mut preview);
        let mut errors = FieldErrors::new();
        check_config(&mut errors, &preview.config);
        errors.into_result()?;
        let updated = versioned::update(
            "API",
            if_match,
            || async { Ok(self.apis.get_api(tenant_id, id).await?) },
            |api: &mut Api| {
                apply(api);
                Ok(())
            },
            |api, version| async move { Ok(self.apis.update_api(&api, version).await?.then_some(api)) },
        )
        .await?;
        if patch.permissions.is_some() {
            self.drop_undefined_permissions(&updated).await?;
        }
        self.record_change(tenant_id, "admin.api.updated", updated.facts()).await;
        Ok(updated)
    }

    /// Takes the permissions `api` no longer defines out of roles and client grants.
    async fn drop_undefined_permissions(&self, api: &Api) -> Result<()> {
        for role in self.all_roles(&api.tenant_id).await? {
            if role.permissions.iter().any(|held| held.api_id == api.id && !api.defines(&held.value)) {
                self.change_role(&role, |role| {
                    role.permissions.retain(|held| held.api_id != api.id || api.defines(&held.value))
                })
                .await?;
            }
        }
        let grants = self
            .apis
            .list_client_grants(&api.tenant_id, Some(&api.id), None, &PageRequest { limit: 1000, after: None })
            .await?;
        for grant in grants.into_iter().filter(|grant| grant.scopes.iter().any(|scope| !api.defines(scope))) {
            versioned::update(
                "client grant",
                None,
                || async { Ok(self.apis.get_client_grant(&api.tenant_id, &grant.id).await?) },
                |grant: &mut ClientGrant| {
                    grant.scopes.retain(|scope| api.defines(scope));
                    Ok(())
                },
                |grant, version| async move { Ok(self.apis.update_client_grant(&grant, version).await?.then_some(grant)) },
            )
            .await?;
        }
        Ok(())
    }

    /// Deletes the API with its client grants, and its permissions from every role.
    pub async fn delete_api(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "API",
            if_match,
            || async { Ok(self.apis.get_api(tenant_id, id).await?) },
            |version| async move { Ok(self.apis.delete_api(tenant_id, id, version).await?) },
        )
        .await?;
        for role in self.all_roles(tenant_id).await? {
            if role.permissions.iter().any(|held| held.api_id == id) {
                self.change_role(&role, |role| role.permissions.retain(|held| held.api_id != id)).await?;
            }
        }
        self.record_change(tenant_id, "admin.api.deleted", json!({ "api_id": id })).await;
        Ok(())
    }

    pub async fn create_client_grant(&self, tenant_id: &str, input: NewClientGrant) -> Result<ClientGrant> {
        self.tenant(tenant_id).await?;
        let subject_type = input.subject_type.unwrap_or(SubjectType::Client);
        let mut errors = FieldErrors::new();
        let application = self.store.get_application(tenant_id, &input.client_id).await?;
        let application = application
            .ok_or_else(|| Error::not_found("application").with_detail("client_id", input.client_id.clone()))?;
        let api = self.apis.get_api(tenant_id, &input.api_id).await?;
        let api = api.ok_or_else(|| Error::not_found("API").with_detail("api_id", input.api_id.clone()))?;
        if subject_type == SubjectType::Client && application.client_type == ClientType::Public {
            errors.add("client_id", "is a public application, which cannot authenticate to act for itself");
        }
        check_granted_scopes(&mut errors, &api, &input.scopes);
        errors.into_result()?;
        let grant = ClientGrant {
            id: ids::new_id("cgr"),
            tenant_id: tenant_id.to_owned(),
            client_id: input.client_id,
            api_id: input.api_id,
            subject_type,
            scopes: input.scopes,
            meta: Meta::new(ids::now_ms()),
        };
        match self.apis.insert_client_grant(&grant).await {
            Err(StoreError::Conflict) => {
                return Err(Error::conflict("client grant", "client_id", &grant.client_id)
                    .with_detail("reason", "the application has a grant of this subject type for the API"))
            }
            other => other?,
        }
        self.record_change(tenant_id, "admin.client_grant.created", grant.facts()).await;
        Ok(grant)
    }

    pub async fn client_grant(&self, tenant_id: &str, id: &str) -> Result<ClientGrant> {
        match self.apis.get_client_grant(tenant_id, id).await? {
            Some(grant) => Ok(grant),
            None => Err(self.missing_in_tenant(tenant_id, "client grant").await),
        }
    }

    pub async fn list_client_grants(
        &self,
        tenant_id: &str,
        api_id: Option<&str>,
        client_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<ClientGrant>> {
        self.tenant(tenant_id).await?;
        let rows = self.apis.list_client_grants(tenant_id, api_id, client_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |grant| &grant.id))
    }

    /// Replaces the grant's permissions.
    pub async fn update_client_grant(
        &self,
        tenant_id: &str,
        id: &str,
        scopes: Vec<String>,
        if_match: Option<&IfMatch>,
    ) -> Result<ClientGrant> {
        let current = self.client_grant(tenant_id, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(api) = self.apis.get_api(tenant_id, &current.api_id).await? {
            check_granted_scopes(&mut errors, &api, &scopes);
        }
        errors.into_result()?;
        let updated = versioned::update(
            "client grant",
            if_match,
            || async { Ok(self.apis.get_client_grant(tenant_id, id).await?) },
            |grant: &mut ClientGrant| {
                grant.scopes = scopes.clone();
                Ok(())
            },
            |grant, version| async move { Ok(self.apis.update_client_grant(&grant, version).await?.then_some(grant)) },
        )
        .await?;
        self.record_change(tenant_id, "admin.client_grant.updated", updated.facts()).await;
        Ok(updated)
    }

    pub async fn delete_client_grant(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "client grant",
            if_match,
            || async { Ok(self.apis.get_client_grant(tenant_id, id).await?) },
            |version| async move { Ok(self.apis.delete_client_grant(tenant_id, id, version).await?) },
        )
        .await?;
        self.record_change(tenant_id, "admin.client_grant.deleted", json!({ "client_grant_id": id })).await;
        Ok(())
    }

    /// Each permission must be one an API of the tenant defines.
    async fn check_role_permissions(
        &self,
        errors: &mut FieldErrors,
        tenant_id: &str,
        permissions: &[RolePermission],
    ) -> Result<()> {
        if permissions.len() > MAX_ROLE_PERMISSIONS {
            errors.add("permissions", format!("must be at most {MAX_ROLE_PERMISSIONS} permissions"));
            return Ok(());
        }
        let mut apis: Vec<Api> = Vec::new();
        for held in permissions {
            if !apis.iter().any(|api| api.id == held.api_id) {
                match self.apis.get_api(tenant_id, &held.api_id).await? {
                    Some(api) => apis.push(api),
                    None => return Err(Error::not_found("API").with_detail("api_id", held.api_id.clone())),
                }
            }
            if !apis.iter().any(|api| api.id == held.api_id && api.defines(&held.value)) {
                errors.add("permissions", format!("{:?} is not a permission of API {:?}", held.value, held.api_id));
            }
        }
        Ok(())
    }

    pub async fn create_role(&self, tenant_id: &str, input: NewRole) -> Result<Role> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        check_name(&mut errors, "name", &input.name, 100);
        let description = input.description.unwrap_or_default();
        check_description(&mut errors, &description);
        let permissions = unique_role_permissions(input.permissions.unwrap_or_default());
        self.check_role_permissions(&mut errors, tenant_id, &permissions).await?;
        errors.into_result()?;
        let role = Role {
            id: ids::new_id("rol"),
            tenant_id: tenant_id.to_owned(),
            name: input.name,
            description,
            permissions,
            meta: Meta::new(ids::now_ms()),
        };
        match self.apis.insert_role(&role).await {
            Err(StoreError::Conflict) => return Err(Error::conflict("role", "name", &role.name)),
            other => other?,
        }
        self.record_change(tenant_id, "admin.role.created", role.facts()).await;
        Ok(role)
    }

    pub async fn role(&self, tenant_id: &str, id: &str) -> Result<Role> {
        match self.apis.get_role(tenant_id, id).await? {
            Some(role) => Ok(role),
            None => Err(self.missing_in_tenant(tenant_id, "role").await),
        }
    }

    pub async fn list_roles(&self, tenant_id: &str, page: PageRequest) -> Result<Page<Role>> {
        self.tenant(tenant_id).await?;
        let rows = self.apis.list_roles(tenant_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |role| &role.id))
    }

    async fn all_roles(&self, tenant_id: &str) -> Result<Vec<Role>> {
        let mut roles = Vec::new();
        let mut page = PageRequest { limit: 500, after: None };
        loop {
            let rows = self.apis.list_roles(tenant_id, &page).await?;
            let full = rows.len() == page.limit as usize;
            page.after = rows.last().map(|role| role.id.clone());
            roles.extend(rows);
            if !full {
                return Ok(roles);
            }
        }
    }

    /// Applies `change` to the stored role, retrying a lost race.
    async fn change_role(&self, role: &Role, change: impl Fn(&mut Role)) -> Result<Role> {
        versioned::update(
            "role",
            None,
            || async { Ok(self.apis.get_role(&role.tenant_id, &role.id).await?) },
            |role: &mut Role| {
                change(role);
                Ok(())
            },
            |role, version| async move { Ok(self.apis.update_role(&role, version).await?.then_some(role)) },
        )
        .await
    }

    pub async fn update_role(
        &self,
        tenant_id: &str,
        id: &str,
        patch: RolePatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Role> {
        self.role(tenant_id, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = &patch.name {
            check_name(&mut errors, "name", name, 100);
        }
        if let Some(description) = &patch.description {
            check_description(&mut errors, description);
        }
        if let Some(permissions) = &patch.permissions {
            self.check_role_permissions(&mut errors, tenant_id, permissions).await?;
        }
        errors.into_result()?;
        let updated = versioned::update(
            "role",
            if_match,
            || async { Ok(self.apis.get_role(tenant_id, id).await?) },
            |role: &mut Role| {
                if let Some(name) = &patch.name {
                    role.name = name.clone();
                }
                if let Some(description) = &patch.description {
                    role.description = description.clone();
                }
                if let Some(permissions) = &patch.permissions {
                    role.permissions = unique_role_permissions(permissions.clone());
                }
                Ok(())
            },
            |role, version| async move {
                match self.apis.update_role(&role, version).await {
                    Err(StoreError::Conflict) => Err(Error::conflict("role", "name", &role.name)),
                    other => Ok(other?.then_some(role)),
                }
            },
        )
        .await?;
        self.record_change(tenant_id, "admin.role.updated", updated.facts()).await;
        Ok(updated)
    }

    /// Deletes the role; the users it was assigned to lose its permissions at their next token.
    pub async fn delete_role(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "role",
            if_match,
            || async { Ok(self.apis.get_role(tenant_id, id).await?) },
            |version| async move { Ok(self.apis.delete_role(tenant_id, id, version).await?) },
        )
        .await?;
        self.record_change(tenant_id, "admin.role.deleted", json!({ "role_id": id })).await;
        Ok(())
    }

    /// The ids of the users the role is assigned to.
    pub async fn role_users(&self, tenant_id: &str, role_id: &str, page: PageRequest) -> Result<Page<String>> {
        self.role(tenant_id, role_id).await?;
        let rows = self.apis.role_users(tenant_id, role_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |user_id| user_id))
    }

    pub async fn user_roles(&self, tenant_id: &str, user_id: &str) -> Result<Vec<Role>> {
        self.user(tenant_id, user_id).await?;
        Ok(self.apis.user_roles(tenant_id, user_id).await?)
    }

    /// Assigns roles of the tenant to the user; each must exist (`not_found` naming the
    /// first that does not, and nothing assigned).
    pub async fn assign_roles(&self, tenant_id: &str, user_id: &str, role_ids: Vec<String>) -> Result<Vec<Role>> {
        self.user(tenant_id, user_id).await?;
        let mut errors = FieldErrors::new();
        if role_ids.is_empty() || role_ids.len() > MAX_ASSIGNED {
            errors.add("roles", format!("must list 1 to {MAX_ASSIGNED} role ids"));
        }
        errors.into_result()?;
        for role_id in &role_ids {
            if self.apis.get_role(tenant_id, role_id).await?.is_none() {
                return Err(Error::not_found("role").with_detail("role_id", role_id.clone()));
            }
        }
        self.apis.assign_roles(tenant_id, user_id, &role_ids, ids::now_ms()).await?;
        self.record_change(tenant_id, "admin.user.roles_assigned", json!({ "user_id": user_id, "role_ids": role_ids }))
            .await;
        Ok(self.apis.user_roles(tenant_id, user_id).await?)
    }

    pub async fn unassign_role(&self, tenant_id: &str, user_id: &str, role_id: &str) -> Result<()> {
        self.user(tenant_id, user_id).await?;
        if !self.apis.unassign_role(tenant_id, user_id, role_id).await? {
            return Err(Error::not_found("role assignment"));
        }
        self.record_change(tenant_id, "admin.user.role_removed", json!({ "user_id": user_id, "role_id": role_id }))
            .await;
        Ok(())
    }

    /// Every permission the user's roles give, per API, with the roles that give it.
    pub async fn user_permissions(&self, tenant_id: &str, user_id: &str) -> Result<Vec<HeldPermission>> {
        let roles = self.user_roles(tenant_id, user_id).await?;
        let mut held: Vec<HeldPermission> = Vec::new();
        let mut apis: Vec<Api> = Vec::new();
        for role in &roles {
            for permission in &role.permissions {
                if !apis.iter().any(|api| api.id == permission.api_id) {
                    match self.apis.get_api(tenant_id, &permission.api_id).await? {
                        Some(api) => apis.push(api),
                        None => continue,
                    }
                }
                let Some(api) = apis.iter().find(|api| api.id == permission.api_id && api.defines(&permission.value))
                else {
                    continue;
                };
                match held.iter_mut().find(|h| h.api_id == api.id && h.value == permission.value) {
                    Some(entry) => entry.roles.push(role.name.clone()),
                    None => held.push(HeldPermission {
                        api_id: api.id.clone(),
                        api_identifier: api.identifier.clone(),
                        value: permission.value.clone(),
                        roles: vec![role.name.clone()],
                    }),
                }
            }
        }
        Ok(held)
    }
}

/// A client grant's permissions: each one its API defines.
fn check_granted_scopes(errors: &mut FieldErrors, api: &Api, scopes: &[String]) {
    if scopes.len() > MAX_PERMISSIONS {
        errors.add("scopes", format!("must be at most {MAX_PERMISSIONS} permissions"));
    }
    for scope in scopes {
        if !api.defines(scope) {
            errors.add("scopes", format!("{scope:?} is not a permission of this API"));
        }
    }
}

/// A role's permissions with each (API, value) once.
fn unique_role_permissions(permissions: Vec<RolePermission>) -> Vec<RolePermission> {
    let mut unique: Vec<RolePermission> = Vec::with_capacity(permissions.len());
    for permission in permissions {
        if !unique.contains(&permission) {
            unique.push(permission);
        }
    }
    unique
}
