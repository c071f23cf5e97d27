//! `POST /v1/tenants/{tenant_id}/users/import`: NDJSON in, NDJSON out, both streamed, so a
//! million users need neither a million-line buffer nor a request that answers at the end;
//! and `GET …/users/export`, the same lines out, for moving an installation.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use intelliauth_catalogue::Code;
use intelliauth_core::directory::ImportMatch;
use intelliauth_core::log::RequestContext;
use intelliauth_core::management::{
    export_line, outcome_name, Import, ImportCounts, LineOutcome, OnExisting, IMPORT_BATCH, MAX_IMPORT_LINE_BYTES,
};
use intelliauth_core::model::Scope;
use intelliauth_core::validate::FieldErrors;
use intelliauth_core::Error;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::allowed::{Allowed, UsersRead, UsersWrite};
use super::views::ErrorBody;
use crate::error::{error_body, ApiResult};
use crate::extract::Pagination;

/// How long the upload may pause before the import stops where it got to.
const IDLE_BODY: Duration = Duration::from_secs(30);

/// One line of the request body: Auth0's bulk-import user schema, or IntelliAuth's own
/// export (the same fields plus `id`); any other field is refused by name.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the lines the importer reads
pub struct ImportUserLine {
    /// IntelliAuth's user id (its export): a created user keeps it, so ID tokens' `sub`
    /// does not change when an installation moves.
    id: Option<String>,
    email: String,
    email_verified: Option<bool>,
    /// The user's id in the system they come from (Auth0's `auth0|…`), kept as
    /// `external_id`; `match=user_id` finds existing users by it.
    user_id: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    /// An https URL.
    picture: Option<String>,
    /// A blocked user cannot sign in (`account_disabled`).
    blocked: Option<bool>,
    /// The hosted pages' language the user chose: `en`, `fr`, `de` or `ar`.
    locale: Option<String>,
    /// When the user was created (RFC 3339, in the past): a created user keeps it.
    created_at: Option<String>,
    #[schema(value_type = Option<Object>)]
    app_metadata: Option<Value>,
    #[schema(value_type = Option<Object>)]
    user_metadata: Option<Value>,
    /// A stored hash: bcrypt (`$2a$`, `$2b$`, `$2y$`, cost at most 15), argon2id or argon2i
    /// (PHC, at most m=262144, t=16, p=8), PBKDF2 (`$pbkdf2-sha256$i=…,l=…$salt$hash`, or
    /// sha512), scrypt (`$scrypt$ln=…,r=…,p=…$salt$hash`) or IntelliAuth's export's salted
    /// SHA-2 form. The first sign-in with it re-hashes the password with argon2id.
    password_hash: Option<String>,
    /// Auth0's form: `{"algorithm": "bcrypt" | "argon2" | "pbkdf2" | "scrypt" | "sha256" |
    /// "sha512", "hash": {"value", "encoding"}, "salt": {"value", "encoding", "position"},
    /// "keylen", "cost", "blockSize", "parallelization"}`.
    #[schema(value_type = Option<Object>)]
    custom_password_hash: Option<Value>,
}

/// One line of the response: `progress` after every batch, `line` for each rejected line
/// (every line with `report=all`), then `done`, or `error` when the import had to stop.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportReportLine {
    /// `progress`, `line`, `done` or `error`.
    r#type: String,
    /// `line`: the line's number in the file (1-based, blank lines counted).
    line: Option<u64>,
    /// `line`: `created`, `updated`, `unchanged` or `rejected`.
    outcome: Option<String>,
    /// `line`: the user's id.
    user_id: Option<String>,
    /// `line` (rejected) and `error`: the catalogue error.
    error: Option<ErrorBody>,
    /// `progress`, `done` and `error`: lines read, users created, updated, unchanged, lines rejected.
    lines: Option<u64>,
    created: Option<u64>,
    updated: Option<u64>,
    unchanged: Option<u64>,
    rejected: Option<u64>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/import", tag = "users",
    request_body(content(
        (Vec<ImportUserLine> = "application/x-ndjson"),
        (Vec<ImportUserLine> = "application/json")),
        description = "The users, one JSON object per line (newline-delimited JSON, streamed, any number of lines), or one JSON array of them as Auth0's bulk-import files are (`application/json`, up to 16 MiB; lines are then numbered by element)."),
    params(("tenant_id" = String, Path),
        ("upsert" = Option<bool>, Query, description = "A line about an existing user updates that user (fields the line leaves out are kept); otherwise it is rejected with conflict."),
        ("match" = Option<String>, Query, description = "What finds an existing user: `email` (the default) or `user_id` (the line's id in the system it comes from, which every line must then have)."),
        ("report" = Option<String>, Query, description = "`rejected` (the default): report rejected lines; `all`: every line, with its user's id.")),
    responses((status = 200, description = "The import's report, streamed as it goes.", content_type = "application/x-ndjson", body = Vec<ImportReportLine>),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn import_users(
    at: Allowed<UsersWrite>,
    pagination: Pagination,
    headers: axum::http::HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    // An import can replace password hashes: an admin's own token needs a recent second factor.
    at.caller.require_step_up()?;
    let mut fields = FieldErrors::new();
    let upsert = two_valued(&pagination, &mut fields, "upsert", ["false", "true"]);
    let report_all = two_valued(&pagination, &mut fields, "report", ["rejected", "all"]);
    let by_user_id = two_valued(&pagination, &mut fields, "match", ["email", "user_id"]);
    fields.into_result()?;
    let on_existing = if upsert { OnExisting::Update } else { OnExisting::Reject };
    let by = if by_user_id { ImportMatch::ExternalId } else { ImportMatch::Email };
    let import = at.state.management.start_import(at.tenant_id(), on_existing, by).await?;
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        value.split(';').next().is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"))
    });
    let body = if is_json { array_as_lines(body).await? } else { body };

    let (sender, receiver) = mpsc::channel::<Bytes>(64);
    let context = RequestContext::current().unwrap_or_default();
    let request_id = context.request_id.clone();
    let run = Run { import, sender, report_all, request_id };
    tokio::spawn(RequestContext::scope(context, run.feed(body)));

    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
    let body = Body::from_stream(tokio_stream::StreamExt::map(stream, Ok::<_, Infallible>));
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .unwrap_or_default())
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/export", tag = "users",
    params(("tenant_id" = String, Path)),
    responses((status = 200, description = "Every user of the tenant, one JSON object per line in the import's format (`POST …/users/import` reads it as it is), stored password hashes included. A response that ends without its last newline broke off: the export is incomplete.", content_type = "application/x-ndjson", body = Vec<ImportUserLine>),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read", "tenants:write"])))]
pub async fn export_users(at: Allowed<UsersRead>) -> ApiResult<Response> {
    // Password hashes leave the installation: only an instance-wide management credential
    // (one that may also create and delete tenants) exports, never a tenant admin.
    at.caller.require(Scope::TenantsWrite)?;
    if at.caller.credential.tenant_id.is_some() || at.caller.assurance.is_some() {
        return Err(Error::permission_denied(Scope::TenantsWrite.as_str())
            .with_detail("reason", "only an instance-wide management credential exports password hashes")
            .into());
    }
    let management = at.state.management.clone();
    let tenant_id = at.tenant_id().to_owned();
    management.tenant(&tenant_id).await?;
    let first = management.export_page(&tenant_id, None).await?;
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(RequestContext::scope(RequestContext::current().unwrap_or_default(), async move {
        let mut page = first;
        let mut count = 0u64;
        loop {
            let mut chunk = Vec::with_capacity(page.items.len() * 256);
            for user in &page.items {
                serde_json::to_writer(&mut chunk, &export_line(user)).unwrap_or_default();
                chunk.push(b'\n');
            }
            count += page.items.len() as u64;
            if sender.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
            let Some(after) = page.next_cursor.take() else { break };
            page = match management.export_page(&tenant_id, Some(after)).await {
                Ok(next) => next,
                Err(error) => {
                    // Ending the body with an error breaks the response off mid-stream: the
                    // client sees an incomplete transfer rather than a short, valid file.
                    tracing::error!(%error, "the user export stopped");
                    let _ = sender.send(Err(std::io::Error::other(error.to_string()))).await;
                    return;
                }
            };
        }
        management.record_export(&tenant_id, count).await;
    }));
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}-users.ndjson\"", at.tenant_id()))
        .body(body)
        .unwrap_or_default())
}

/// The most a JSON-array upload may hold: it is read whole (NDJSON streams without bound).
const MAX_ARRAY_BYTES: usize = 16 * 1024 * 1024;

/// An `application/json` body — one array of users, as Auth0's bulk-import files are — as
/// the NDJSON lines the import reads, numbered by element.
async fn array_as_lines(body: Body) -> ApiResult<Body> {
    let limits = crate::extract::BodyLimits { max_bytes: MAX_ARRAY_BYTES, read_timeout: IDLE_BODY };
    let bytes = crate::extract::read_body(body, limits).await?;
    let users: Vec<Value> = serde_json::from_slice(&bytes).map_err(|error| {
        let mut fields = FieldErrors::new();
        let reason = error.to_string();
        fields.add(
            "body",
            format!("must be a JSON array of users: {}", reason.split(" at line ").next().unwrap_or(&reason)),
        );
        Error::validation(fields)
    })?;
    let mut lines = Vec::with_capacity(bytes.len() + users.len());
    for user in &users {
        serde_json::to_writer(&mut lines, user).map_err(Error::internal)?;
        lines.push(b'\n');
    }
    Ok(Body::from(lines))
}

/// Query option `name`: `values[0]` (the default when absent) is false, `values[1]` true;
/// anything else is recorded in `fields`.
fn two_valued(pagination: &Pagination, fields: &mut FieldErrors, name: &str, values: [&str; 2]) -> bool {
    match pagination.params.get(name).map(String::as_str) {
        None => false,
        Some(value) if value == values[0] => false,
        Some(value) if value == values[1] => true,
        Some(_) => {
            fields.add(name, format!("must be {} or {}", values[0], values[1]));
            false
        }
    }
}

/// The import task: reads lines from the body, reports to the response.
struct Run {
    import: Import,
    sender: mpsc::Sender<Bytes>,
    report_all: bool,
    request_id: String,
}

/// Why reading the upload stopped early.
enum Stop {
    /// The store failed; the batch in hand was not written.
    Store(Error),
    /// The upload broke off or paused too long.
    Upload(Error),
}

impl Run {
    async fn feed(mut self, mut body: Body) {
        let stopped = self.read(&mut body).await.err();
        // What was read before an upload broke off is written; a store failure ends it all.
        let error = match stopped {
            Some(Stop::Store(error)) => Some(error),
            Some(Stop::Upload(error)) => self.finish().await.err().or(Some(error)),
            None => self.finish().await.err(),
        };
        let counts = self.import.counts();
        let last = match error {
            Some(error) => json!({ "type": "error", "error": error_body(&error, &self.request_id) }),
            None => json!({ "type": "done" }),
        };
        self.send(with_counts(last, counts)).await;
    }

    async fn finish(&mut self) -> Result<(), Error> {
        let decided = self.import.finish().await?;
        self.report(decided).await;
        Ok(())
    }

    /// Splits the body into lines and feeds them to the import.
    async fn read(&mut self, body: &mut Body) -> Result<(), Stop> {
        let mut buffer: Vec<u8> = Vec::new();
        let mut number = 0u64;
        // Set while the rest of an over-long line is being skipped.
        let mut overlong = false;
        loop {
            let frame = match tokio::time::timeout(IDLE_BODY, body.frame()).await {
                Err(_) => {
                    let error = Error::new(Code::NetworkError)
                        .with_message(format!("The upload paused for over {} s.", IDLE_BODY.as_secs()))
                        .with_detail("line", number);
                    return Err(Stop::Upload(error));
                }
                Ok(None) => break,
                Ok(Some(Err(error))) => {
                    let error = Error::new(Code::NetworkError)
                        .with_message("The upload broke off.")
                        .with_detail("line", number)
                        .with_cause(error.to_string());
                    return Err(Stop::Upload(error));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let mut rest: &[u8] = &data;
            while let Some(end) = rest.iter().position(|&byte| byte == b'\n') {
                number += 1;
                if overlong {
                    overlong = false;
                } else {
                    buffer.extend_from_slice(&rest[..end]);
                    self.take(number, &buffer).await?;
                }
                buffer.clear();
                rest = &rest[end + 1..];
            }
            if !overlong {
                buffer.extend_from_slice(rest);
                if buffer.len() > MAX_IMPORT_LINE_BYTES {
                    // Report it now (as too long) and drop the rest of it unread.
                    self.take(number + 1, &buffer).await?;
                    buffer.clear();
                    overlong = true;
                }
            }
        }
        if !overlong && !buffer.is_empty() {
            self.take(number + 1, &buffer).await?;
        }
        Ok(())
    }

    async fn take(&mut self, number: u64, line: &[u8]) -> Result<(), Stop> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let decided = self.import.line(number, line).await.map_err(Stop::Store)?;
        self.report(decided).await;
        if self.import.counts().lines.is_multiple_of(IMPORT_BATCH as u64) {
            self.send(with_counts(json!({ "type": "progress" }), self.import.counts())).await;
        }
        Ok(())
    }

    async fn report(&self, decided: Vec<(u64, LineOutcome)>) {
        for (number, outcome) in decided {
            let mut line = json!({ "type": "line", "line": number, "outcome": outcome_name(&outcome) });
            match outcome {
                LineOutcome::Rejected(error) => line["error"] = error_body(&error, &self.request_id),
                LineOutcome::Created { id } | LineOutcome::Updated { id } | LineOutcome::Unchanged { id } => {
                    if !self.report_all {
                        continue;
                    }
                    line["user_id"] = id.into();
                }
            }
            self.send(line).await;
        }
    }

    /// A gone client is no reason to stop: what it sent is imported all the same.
    async fn send(&self, line: Value) {
        let mut text = line.to_string();
        text.push('\n');
        let _ = self.sender.send(Bytes::from(text)).await;
    }
}

fn with_counts(mut line: Value, counts: ImportCounts) -> Value {
    if let (Value::Object(line), Ok(Value::Object(counts))) = (&mut line, serde_json::to_value(counts)) {
        line.extend(counts);
    }
    line
}
