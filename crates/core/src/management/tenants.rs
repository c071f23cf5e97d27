//! Tenant use cases: create, read, list, update, delete.

use serde_json::json;

use super::{versioned, Management};
use crate::merge_patch::MergePatch;
use crate::model::{IfMatch, Meta, Tenant, TenantSettings};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::validate::{check_name, check_slug, FieldErrors};
use crate::{ids, Error, Result};

/// The tenant created on first start.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub id: String,
    pub display_name: String,
    pub settings: TenantSettings,
}

impl NewTenant {
    pub fn check(&self, errors: &mut FieldErrors) {
        check_slug(errors, "id", &self.id);
        check_name(errors, "display_name", &self.display_name, 100);
        self.settings.validate(errors);
    }
}

#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub display_name: Option<String>,
    /// An RFC 7396 merge patch over the current settings.
    pub settings: Option<MergePatch>,
}

impl TenantPatch {
    pub fn check(&self, errors: &mut FieldErrors) {
        if let Some(name) = &self.display_name {
            check_name(errors, "display_name", name, 100);
        }
        // Settings are checked once merged over the current ones (`update_tenant`).
    }
}

impl Management {
    pub async fn create_tenant(&self, input: NewTenant) -> Result<Tenant> {
        let mut errors = FieldErrors::new();
        input.check(&mut errors);
        errors.into_result()?;
        let tenant = Tenant {
            id: input.id,
            display_name: input.display_name.trim().to_owned(),
            settings: input.settings,
            meta: Meta::new(ids::now_ms()),
        };
        match self.store.insert_tenant(&tenant).await {
            Err(StoreError::Conflict) => Err(Error::conflict("tenant", "id", &tenant.id)),
            Err(error) => Err(error.into()),
            Ok(()) => {
                let details = json!({ "id": tenant.id, "display_name": tenant.display_name });
                self.record_change(&tenant.id, "admin.tenant.created", details).await;
                Ok(tenant)
            }
        }
    }

    pub async fn tenant(&self, id: &str) -> Result<Tenant> {
        self.store.get_tenant(id).await?.ok_or_else(|| Error::not_found("tenant"))
    }

    /// The error for a resource not found in `tenant_id`: says whether the tenant or the
    /// resource is missing. Only called on the miss path, so hits cost one query.
    pub(crate) async fn missing_in_tenant(&self, tenant_id: &str, what: &str) -> Error {
        match self.tenant(tenant_id).await {
            Ok(_) => Error::not_found(what),
            Err(error) => error,
        }
    }

    pub async fn list_tenants(&self, page: PageRequest) -> Result<Page<Tenant>> {
        let rows = self.store.list_tenants(&page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |tenant| &tenant.id))
    }

    pub async fn update_tenant(&self, id: &str, patch: TenantPatch, if_match: Option<&IfMatch>) -> Result<Tenant> {
        let mut errors = FieldErrors::new();
        patch.check(&mut errors);
        // A password verifier is reached like a webhook receiver: the same guard, checked
        // now (its name's addresses) and again on every call (the address connected to).
        let verifier =
            patch.settings.as_ref().and_then(|settings| settings.0.pointer("/migration/password_verifier_url"));
        if let Some(url) = verifier.and_then(serde_json::Value::as_str) {
            if let Err(reason) = self.webhooks.policy.check_url(url).await {
                errors.add("settings.migration.password_verifier_url", reason);
            }
        }
        errors.into_result()?;
        let before = std::sync::Mutex::new(None);
        let updated = versioned::update(
            "tenant",
            if_match,
            || async { Ok(self.store.get_tenant(id).await?) },
            |tenant: &mut Tenant| {
                *before.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(tenant.clone());
                if let Some(name) = &patch.display_name {
                    tenant.display_name = name.trim().to_owned();
                }
                if let Some(settings) = &patch.settings {
                    tenant.settings = settings.apply_checked(&tenant.settings, "settings", TenantSettings::validate)?;
                }
                Ok(())
            },
            |tenant, version| async move { Ok(self.store.update_tenant(&tenant, version).await?.then_some(tenant)) },
        )
        .await?;
        if let Some(before) = before.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            let as_json = |tenant: &Tenant| serde_json::to_value(&tenant.settings).unwrap_or_default();
            let mut details =
                json!({ "settings": super::log::changed_sections(&as_json(&before), &as_json(&updated)) });
            if before.display_name != updated.display_name {
                details["display_name"] = json!({ "before": before.display_name, "after": updated.display_name });
            }
            self.record_change(id, "admin.tenant.updated", details).await;
        }
        Ok(updated)
    }

    pub async fn delete_tenant(&self, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "tenant",
            if_match,
            || async { Ok(self.store.get_tenant(id).await?) },
            |version| async move { Ok(self.store.delete_tenant(id, version).await?) },
        )
        .await
    }
}
