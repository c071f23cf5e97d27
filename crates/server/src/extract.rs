//! Extractors: JSON bodies read field by field, the management credential, `If-Match`,
//! and pagination. Each rejects with a catalogue error, never axum's plain-text rejections.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::ACR_MULTI_FACTOR;
use intelliauth_core::log::RequestContext;
use intelliauth_core::management::{DEFAULT_TENANT, TOKEN_PREFIX};
use intelliauth_core::model::{AdminRole, IfMatch, ManagementCredential, Scope};
use intelliauth_core::page::{decode_cursor, PageRequest, MAX_LIMIT};
use intelliauth_core::validate::FieldErrors;
use intelliauth_core::{Error, Refusal};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// Limits on reading request bodies.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// A client that has not sent its whole body by then gets `network_error`.
    pub read_timeout: Duration,
}

/// Reads a request body within the configured size and time.
pub async fn read_body(body: Body, limits: BodyLimits) -> Result<axum::body::Bytes, ApiError> {
    match tokio::time::timeout(limits.read_timeout, axum::body::to_bytes(body, limits.max_bytes)).await {
        Err(_) => Err(ApiError::from(
            Error::new(Code::NetworkError)
                .with_message("The request body did not arrive in time.")
                .with_detail("timeout_s", limits.read_timeout.as_secs()),
        )),
        Ok(Err(error)) if is_length_limit(&error) => {
            let mut fields = FieldErrors::new();
            fields.add("body", format!("must be at most {} bytes", limits.max_bytes));
            Err(ApiError::with_status(Error::validation(fields), axum::http::StatusCode::PAYLOAD_TOO_LARGE))
        }
        Ok(Err(error)) => Err(ApiError::from(Error::new(Code::NetworkError).with_cause(error.to_string()))),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

/// An `application/x-www-form-urlencoded` body, read within the body limits.
pub struct FormBody(pub HashMap<String, String>);

impl FormBody {
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }
}

impl FromRequest<AppState> for FormBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_body(request.into_body(), state.body_limits).await?;
        let mut fields = FieldErrors::new();
        // Empty values count as absent, as form posts send empty fields.
        let form: HashMap<String, String> =
            form_urlencoded::parse(&bytes).into_owned().filter(|(_, value)| !value.is_empty()).collect();
        for (name, value) in &form {
            if name.contains('\0') || value.contains('\0') {
                fields.add(&name.replace('\0', ""), NUL_MESSAGE);
            }
        }
        if fields.is_empty() {
            Ok(FormBody(form))
        } else {
            Err(ApiError::from(Error::validation(fields)))
        }
    }
}

/// A JSON object body, read field by field so every problem is reported at once.
pub struct JsonObject(pub Fields);

impl FromRequest<AppState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json =
            request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
                value.split(';').next().is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        let bytes = read_body(request.into_body(), state.body_limits).await?;
        let mut fields = FieldErrors::new();
        // No body at all is an empty object: operations whose fields are all optional are
        // called that way (and their documents allow it).
        if bytes.is_empty() && !is_json {
            return Ok(JsonObject(Fields::new(Map::new())));
        }
        if !is_json {
            fields.add("body", "must be sent with Content-Type: application/json");
            return Err(ApiError::from(Error::validation(fields)));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(mut map)) => {
                for (name, value) in map.iter_mut() {
                    inspect(name, value, &mut fields);
                }
                if fields.is_empty() {
                    Ok(JsonObject(Fields::new(map)))
                } else {
                    Err(ApiError::from(Error::validation(fields)))
                }
            }
            Ok(_) => {
                fields.add("body", "must be a JSON object");
                Err(ApiError::from(Error::validation(fields)))
            }
            Err(error) => {
                fields.add("body", format!("is not valid JSON: {error}"));
                Err(ApiError::from(Error::validation(fields)))
            }
        }
    }
}

const NUL_MESSAGE: &str = "must not contain a NUL character";

/// Walks the value at `path`: records every string (or key) that holds a NUL character (no
/// field of ours has a use for one, and PostgreSQL cannot store it), and writes a number with
/// an integral value as an integer: JSON Schema's `integer` includes `594.0`, so a client
/// that sends it has sent a valid integer.
fn inspect(path: &str, value: &mut Value, fields: &mut FieldErrors) {
    let has_nul = |text: &str| text.contains('\0');
    let shown = |path: &str| path.replace('\0', "\\u0000");
    match value {
        Value::String(text) if has_nul(text) || has_nul(path) => fields.add(&shown(path), NUL_MESSAGE),
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                inspect(&format!("{path}[{index}]"), item, fields);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                inspect(&format!("{path}.{key}"), item, fields);
            }
        }
        _ if has_nul(path) => fields.add(&shown(path), NUL_MESSAGE),
        Value::Number(number) => {
            if let Some(integer) = integral(number) {
                *value = Value::from(integer);
            }
        }
        _ => {}
    }
}

/// The integer a float such as `594.0` stands for, if it is one that fits an `i64`.
fn integral(number: &serde_json::Number) -> Option<i64> {
    let float = number.as_f64().filter(|_| number.is_f64())?;
    // 2^63 is exactly representable; every float below it in magnitude converts without loss.
    let bound = 9_223_372_036_854_775_808.0;
    (float.fract() == 0.0 && (-bound..bound).contains(&float)).then_some(float as i64)
}

/// Typed access to a JSON object's fields that records a message for each wrong one.
pub struct Fields {
    map: Map<String, Value>,
    errors: FieldErrors,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Fields {
    pub fn new(map: Map<String, Value>) -> Self {
        Fields { map, errors: FieldErrors::new() }
    }

    fn wrong_type(&mut self, key: &str, expected: &str, got: &Value) {
        self.errors.add(key, format!("must be {expected}, not {}", type_name(got)));
    }

    /// The value of `key`, left for a later read.
    pub fn peek(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// Records a message for a field whose value was read but is not acceptable.
    pub fn reject(&mut self, key: &str, message: &str) {
        self.errors.add(key, message);
    }

    /// Absent and `null` are both "not given".
    pub fn optional_string(&mut self, key: &str) -> Option<String> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(other) => {
                self.wrong_type(key, "a string", &other);
                None
            }
        }
    }

    pub fn required_string(&mut self, key: &str) -> String {
        let present = self.map.get(key).is_some_and(|value| !value.is_null());
        let value = self.optional_string(key);
        if !present {
            self.errors.add(key, "is required");
        }
        value.unwrap_or_default()
    }

    /// Absent: not given (`None`); `null`: clear it (`Some(None)`).
    pub fn nullable_string(&mut self, key: &str) -> Option<Option<String>> {
        self.nullable(key, Fields::optional_string)
    }

    /// Absent: not given (`None`); `null`: clear it (`Some(None)`).
    pub fn nullable_u64(&mut self, key: &str) -> Option<Option<u64>> {
        self.nullable(key, Fields::optional_u64)
    }

    fn nullable<T>(&mut self, key: &str, read: fn(&mut Fields, &str) -> Option<T>) -> Option<Option<T>> {
        match self.map.get(key) {
            None => None,
            Some(Value::Null) => {
                self.map.remove(key);
                Some(None)
            }
            Some(_) => read(self, key).map(Some),
        }
    }

    pub fn optional_bool(&mut self, key: &str) -> Option<bool> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(flag)) => Some(flag),
            Some(other) => {
                self.wrong_type(key, "true or false", &other);
                None
            }
        }
    }

    /// Whether the body sets `key.inner` (to decide what a change needs before parsing it).
    pub fn sets(&self, key: &str, inner: &str) -> bool {
        self.map.get(key).and_then(|value| value.get(inner)).is_some()
    }

    pub fn optional_u64(&mut self, key: &str) -> Option<u64> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(number)) if number.as_u64().is_some() => number.as_u64(),
            Some(other) => {
                self.wrong_type(key, "a whole number of zero or more", &other);
                None
            }
        }
    }

    pub fn optional_string_list(&mut self, key: &str) -> Option<Vec<String>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut strings = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(text) => strings.push(text),
                        other => self.wrong_type(&format!("{key}[{index}]"), "a string", &other),
                    }
                }
                Some(strings)
            }
            Some(other) => {
                self.wrong_type(key, "an array of strings", &other);
                None
            }
        }
    }

    /// An array of objects each read as `T` (unknown members refused where `T` denies them);
    /// a bad item is reported as `key[index]`.
    pub fn optional_list_of<T: serde::de::DeserializeOwned>(&mut self, key: &str, expected: &str) -> Option<Vec<T>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    match serde_json::from_value::<T>(item) {
                        Ok(value) => list.push(value),
                        Err(error) => {
                            self.errors.add(&format!("{key}[{index}]"), format!("must be {expected}: {error}"))
                        }
                    }
                }
                Some(list)
            }
            Some(other) => {
                self.wrong_type(key, "an array", &other);
                None
            }
        }
    }

    /// An object whose every value is a string (a mapping); absent and `null` are not given.
    pub fn optional_string_map(&mut self, key: &str) -> Option<std::collections::BTreeMap<String, String>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(members)) => {
                let mut map = std::collections::BTreeMap::new();
                for (name, value) in members {
                    match value {
                        Value::String(text) => {
                            map.insert(name, text);
                        }
                        other => self.wrong_type(&format!("{key}.{name}"), "a string", &other),
                    }
                }
                Some(map)
            }
            Some(other) => {
                self.wrong_type(key, "an object of strings", &other);
                None
            }
        }
    }

    /// A JSON object kept as it is; `Some(None)` when the field is `null` (to clear it).
    pub fn nullable_object(&mut self, key: &str) -> Option<Option<Value>> {
        match self.map.remove(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(object @ Value::Object(_)) => Some(Some(object)),
            Some(other) => {
                self.wrong_type(key, "an object", &other);
                None
            }
        }
    }

    /// A nested object laid over `T::default()`, so omitted keys keep their defaults.
    /// Problems (unknown keys, wrong types) are reported under `key`.
    pub fn optional_object_over_default<T: serde::Serialize + serde::de::DeserializeOwned + Default>(
        &mut self,
        key: &str,
    ) -> Option<T> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            // Over the defaults with merge-patch rules, so `null` leaves a member at its default.
            Some(patch @ Value::Object(_)) => {
                match intelliauth_core::merge_patch::MergePatch(patch).apply(&T::default(), key) {
                    Ok(decoded) => Some(decoded),
                    Err(errors) => {
                        self.errors.merge_new_fields(errors);
                        None
                    }
                }
            }
            Some(other) => {
                self.wrong_type(key, "an object", &other);
                None
            }
        }
    }

    /// An object to apply as an RFC 7396 merge patch (absent or `null`: no change).
    pub fn optional_merge_patch(&mut self, key: &str) -> Option<intelliauth_core::merge_patch::MergePatch> {
        match self.map.remove(key) {
            None | Some(Value::Null) => None,
            Some(patch @ Value::Object(_)) => Some(intelliauth_core::merge_patch::MergePatch(patch)),
            Some(other) => {
                self.wrong_type(key, "an object", &other);
                None
            }
        }
    }

    /// The type errors so far, plus one for each field nobody asked for.
    pub fn finish(mut self) -> FieldErrors {
        for (key, _) in std::mem::take(&mut self.map) {
            self.errors.add(&key, "is not a known field");
        }
        self.errors
    }
}

/// Who is calling, as far as the connection tells (the peer address).
pub struct ClientIp(pub intelliauth_core::auth::ClientContext);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts.extensions.get::<crate::request_id::RequestId>().map(|id| id.0.clone());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect());
        Ok(ClientIp(intelliauth_core::auth::ClientContext { ip: crate::client_ip::of(parts), request_id, user_agent }))
    }
}

/// The path's parameters as `P`; a path that does not decode (bad percent-encoding) is
/// `validation_failed`, like any other malformed input.
pub(crate) async fn path_params<P: serde::de::DeserializeOwned + Send>(
    parts: &mut Parts,
    state: &AppState,
) -> Result<P, ApiError> {
    match axum::extract::Path::<P>::from_request_parts(parts, state).await {
        Ok(axum::extract::Path(params)) => Ok(params),
        Err(rejection) => Err(ApiError::from(Error::new(Code::ValidationFailed).with_cause(rejection.body_text()))),
    }
}

/// A call to a tenant's public JSON API (`/t/{tenant_id}/api/…`): the state, the path's
/// parameters (`P`: the tenant's id, or [`OnFlow`]) and who is calling.
pub struct PublicCall<P = String> {
    pub state: AppState,
    pub path: P,
    pub client: intelliauth_core::auth::ClientContext,
}

/// The path of a call on one sign-in or registration flow: the tenant's id and the flow's.
pub type OnFlow = (String, String);

impl<P: serde::de::DeserializeOwned + Send> FromRequestParts<AppState> for PublicCall<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let path = path_params(parts, state).await?;
        let ClientIp(client) = ClientIp::from_request_parts(parts, state).await?;
        Ok(PublicCall { state: state.clone(), path, client })
    }
}

/// Who calls the management API: a management credential (`iam_…`), or a tenant admin
/// with an access token from their tenant, acting with the scopes of that tenant.
pub struct Caller {
    pub credential: ManagementCredential,
    /// How the admin signed in; `None` for a management credential.
    pub assurance: Option<Assurance>,
}

/// The sign-in behind an admin's access token.
#[derive(Debug, Clone)]
pub struct Assurance {
    pub user_id: String,
    pub acr: String,
    pub auth_time_s: i64,
    pub role: AdminRole,
}

/// How recent an admin's multi-factor sign-in must be for a sensitive operation.
pub const STEP_UP_MAX_AGE_S: i64 = 300;

impl Caller {
    /// Whether this is an admin of `tenant_id` acting with their own token.
    /// An owner or admin of `tenant_id` (a viewer administers nothing).
    pub fn is_admin_of(&self, tenant_id: &str) -> bool {
        self.assurance.as_ref().is_some_and(|admin| admin.role != AdminRole::Viewer)
            && self.credential.tenant_id.as_deref() == Some(tenant_id)
    }

    /// Sensitive operations (RFC 9470): an admin's token must come from a multi-factor
    /// sign-in in the last five minutes, or the answer is `step_up_required` with the
    /// challenge that tells the client what to ask for. Management credentials are not
    /// people and have no sign-in to step up.
    pub fn require_step_up(&self) -> Result<(), ApiError> {
        let Some(assurance) = &self.assurance else { return Ok(()) };
        let age = intelliauth_core::ids::now_ms() / 1000 - assurance.auth_time_s;
        if assurance.acr == ACR_MULTI_FACTOR && (0..=STEP_UP_MAX_AGE_S).contains(&age) {
            return Ok(());
        }
        Err(ApiError::from(
            Error::new(Code::StepUpRequired)
                .with_detail("acr_values", ACR_MULTI_FACTOR)
                .with_detail("max_age", STEP_UP_MAX_AGE_S)
                .with_refusal(Refusal::WeakAuthentication {
                    acr_values: ACR_MULTI_FACTOR,
                    max_age_s: STEP_UP_MAX_AGE_S,
                }),
        ))
    }

    /// `permission_denied` unless the credential holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.credential.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::from(Error::permission_denied(scope.as_str())))
        }
    }

    /// `permission_denied` unless the credential holds `scope` for `tenant_id`.
    pub fn require_in(&self, scope: Scope, tenant_id: &str) -> Result<(), ApiError> {
        self.require(scope)?;
        if self.credential.can_access_tenant(tenant_id) {
            Ok(())
        } else {
            Err(ApiError::from(Error::permission_denied(scope.as_str()).with_detail("tenant", tenant_id)))
        }
    }
}

/// The bearer token of an `Authorization` header, if it has one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = bearer_token(&parts.headers);
        let caller = match bearer.filter(|token| !token.starts_with(TOKEN_PREFIX) && token.matches('.').count() == 2) {
            Some(token) => admin_caller(state, token).await?,
            None => Caller { credential: state.management.authenticate(bearer).await?, assurance: None },
        };
        // The actor of the changes this request makes, in the tenant log: a tenant admin's
        // id is already `user:…`; a management credential is named by its id.
        let id = &caller.credential.id;
        RequestContext::set_actor(if id.starts_with("user:") { id.clone() } else { format!("credential:{id}") });
        Ok(caller)
    }
}

/// A tenant admin's access token: genuine, unexpired, from an admin who may still sign in.
pub(crate) async fn admin_caller(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let invalid = || Error::unauthenticated(Refusal::BadCredential { why: "The access token is not valid" });
    let tenant_id = state.oidc.token_tenant(token).ok_or_else(invalid)?;
    let claims = state.oidc.verify_access_token(&tenant_id, token).await?;
    let user_id = claims["sub"].as_str().unwrap_or_default();
    let user = state.management.user(&tenant_id, user_id).await.map_err(|_| invalid())?;
    let Some(role) = user.role.filter(|_| !user.disabled) else {
        return Err(ApiError::from(
            Error::new(Code::PermissionDenied)
                .with_detail("reason", "not_a_tenant_admin")
                .with_detail("tenant", tenant_id),
        ));
    };
    // The server, not the console, decides what a role may do: a viewer's token holds
    // only read scopes, so every change answers permission_denied. The owners of the
    // instance's own tenant administer the instance: every scope, in every tenant.
    let instance_admin = tenant_id == DEFAULT_TENANT && role == AdminRole::Owner;
    let scopes = if instance_admin { Scope::ALL.to_vec() } else { role.scopes() };
    let credential = ManagementCredential {
        id: format!("user:{}", user.id),
        tenant_id: (!instance_admin).then_some(tenant_id),
        name: user.email.clone(),
        scopes,
        token_digest: String::new(),
        meta: user.meta.clone(),
    };
    let assurance = Assurance {
        user_id: user.id,
        acr: claims["acr"].as_str().unwrap_or_default().to_owned(),
        auth_time_s: claims["auth_time"].as_i64().unwrap_or(0),
        role,
    };
    Ok(Caller { credential, assurance: Some(assurance) })
}

/// The user a self-service route (`/t/{tenant}/api/…`) acts for: the session behind the
/// request's bearer token, in the path's tenant. A missing, foreign, expired or revoked
/// session is refused (`session_expired`, `session_revoked`) before the handler runs.
pub struct SignedInUser {
    pub state: AppState,
    pub session: intelliauth_core::auth::ActiveSession,
    pub user: intelliauth_core::model::User,
}

impl FromRequestParts<AppState> for SignedInUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let tenant_id = path_param(parts, state, "tenant_id").await;
        let (session, user) = state.auth.session(&tenant_id, bearer_token(&parts.headers)).await?;
        Ok(SignedInUser { state: state.clone(), session, user })
    }
}

/// The path parameter `name` of the matched route; empty when the route has none.
pub(crate) async fn path_param(parts: &mut Parts, state: &AppState, name: &str) -> String {
    axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .ok()
        .and_then(|axum::extract::Path(mut params)| params.remove(name))
        .unwrap_or_default()
}

/// A PATCH: its `If-Match` precondition (if any) and its JSON object, read field by field.
pub struct Patch {
    pub if_match: Option<IfMatch>,
    pub fields: Fields,
}

impl FromRequest<AppState> for Patch {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Precondition(if_match) = Precondition::from_request_parts(&mut parts, state).await?;
        let JsonObject(fields) = JsonObject::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Patch { if_match, fields })
    }
}

/// The request's `If-Match` precondition, if any.
pub struct Precondition(pub Option<IfMatch>);

impl<S: Send + Sync> FromRequestParts<S> for Precondition {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(Precondition(None)),
            Some(value) => match value.to_str() {
                Ok(text) => Ok(Precondition(Some(IfMatch::parse(text)))),
                Err(_) => {
                    let mut fields = FieldErrors::new();
                    fields.add("If-Match", "must be an entity tag such as \"3-18c2f\"");
                    Err(ApiError::from(Error::validation(fields)))
                }
            },
        }
    }
}

/// `?limit=&cursor=` plus the remaining query parameters for filters.
pub struct Pagination {
    pub page: PageRequest,
    pub params: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Pagination {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(mut params) =
            Query::<HashMap<String, String>>::from_request_parts(parts, state).await.map_err(|rejection| {
                let mut fields = FieldErrors::new();
                fields.add("query", rejection.body_text());
                ApiError::from(Error::validation(fields))
            })?;
        let mut fields = FieldErrors::new();
        let mut page = PageRequest::default();
        if let Some(limit) = params.remove("limit") {
            match limit.parse::<u32>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => page.limit = limit,
                _ => fields.add("limit", format!("must be a whole number from 1 to {MAX_LIMIT}")),
            }
        }
        if let Some(cursor) = params.remove("cursor") {
            match decode_cursor(&cursor) {
                Some(after) => page.after = Some(after),
                None => fields.add("cursor", "is not a cursor returned by this API"),
            }
        }
        fields.into_result()?;
        Ok(Pagination { page, params })
    }
}
