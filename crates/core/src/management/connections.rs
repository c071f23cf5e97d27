//! Connection use cases: a tenant's upstream identity providers (client secrets sealed with
//! the instance key, every URL through the egress address policy), and the identities
//! users have linked through them.

use std::collections::BTreeMap;

use serde_json::json;

use super::{versioned, Management};
use crate::federation::{mapping, Connection, ConnectionConfig, Identity, Preset, Strategy};
use crate::model::{IfMatch, Meta};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::validate::{check_name, check_scope, check_slug, FieldErrors};
use crate::{ids, Error, Result};

/// A connection as an admin describes it.
#[derive(Debug, Clone, Default)]
pub struct NewConnection {
    pub name: String,
    pub display_name: Option<String>,
    pub strategy: Option<Strategy>,
    pub preset: Option<Preset>,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub mapping: Option<BTreeMap<String, String>>,
    pub team_id: Option<String>,
    pub key_id: Option<String>,
    pub enabled: Option<bool>,
}

/// A change to a connection; `Some(None)` clears an optional setting.
#[derive(Debug, Clone, Default)]
pub struct ConnectionPatch {
    pub display_name: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Option<String>>,
    pub issuer: Option<Option<String>>,
    pub authorization_endpoint: Option<Option<String>>,
    pub token_endpoint: Option<Option<String>>,
    pub userinfo_endpoint: Option<Option<String>>,
    pub jwks_uri: Option<Option<String>>,
    pub scopes: Option<Vec<String>>,
    pub mapping: Option<BTreeMap<String, String>>,
    pub team_id: Option<Option<String>>,
    pub key_id: Option<Option<String>>,
    pub enabled: Option<bool>,
}

/// The sealing context of a connection's secret: the secret opens only as its own.
fn secret_context(connection_id: &str) -> String {
    format!("connection-secret:{connection_id}")
}

impl Management {
    fn seal_client_secret(&self, connection_id: &str, secret: Option<&str>) -> Option<String> {
        secret.map(|secret| self.webhooks.key.seal(secret.as_bytes(), &secret_context(connection_id)))
    }

    /// The connection's client secret, opened.
    pub fn connection_secret(&self, connection: &Connection) -> Result<Option<String>> {
        open_client_secret(&self.webhooks.key, connection)
    }

    /// The whole connection's checks: what its strategy needs, URLs the instance may reach.
    async fn check_connection(&self, errors: &mut FieldErrors, config: &ConnectionConfig, has_secret: bool) {
        check_name(errors, "display_name", &config.display_name, 100);
        if config.client_id.is_empty() || config.client_id.chars().count() > 512 {
            errors.add("client_id", "must be 1 to 512 characters");
        }
        let preset = config.preset;
        let endpoints = [
            ("issuer", &config.issuer),
            ("authorization_endpoint", &config.authorization_endpoint),
            ("token_endpoint", &config.token_endpoint),
            ("userinfo_endpoint", &config.userinfo_endpoint),
            ("jwks_uri", &config.jwks_uri),
        ];
        for (field, url) in endpoints {
            if let Some(url) = url {
                if let Err(reason) = self.webhooks.policy.check_url(url).await {
                    errors.add(field, reason);
                }
            }
        }
        match config.strategy {
            Strategy::Oidc if config.issuer.is_none() && preset.and_then(Preset::issuer).is_none() => {
                errors.add(
                    "issuer",
                    "is required for an OpenID Connect connection (its discovery document gives the rest)",
                );
            }
            Strategy::Oauth2 if preset.and_then(Preset::oauth2_endpoints).is_none() => {
                for (field, url) in &endpoints[1..4] {
                    if url.is_none() {
                        errors.add(field, "is required for an OAuth 2.0 connection");
                    }
                }
            }
            _ => {}
        }
        if preset.is_some_and(|preset| preset.strategy() != config.strategy) {
            errors.add("strategy", "must be the preset's");
        }
        if config.scopes.len() > 30 {
            errors.add("scopes", "must be at most 30 scopes");
        }
        for scope in &config.scopes {
            check_scope(errors, "scopes", scope);
        }
        mapping::check(errors, &config.mapping);
        // Google, Microsoft, GitHub, GitLab and Apple never issue public clients to servers.
        if preset.is_some() && !has_secret {
            errors.add("client_secret", "is required for this preset");
        }
    }

    pub async fn create_connection(&self, tenant_id: &str, input: NewConnection) -> Result<Connection> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        check_slug(&mut errors, "name", &input.name);
        let strategy = input.strategy.or(input.preset.map(Preset::strategy)).unwrap_or_default();
        let display_name = input
            .display_name
            .or(input.preset.map(|preset| preset.display_name().to_owned()))
            .unwrap_or_else(|| input.name.clone());
        let config = ConnectionConfig {
            display_name,
            strategy,
            preset: input.preset,
            client_id: input.client_id,
            issuer: input.issuer,
            authorization_endpoint: input.authorization_endpoint,
            token_endpoint: input.token_endpoint,
            userinfo_endpoint: input.userinfo_endpoint,
            jwks_uri: input.jwks_uri,
            scopes: input.scopes.unwrap_or_default(),
            mapping: input.mapping.unwrap_or_default(),
            team_id: input.team_id,
            key_id: input.key_id,
        };
        check_secret(&mut errors, input.client_secret.as_deref());
        check_signing_key(&mut errors, &config, input.client_secret.as_deref());
        self.check_connection(&mut errors, &config, input.client_secret.is_some()).await;
        errors.into_result()?;
        let id = ids::new_id("con");
        let connection = Connection {
            client_secret_sealed: self.seal_client_secret(&id, input.client_secret.as_deref()),
            id,
            tenant_id: tenant_id.to_owned(),
            name: input.name,
            enabled: input.enabled.unwrap_or(true),
            config,
            meta: Meta::new(ids::now_ms()),
        };
        match self.connections.insert_connection(&connection).await {
            Err(StoreError::Conflict) => return Err(Error::conflict("connection", "name", &connection.name)),
            other => other?,
        }
        self.record_change(tenant_id, "admin.connection.created", connection.facts()).await;
        Ok(connection)
    }

    pub async fn connection(&self, tenant_id: &str, id: &str) -> Result<Connection> {
        match self.connections.get_connection(tenant_id, id).await? {
            Some(connection) => Ok(connection),
            None => Err(self.missing_in_tenant(tenant_id, "connection").await),
        }
    }

    pub async fn list_connections(&self, tenant_id: &str, page: PageRequest) -> Result<Page<Connection>> {
        self.tenant(tenant_id).await?;
        let rows = self.connections.list_connections(tenant_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |connection| &connection.id))
    }

    pub async fn update_connection(
        &self,
        tenant_id: &str,
        id: &str,
        patch: ConnectionPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Connection> {
        let current = self.connection(tenant_id, id).await?;
        let mut errors = FieldErrors::new();
        check_secret(&mut errors, patch.client_secret.clone().flatten().as_deref());
        let mut preview = current.clone();
        // Sealed once: the preview and the write store the same sealed secret.
        let sealed = patch.client_secret.as_ref().map(|secret| self.seal_client_secret(id, secret.as_deref()));
        apply_patch(&mut preview, &patch, &sealed);
        let secret = match &patch.client_secret {
            Some(secret) => secret.clone(),
            None => self.connection_secret(&current)?,
        };
        check_signing_key(&mut errors, &preview.config, secret.as_deref());
        self.check_connection(&mut errors, &preview.config, preview.client_secret_sealed.is_some()).await;
        errors.into_result()?;
        let updated = versioned::update(
            "connection",
            if_match,
            || async { Ok(self.connections.get_connection(tenant_id, id).await?) },
            |connection: &mut Connection| {
                apply_patch(connection, &patch, &sealed);
                Ok(())
            },
            |connection, version| async move {
                Ok(self.connections.update_connection(&connection, version).await?.then_some(connection))
            },
        )
        .await?;
        self.record_change(tenant_id, "admin.connection.updated", updated.facts()).await;
        Ok(updated)
    }

    /// Deletes the connection; the identities linked through it go with it.
    pub async fn delete_connection(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "connection",
            if_match,
            || async { Ok(self.connections.get_connection(tenant_id, id).await?) },
            |version| async move { Ok(self.connections.delete_connection(tenant_id, id, version).await?) },
        )
        .await?;
        self.record_change(tenant_id, "admin.connection.deleted", json!({ "connection_id": id })).await;
        Ok(())
    }

    /// The user's linked upstream accounts.
    pub async fn user_identities(&self, tenant_id: &str, user_id: &str) -> Result<Vec<(Identity, String)>> {
        self.user(tenant_id, user_id).await?;
        self.identities_with_names(tenant_id, user_id).await
    }

    /// Each identity of the user with its connection's name.
    pub async fn identities_with_names(&self, tenant_id: &str, user_id: &str) -> Result<Vec<(Identity, String)>> {
        let linked = crate::federation::linked_identities(self.connections.as_ref(), tenant_id, user_id).await?;
        Ok(linked.into_iter().map(|(identity, connection)| (identity, connection.name)).collect())
    }

    /// Unlinks an upstream account from the user, unless it is their only way to sign in
    /// (no password and no other identity: passkeys need a first sign-in to be enrolled
    /// from, and a mailed reset link gives a password back, so the admin's choice stands
    /// only when `force` says so).
    pub async fn remove_identity(&self, tenant_id: &str, user_id: &str, id: &str, force: bool) -> Result<()> {
        let user = self.user(tenant_id, user_id).await?;
        let identities = self.connections.identities_of(tenant_id, user_id).await?;
        let Some(identity) = identities.iter().find(|identity| identity.id == id) else {
            return Err(Error::not_found("identity"));
        };
        if !force && user.password_hash.is_none() && identities.len() == 1 {
            return Err(Error::new(intelliauth_catalogue::Code::LastSignInMethod).with_detail("identity_id", id));
        }
        if !self.connections.delete_identity(tenant_id, user_id, id).await? {
            return Err(Error::not_found("identity"));
        }
        let details = json!({ "identity_id": id, "connection_id": identity.connection_id });
        let entry = crate::log::LogEntry::new(tenant_id, "user.identity_unlinked", "ok", details)
            .with_user(Some(user_id.to_owned()));
        self.record_decision(&entry).await;
        Ok(())
    }
}

/// The connection's client secret, opened with `key`.
pub fn open_client_secret(key: &crate::sealed::InstanceKey, connection: &Connection) -> Result<Option<String>> {
    let Some(sealed) = &connection.client_secret_sealed else { return Ok(None) };
    let opened = key.open(sealed, &secret_context(&connection.id)).map_err(Error::internal)?;
    String::from_utf8(opened).map(Some).map_err(|_| Error::internal("a connection secret is not UTF-8"))
}

fn check_secret(errors: &mut FieldErrors, secret: Option<&str>) {
    if secret.is_some_and(|secret| secret.is_empty() || secret.chars().count() > 4096) {
        errors.add("client_secret", "must be 1 to 4096 characters");
    }
}

/// A client secret that is a private key (Apple's `.p8` file) signs with the team and key
/// the connection names; those are short identifiers.
fn check_signing_key(errors: &mut FieldErrors, config: &ConnectionConfig, secret: Option<&str>) {
    let identifier = |value: &str| (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric());
    for (field, value) in [("team_id", &config.team_id), ("key_id", &config.key_id)] {
        match value {
            Some(value) if !identifier(value) => errors.add(field, "must be 1 to 64 letters or digits"),
            None if secret.is_some_and(crate::federation::presets::is_pem_private_key) => {
                errors.add(field, "is required when the client secret is a private key (Apple's .p8 file)")
            }
            _ => {}
        }
    }
}

/// Applies `patch`; `sealed` is its client secret already sealed (`Some(None)` removes it).
fn apply_patch(connection: &mut Connection, patch: &ConnectionPatch, sealed: &Option<Option<String>>) {
    let config = &mut connection.config;
    if let Some(name) = &patch.display_name {
        config.display_name = name.clone();
    }
    if let Some(client_id) = &patch.client_id {
        config.client_id = client_id.clone();
    }
    for (target, value) in [
        (&mut config.issuer, &patch.issuer),
        (&mut config.authorization_endpoint, &patch.authorization_endpoint),
        (&mut config.token_endpoint, &patch.token_endpoint),
        (&mut config.userinfo_endpoint, &patch.userinfo_endpoint),
        (&mut config.jwks_uri, &patch.jwks_uri),
    ] {
        if let Some(value) = value {
            *target = value.clone();
        }
    }
    if let Some(scopes) = &patch.scopes {
        config.scopes = scopes.clone();
    }
    if let Some(mapping) = &patch.mapping {
        config.mapping = mapping.clone();
    }
    if let Some(team_id) = &patch.team_id {
        config.team_id = team_id.clone();
    }
    if let Some(key_id) = &patch.key_id {
        config.key_id = key_id.clone();
    }
    if let Some(enabled) = patch.enabled {
        connection.enabled = enabled;
    }
    if let Some(sealed) = sealed {
        connection.client_secret_sealed = sealed.clone();
    }
}
