//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use intelliauth_core::events::EventType;
use intelliauth_core::federation::Preset;
use intelliauth_core::model::{Grant, Scope};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

use super::{actions, views, webhooks};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A management credential (`iam_…`) with the scopes each operation lists."))
                    .build(),
            ),
        );
    }
}

/// What the generated document must say that the annotations leave out: a unique
/// `operationId` per operation (`{tag}_{handler}`; handlers of different resources share
/// names), the error answers every operation can give, and the bounds `limit` and `cursor`
/// are held to.
struct Conformance;

/// Error answers any management operation can give, with why.
const COMMON_ERRORS: [(&str, &str); 6] = [
    ("400", "validation_failed: a field, the query or the body is not acceptable (details.fields says which)"),
    ("401", "The credential is missing or not valid"),
    ("403", "permission_denied: the credential lacks a scope, or step-up is required"),
    ("404", "not_found: the tenant or resource does not exist"),
    ("429", "rate_limited: too many requests (Retry-After)"),
    ("503", "service_unavailable: the database is unavailable (Retry-After)"),
];

impl Conformance {
    fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
        [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
            .into_iter()
            .filter_map(Option::as_mut)
    }

    fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        ResponseBuilder::new().description(description).content("application/json", body).build().into()
    }
}

impl Modify for Conformance {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        for item in openapi.paths.paths.values_mut() {
            for operation in Self::operations(item) {
                let tag = operation.tags.as_ref().and_then(|tags| tags.first()).cloned().unwrap_or_default();
                if let Some(id) = &operation.operation_id {
                    if !tag.is_empty() && !id.starts_with(&format!("{tag}_")) {
                        operation.operation_id = Some(format!("{tag}_{id}").replace('-', "_"));
                    }
                }
                for (status, description) in COMMON_ERRORS {
                    let public = operation.security.is_none() && status == "401";
                    if !public {
                        operation
                            .responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| Self::error_response(description));
                    }
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    let schema = match parameter.name.as_str() {
                        "limit" => ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1))
                            .maximum(Some(intelliauth_core::page::MAX_LIMIT))
                            .description(Some("Items per page (default 50)")),
                        "cursor" => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(intelliauth_core::page::MAX_CURSOR))
                            .pattern(Some("^[A-Za-z0-9_-]+$"))
                            .description(Some("The next_cursor of the previous page, as returned")),
                        _ => continue,
                    };
                    parameter.schema = Some(schema.build().into());
                }
            }
        }
    }
}

/// The document's frame: what it says besides the operations, which come from the routes
/// themselves ([`super::documented_routes`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "IntelliAuth management API",
        description = "Tenants, users, applications, credentials, webhooks and Actions. Every error body is `{code, message, details, request_id}` with a code from `GET /v1/errors`."
    ),
    components(schemas(views::ErrorBody, webhooks::ReplayDeadLettersRequest, actions::ReorderRequest))
)]
pub struct ApiDoc;

/// The generated document: the frame, every documented route's operation, then the
/// modifiers, which need the operations in place.
pub fn generated() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(super::documented_routes().into_openapi());
    BearerAuth.modify(&mut document);
    Conformance.modify(&mut document);
    document
}

pub async fn document() -> Json<Value> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(document_json).clone())
}

/// The document as served: the annotations, then the field rules the server enforces that
/// the annotations cannot state, so a request the document calls valid is one the server
/// accepts (schemathesis checks both ways).
pub fn document_json() -> Value {
    let mut document = serde_json::to_value(generated()).unwrap_or_default();
    if let Some(schemas) = document.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in schemas.iter_mut() {
            if name.ends_with("Request") || name.ends_with("Input") {
                refine_request(schema);
                relate_fields(name, schema);
                refine_connection_request(name, schema);
                refine_api_request(name, schema);
            }
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, operation) in item.iter_mut() {
                if matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                    for (status, description) in WRITE_ERRORS {
                        if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
                            responses.entry(status).or_insert_with(|| {
                                json!({ "description": description, "content": { "application/json": {
                                    "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
                            });
                        }
                    }
                }
                for parameter in operation.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                    match parameter["name"].as_str() {
                        Some("trigger") => parameter["schema"] = json!({ "type": "string", "enum": TRIGGERS }),
                        Some("bucket") => parameter["schema"] = json!({ "type": "string", "enum": ["hour", "day"] }),
                        Some("report") => {
                            parameter["schema"] = json!({ "type": "string", "enum": ["rejected", "all"] })
                        }
                        Some("match") => {
                            parameter["schema"] = json!({ "type": "string", "enum": ["email", "user_id"] })
                        }
                        Some("from" | "to") => parameter["schema"] = json!({ "type": "string", "format": "date-time" }),
                        Some("status") => {
                            parameter["schema"] = json!({ "type": "string", "enum": ["pending", "delivered", "dead"] })
                        }
                        Some("outcome") => {
                            let observations: Vec<&str> =
                                intelliauth_catalogue::Family::Webhook.codes().map(|code| code.as_str()).collect();
                            parameter["schema"] = json!({ "type": "string", "enum": observations })
                        }
                        // Free-text filters: anything but NUL (refused at the door).
                        Some(
                            "email_prefix" | "email" | "event_type" | "request_id" | "user_id" | "client_id" | "type"
                            | "code",
                        ) => {
                            parameter["schema"] =
                                json!({ "type": "string", "maxLength": 254, "pattern": "^[^\\u0000]*$" })
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    document
}

/// Error answers any write can give besides [`COMMON_ERRORS`].
const WRITE_ERRORS: [(&str, &str); 3] = [
    ("409", "conflict: a resource with this name or id exists, or the change conflicts with another"),
    ("412", "precondition_failed: If-Match named an older version (details.current_etag)"),
    ("413", "validation_failed: the body is over the size limit"),
];

const TRIGGERS: [&str; 3] = ["post-login", "pre-user-registration", "post-user-registration"];
/// An https URL with a DNS name (a conservative subset of what redirect URIs and webhook
/// receivers may be: addresses are checked when used, not by the document).
const HTTPS_URL: &str = "^https://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,24}(/[A-Za-z0-9._~-]*)*$";
/// A display name: 1 to 100 characters, not only spaces, no control characters.
const NAME_PATTERN: &str =
    "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// Request bodies take only the fields they list, and the rules of the fields whose names
/// mean the same everywhere.
fn refine_request(schema: &mut Value) {
    schema["additionalProperties"] = false.into();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for (field, property) in properties.iter_mut() {
        let rule = match field.as_str() {
            "name" | "display_name" | "given_name" | "family_name" | "nickname" => {
                json!({ "minLength": 1, "maxLength": 100, "pattern": NAME_PATTERN })
            }
            "client_type" => json!({ "enum": ["public", "confidential"] }),
            "trigger" => json!({ "enum": TRIGGERS }),
            "id" | "tenant_id" => json!({ "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$" }),
            "code" => json!({ "minLength": 1, "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$" }),
            // A conservative subset of what `validate::check_email` accepts.
            "email" => {
                json!({ "maxLength": 254, "pattern": "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$" })
            }
            "scopes" => json!({ "minItems": 1, "items": { "type": "string", "enum": Scope::ALL.map(Scope::as_str) } }),
            "allowed_grants" => {
                json!({ "uniqueItems": true, "items": { "type": "string", "enum": Grant::ALL.map(Grant::as_str) } })
            }
            "jwks" => json!({ "required": ["keys"], "properties": { "keys": {
                "type": "array", "minItems": 1, "maxItems": 10, "items": client_key() } } }),
            "allowed_scopes" => {
                json!({ "items": { "type": "string", "pattern": SCOPE_TOKEN } })
            }
            "redirect_uris" | "post_logout_redirect_uris" => {
                json!({ "items": { "type": "string", "pattern": HTTPS_URL } })
            }
            "url" | "logo_url" | "picture" | "backchannel_logout_uri" | "frontchannel_logout_uri" => {
                json!({ "pattern": HTTPS_URL, "maxLength": 2048 })
            }
            "primary_colour" => json!({ "pattern": "^#[0-9A-Fa-f]{6}$",
                "description": "Must stand apart from white by at least 4.5:1 (WCAG 2.1 AA): the button's \
                                text, the links and the focus ring are drawn with it. A colour that does \
                                not is validation_failed, naming the contrast it has." }),
            "mfa" => json!({ "enum": ["off", "optional", "required", null] }),
            "organization_usage" => json!({ "enum": ["deny", "allow", "require", null] }),
            "role" => json!({ "enum": ["owner", "admin", "viewer", null] }),
            "locale" => json!({ "enum": ["en", "fr", "de", "ar", null] }),
            "password" => json!({ "minLength": 8, "maxLength": 128,
                "description": "Checked against the tenant's password policy: its minimum length, and \
                                common and breached passwords. A password the policy refuses is \
                                validation_failed with this field in details.fields." }),
            "token_settings" => {
                let lifetime = |max: u64| json!({ "type": ["integer", "null"], "minimum": 1, "maximum": max });
                json!({ "additionalProperties": false, "properties": {
                    "access_token_lifetime_s": lifetime(86_400),
                    "refresh_absolute_s": lifetime(400 * 86_400),
                    "refresh_idle_s": lifetime(400 * 86_400) } })
            }
            "min_length" => json!({ "minimum": 1, "maximum": 1024 }),
            "secrets" => {
                json!({ "type": "object", "maxProperties": 20, "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$" },
                                 "additionalProperties": { "type": "string", "maxLength": 4096, "pattern": NO_NUL } })
            }
            "event_types" => {
                let mut names: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
                names.push("*");
                json!({ "minItems": 1, "items": { "type": "string", "enum": names } })
            }
            "action_ids" => {
                json!({ "uniqueItems": true, "items": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$" } })
            }
            _ => json!({}),
        };
        if let (Some(property), Some(rule)) = (property.as_object_mut(), rule.as_object()) {
            property.extend(rule.clone());
            // Free text: anything but NUL, which every JSON body is refused for.
            let text = property.get("type").is_some_and(|kind| {
                kind == "string" || kind.as_array().is_some_and(|kinds| kinds.iter().any(|kind| kind == "string"))
            });
            if text && !property.contains_key("pattern") && !property.contains_key("enum") {
                property.insert("pattern".into(), NO_NUL.into());
            }
            // Members an object leaves open: any JSON, but no NUL in a name or a string.
            let object = property.get("type").is_some_and(|kind| {
                kind == "object" || kind.as_array().is_some_and(|kinds| kinds.iter().any(|kind| kind == "object"))
            });
            if object && !property.contains_key("additionalProperties") {
                property.insert("propertyNames".into(), json!({ "pattern": NO_NUL }));
                property.insert("additionalProperties".into(), nul_free_json(2));
            }
        }
    }
}

const NO_NUL: &str = "^[^\\u0000]*$";

/// Any JSON value nested at most `depth` levels, with no NUL in a member name or a string.
fn nul_free_json(depth: u32) -> Value {
    let scalar = json!({ "type": ["string", "number", "boolean", "null"], "pattern": NO_NUL });
    if depth == 0 {
        return scalar;
    }
    json!({ "anyOf": [
        scalar,
        { "type": "array", "items": nul_free_json(depth - 1) },
        { "type": "object", "propertyNames": { "pattern": NO_NUL }, "additionalProperties": nul_free_json(depth - 1) },
    ] })
}

/// A client's public key as `private_key_jwt` takes it: ES256 on P-256 or EdDSA on Ed25519,
/// with a `kid`, and never a private part.
fn client_key() -> Value {
    let key = |kty: &str, crv: &str, alg: &str| json!({ "properties": { "kty": { "const": kty }, "crv": { "const": crv }, "alg": { "const": alg } } });
    json!({
        "type": "object",
        "required": ["kty", "crv", "alg", "kid"],
        "properties": { "kid": { "type": "string", "minLength": 1, "maxLength": 128, "pattern": NO_NUL } },
        "propertyNames": { "pattern": NO_NUL },
        "additionalProperties": nul_free_json(1),
        "not": { "required": ["d"] },
        "oneOf": [key("EC", "P-256", "ES256"), key("OKP", "Ed25519", "EdDSA")],
    })
}

/// The rules that relate one field of a request to another, as the server checks them.
fn relate_fields(name: &str, schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else { return };
    let rules = match name {
        // An application that signs users in needs somewhere to send them back, and a
        // public client can neither use client_credentials nor authenticate with keys.
        "CreateApplicationRequest" => json!([
            { "anyOf": [
                { "required": ["redirect_uris"], "properties": { "redirect_uris": { "type": "array", "minItems": 1 } } },
                { "required": ["allowed_grants"], "properties": { "allowed_grants": {
                    "type": "array", "not": { "contains": { "const": "authorization_code" } } } } },
            ] },
            { "if": { "properties": { "client_type": { "const": "public" } } },
              "then": { "properties": {
                  "allowed_grants": { "not": { "type": "array", "contains": { "enum": [
                      "client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"] } } },
                  "jwks": { "type": "null" } } } },
        ]),
        // Only an instance-wide credential may manage tenants.
        "CreateCredentialRequest" => json!([
            { "if": { "required": ["tenant_id"], "properties": { "tenant_id": { "type": "string" } } },
              "then": { "properties": { "scopes": { "items": { "not": { "const": "tenants:write" } } } } } },
        ]),
        _ => return,
    };
    object.insert("allOf".into(), rules);
}

/// A connection's fields mean what they mean for upstream identity providers (its `name`
/// is a slug, its `scopes` the upstream's), and which of them a connection needs depends on
/// its preset and strategy.
fn refine_connection_request(name: &str, schema: &mut Value) {
    if !matches!(name, "CreateConnectionRequest" | "UpdateConnectionRequest") {
        return;
    }
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    let url = json!({ "type": "string", "pattern": HTTPS_URL, "maxLength": 2048 });
    let presets: Vec<&str> = Preset::ALL.iter().map(|preset| preset.as_str()).collect();
    let rules = [
        ("name", json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$" })),
        ("strategy", json!({ "type": "string", "enum": ["oidc", "oauth2"] })),
        ("preset", json!({ "type": "string", "enum": presets })),
        ("client_id", json!({ "type": "string", "minLength": 1, "maxLength": 512, "pattern": NO_NUL })),
        ("client_secret", json!({ "type": "string", "minLength": 1, "maxLength": 4096, "pattern": NO_NUL })),
        ("issuer", url.clone()),
        ("authorization_endpoint", url.clone()),
        ("token_endpoint", url.clone()),
        ("userinfo_endpoint", url.clone()),
        ("jwks_uri", url),
        ("team_id", json!({ "type": "string", "pattern": "^[A-Za-z0-9]{1,64}$" })),
        ("key_id", json!({ "type": "string", "pattern": "^[A-Za-z0-9]{1,64}$" })),
        (
            "scopes",
            json!({ "type": "array", "maxItems": 30,
            "items": { "type": "string", "pattern": "^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,128}$" } }),
        ),
        (
            "mapping",
            json!({ "type": "object", "maxProperties": 50,
            "propertyNames": { "pattern": "^(name|given_name|family_name|nickname|picture|app_metadata\\.[A-Za-z0-9_-]{1,64})$" },
            "additionalProperties": { "type": "string", "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]{1,128}$" } }),
        ),
    ];
    for (field, rule) in rules {
        if let Some(property) = properties.get_mut(field) {
            let description = property.get("description").cloned();
            *property = rule;
            if let Some(description) = description {
                property["description"] = description;
            }
        }
    }
    if name == "CreateConnectionRequest" {
        let present =
            |field: &str, kind: &str| json!({ "required": [field], "properties": { field: { "type": kind } } });
        schema["allOf"] = json!([
            // A preset's providers never issue public clients; its strategy is its own.
            { "if": present("preset", "string"), "then": { "required": ["client_secret"], "properties": {
                "client_secret": { "type": "string" },
                "strategy": { "type": "string", "enum": ["oidc", "oauth2"] } },
                "allOf": [
                    { "if": { "properties": { "preset": { "const": "github" } } },
                      "then": { "properties": { "strategy": { "const": "oauth2" } } },
                      "else": { "properties": { "strategy": { "const": "oidc" } } } } ] },
              // Without one: OAuth 2.0 names its endpoints, OpenID Connect its issuer.
              "else": { "if": { "required": ["strategy"], "properties": { "strategy": { "const": "oauth2" } } },
                "then": { "required": ["authorization_endpoint", "token_endpoint", "userinfo_endpoint"], "properties": {
                    "authorization_endpoint": { "type": "string" }, "token_endpoint": { "type": "string" },
                    "userinfo_endpoint": { "type": "string" } } },
                "else": { "required": ["issuer"], "properties": { "issuer": { "type": "string" } } } } },
        ]);
    }
}

/// A scope token (RFC 6749 §3.3), as an API's permission is one.
const SCOPE_TOKEN: &str = "^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,128}$";

/// The fields of APIs, client grants and roles: identifiers are absolute URIs, permissions
/// scope tokens other than OpenID Connect's, and a client grant's `scopes` are an API's
/// permissions, not a management credential's.
fn refine_api_request(name: &str, schema: &mut Value) {
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    let id = json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$" });
    let permission = json!({ "type": "string", "pattern": SCOPE_TOKEN,
        "not": { "enum": intelliauth_core::apis::access::OIDC_SCOPES } });
    let description =
        json!({ "type": ["string", "null"], "maxLength": 500, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$" });
    let rules: Vec<(&str, Value)> = match name {
        "CreateApiRequest" | "UpdateApiRequest" => vec![
            ("identifier", json!({ "type": "string", "pattern": HTTPS_URL, "maxLength": 256 })),
            ("access_token_lifetime_s", json!({ "minimum": 60, "maximum": 86_400 })),
            ("user_access", json!({ "type": ["string", "null"], "enum": ["all_applications", "client_grant", null] })),
            ("signing_alg", json!({ "type": ["string", "null"], "enum": ["ES256", "EdDSA", "RS256", null] })),
            ("permissions", json!({ "maxItems": 500 })),
        ],
        "PermissionInput" => vec![("value", permission.clone()), ("description", description.clone())],
        "RolePermissionInput" => vec![("api_id", id.clone()), ("value", permission)],
        "CreateClientGrantRequest" | "UpdateClientGrantRequest" => vec![
            ("client_id", id.clone()),
            ("api_id", id.clone()),
            ("subject_type", json!({ "type": ["string", "null"], "enum": ["client", "user", null] })),
            (
                "scopes",
                json!({ "type": "array", "minItems": 0, "maxItems": 500,
                "items": { "type": "string", "pattern": SCOPE_TOKEN } }),
            ),
        ],
        "CreateRoleRequest" | "UpdateRoleRequest" => {
            vec![("description", description), ("permissions", json!({ "maxItems": 1000 }))]
        }
        "AssignRolesRequest" => {
            vec![("roles", json!({ "type": "array", "minItems": 1, "maxItems": 50, "items": id }))]
        }
        "AddMembersRequest" => vec![("users", json!({ "type": "array", "minItems": 1, "maxItems": 50, "items": id }))],
        "MemberRolesRequest" => vec![("roles", json!({ "type": "array", "maxItems": 50, "items": id }))],
        "CreateInvitationRequest" => vec![
            ("roles", json!({ "type": ["array", "null"], "maxItems": 50, "items": id })),
            ("ttl_s", json!({ "minimum": 300, "maximum": 2_592_000 })),
        ],
        "CreateOrganizationRequest" | "UpdateOrganizationRequest" => vec![
            ("name", json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$" })),
            (
                "metadata",
                json!({ "type": ["object", "null"], "maxProperties": 25,
                "propertyNames": { "pattern": "^[A-Za-z0-9_]{1,64}$" },
                "additionalProperties": { "type": "string", "maxLength": 255,
                    "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$" } }),
            ),
            ("connections", json!({ "maxItems": 50, "items": id })),
        ],
        _ => return,
    };
    for (field, rule) in rules {
        if let (Some(property), Some(rule)) =
            (properties.get_mut(field).and_then(Value::as_object_mut), rule.as_object())
        {
            property.extend(rule.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_unique_and_every_operation_documents_its_errors() {
        let document = generated();
        let mut seen = std::collections::HashSet::new();
        for (path, item) in document.paths.paths.clone().iter_mut() {
            for operation in Conformance::operations(item) {
                let id = operation.operation_id.clone().unwrap_or_default();
                assert!(seen.insert(id.clone()), "operationId {id} is used twice ({path})");
                for status in ["400", "404", "429", "503"] {
                    assert!(operation.responses.responses.contains_key(status), "{id} ({path}) documents no {status}");
                }
            }
        }
        for path in [
            "/v1/tenants/{tenant_id}/keys/rotate",
            "/v1/tenants/{tenant_id}/users/{user_id}/consents",
            "/v1/tenants/{tenant_id}/users/{user_id}/consents/{client_id}",
            "/v1/tenants/{tenant_id}/users/{user_id}/factors",
        ] {
            assert!(document.paths.paths.contains_key(path), "{path} is missing from the document");
        }
    }
}
