//! `Allowed<S, P>`: the guard of a tenant's `/v1` route — a caller holding scope `S` in the
//! tenant its path names, with the path and the state — so a handler's signature states what
//! it needs and its body starts after the check.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use intelliauth_core::model::Scope;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::extract::{path_params, Caller};
use crate::state::AppState;

/// A scope a route needs, as a type.
pub trait NeededScope: Send + Sync {
    const SCOPE: Scope;
}

macro_rules! scope_types {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("Scope::", stringify!($name), " as a type, for [`Allowed`].")]
        pub struct $name;
        impl NeededScope for $name {
            const SCOPE: Scope = Scope::$name;
        }
    )*};
}

// Every `Scope`, by the variant's name.
scope_types! {
    TenantsRead, TenantsWrite, UsersRead, UsersWrite, ApplicationsRead, ApplicationsWrite, CredentialsRead,
    CredentialsWrite, WebhooksRead, WebhooksWrite, ActionsRead, ActionsWrite, LogsRead
}

/// The parameters of a path under `/v1/tenants/{tenant_id}`, the tenant's id first.
pub trait TenantPath: DeserializeOwned + Send {
    fn tenant_id(&self) -> &str;
}

impl TenantPath for String {
    fn tenant_id(&self) -> &str {
        self
    }
}

/// `{tenant_id}/…/{id}`.
pub type Item = (String, String);

impl TenantPath for Item {
    fn tenant_id(&self) -> &str {
        &self.0
    }
}

impl TenantPath for (String, String, String) {
    fn tenant_id(&self) -> &str {
        &self.0
    }
}

/// A request its caller may make: authenticated (a management credential or a tenant admin's
/// token), holding `S` for the tenant in the path `P`. Extracted in that order, so an
/// unauthenticated caller learns nothing from the path.
pub struct Allowed<S, P = String> {
    pub state: AppState,
    pub caller: Caller,
    pub path: P,
    pub scope: PhantomData<S>,
}

impl<S, P: TenantPath> Allowed<S, P> {
    pub fn tenant_id(&self) -> &str {
        self.path.tenant_id()
    }
}

impl<S> Allowed<S, Item> {
    /// The resource's id, the path's last parameter.
    pub fn id(&self) -> &str {
        &self.path.1
    }
}

impl<S: NeededScope, P: TenantPath> FromRequestParts<AppState> for Allowed<S, P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let path: P = path_params(parts, state).await?;
        caller.require_in(S::SCOPE, path.tenant_id())?;
        Ok(Allowed { state: state.clone(), caller, path, scope: PhantomData })
    }
}
