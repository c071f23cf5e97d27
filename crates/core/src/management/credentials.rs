//! Management credentials: bearer tokens with scopes, the bootstrap credential, and
//! authentication of management requests.

use super::tenants::DEFAULT_TENANT;
use super::{Management, NewTenant};
use crate::model::{ManagementCredential, Meta, Scope, TenantSettings};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::validate::{check_name, FieldErrors};
use crate::{ids, secret, Error, Refusal, Result};

/// Every management token starts with this, so leaked tokens are recognisable by scanners.
pub const TOKEN_PREFIX: &str = "iam_";
const BOOTSTRAP_ID: &str = "cred_bootstrap";

#[derive(Debug, Clone, Default)]
pub struct NewCredential {
    pub name: String,
    pub tenant_id: Option<String>,
    pub scopes: Vec<String>,
}

/// What first start did, for the binary to report.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// A freshly generated token: print it once; it is not stored in clear anywhere.
    pub generated_token: Option<String>,
    pub created_default_tenant: bool,
}

impl Management {
    /// Authenticates a management request's bearer token.
    pub async fn authenticate(&self, bearer: Option<&str>) -> Result<ManagementCredential> {
        let Some(token) = bearer else {
            return Err(Error::unauthenticated(Refusal::NoCredential { why: "A management credential is required" }));
        };
        let unknown =
            || Error::unauthenticated(Refusal::BadCredential { why: "The management credential is not valid" });
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 256 {
            return Err(unknown());
        }
        let digest = secret::digest(token);
        let credential = self.store.credential_by_digest(&digest).await?.ok_or_else(unknown)?;
        // The lookup matched on the digest already; compare again in constant time so no
        // store-specific comparison is trusted with a secret-derived value.
        if !secret::digests_equal(&credential.token_digest, &digest) {
            return Err(unknown());
        }
        Ok(credential)
    }

    /// Creates a credential; the actor cannot grant more than it holds nor reach outside its tenant.
    pub async fn create_credential(
        &self,
        actor: &ManagementCredential,
        input: NewCredential,
    ) -> Result<(ManagementCredential, String)> {
        let mut errors = FieldErrors::new();
        check_name(&mut errors, "name", &input.name, 100);
        let mut scopes = Vec::new();
        for (index, scope) in input.scopes.iter().enumerate() {
            match Scope::parse(scope) {
                Some(scope) if input.tenant_id.is_some() && scope.is_instance_wide() => errors.add(
                    &format!("scopes[{index}]"),
                    format!("{} cannot be given to a tenant-bound credential", scope.as_str()),
                ),
                Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Some(_) => {}
                None => errors.add(&format!("scopes[{index}]"), format!("{scope:?} is not a management scope")),
            }
        }
        if input.scopes.is_empty() {
            errors.add("scopes", "must list at least one scope");
        }
        errors.into_result()?;
        let tenant_id = input.tenant_id.or_else(|| actor.tenant_id.clone());
        if let Some(tenant_id) = &tenant_id {
            if !actor.can_access_tenant(tenant_id) {
                return Err(Error::permission_denied("tenant access").with_detail("tenant", tenant_id.as_str()));
            }
            self.tenant(tenant_id).await?;
        }
        if let Some(missing) = scopes.iter().find(|scope| !actor.has_scope(**scope)) {
            return Err(
                Error::permission_denied(missing.as_str()).with_message("You can't grant a scope you don't hold.")
            );
        }
        scopes.sort();
        let token = secret::generate(TOKEN_PREFIX);
        let credential = ManagementCredential {
            id: ids::new_id("cred"),
            tenant_id,
            name: input.name.trim().to_owned(),
            scopes,
            token_digest: secret::digest(&token),
            meta: Meta::new(ids::now_ms()),
        };
        self.store.insert_credential(&credential).await?;
        // An instance-wide credential belongs to no tenant's log.
        if let Some(tenant_id) = &credential.tenant_id {
            let scopes: Vec<&str> = credential.scopes.iter().map(|scope| scope.as_str()).collect();
            let details =
                serde_json::json!({ "credential_id": credential.id, "name": credential.name, "scopes": scopes });
            self.record_change(tenant_id, "admin.credential.created", details).await;
        }
        Ok((credential, token))
    }

    pub async fn list_credentials(
        &self,
        actor: &ManagementCredential,
        page: PageRequest,
    ) -> Result<Page<ManagementCredential>> {
        let rows = self.store.list_credentials(actor.tenant_id.as_deref(), &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |credential| &credential.id))
    }

    pub async fn delete_credential(&self, actor: &ManagementCredential, id: &str) -> Result<()> {
        let Some(credential) = self.visible_credential(actor, id).await? else {
            return Err(Error::not_found("credential"));
        };
        if !self.store.delete_credential(id).await? {
            return Err(Error::not_found("credential"));
        }
        if let Some(tenant_id) = &credential.tenant_id {
            let details = serde_json::json!({ "credential_id": credential.id, "name": credential.name });
            self.record_change(tenant_id, "admin.credential.deleted", details).await;
        }
        Ok(())
    }

    async fn visible_credential(&self, actor: &ManagementCredential, id: &str) -> Result<Option<ManagementCredential>> {
        // Credentials are few; a tenant-bound actor may only see its tenant's.
        let page = self
            .store
            .list_credentials(actor.tenant_id.as_deref(), &PageRequest { limit: 10_000, after: None })
            .await?;
        Ok(page.into_iter().find(|credential| credential.id == id))
    }

    /// First start: the default tenant and an instance-wide credential holding every
    /// scope. `configured_token` (from `INTELLIAUTH_BOOTSTRAP_TOKEN`) replaces a random one
    /// and, on later starts, re-keys the bootstrap credential so automation stays in control.
    pub async fn bootstrap(&self, configured_token: Option<&str>) -> Result<Bootstrap> {
        let created_default_tenant = if self.store.get_tenant(DEFAULT_TENANT).await?.is_none() {
            let tenant = NewTenant {
                id: DEFAULT_TENANT.into(),
                display_name: "Default".into(),
                settings: TenantSettings::default(),
            };
            match self.create_tenant(tenant).await {
                Ok(_) => true,
                // Another node won the race to create it.
                Err(error) if error.code == intelliauth_catalogue::Code::Conflict => false,
                Err(error) => return Err(error),
            }
        } else {
            false
        };
        if let Some(token) = configured_token {
            if !token.starts_with(TOKEN_PREFIX) || token.len() < TOKEN_PREFIX.len() + 32 {
                return Err(Error::new(intelliauth_catalogue::Code::ValidationFailed).with_message(format!(
                    "INTELLIAUTH_BOOTSTRAP_TOKEN must start with {TOKEN_PREFIX} and carry at least 32 more characters"
                )));
            }
        }
        if self.store.count_credentials().await? > 0 {
            if let Some(token) = configured_token {
                self.store.set_credential_digest(BOOTSTRAP_ID, &secret::digest(token)).await?;
            }
            return Ok(Bootstrap { generated_token: None, created_default_tenant });
        }
        let generated_token = configured_token.is_none().then(|| secret::generate(TOKEN_PREFIX));
        let token = configured_token.map(str::to_owned).or(generated_token.clone()).unwrap_or_default();
        let credential = ManagementCredential {
            id: BOOTSTRAP_ID.into(),
            tenant_id: None,
            name: "bootstrap".into(),
            scopes: Scope::ALL.to_vec(),
            token_digest: secret::digest(&token),
            meta: Meta::new(ids::now_ms()),
        };
        match self.store.insert_credential(&credential).await {
            Ok(()) => Ok(Bootstrap { generated_token, created_default_tenant }),
            Err(StoreError::Conflict) => Ok(Bootstrap { generated_token: None, created_default_tenant }),
            Err(error) => Err(error.into()),
        }
    }
}
