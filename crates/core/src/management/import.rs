//! Bulk user import: one JSON object per line (Auth0's bulk-import shape), each line checked
//! on its own and the good ones written a batch per transaction.
//!
//! A bad line is reported and skipped, never aborting the import; a batch is written
//! whole or not at all; and a second run of the same file changes nothing (`unchanged`).
//! Imports queue no webhook messages: a million `user.created` events are not what a
//! migration means (the tenant log records the import once, with its counts).

use std::collections::HashSet;

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Params};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Management;
use crate::directory::{ImportRow, ImportWrite};
use crate::validate::{check_email, check_name, normalize_email, FieldErrors};
use crate::{ids, Error, Result};

/// Lines written per transaction: large enough that a million users import in a minute or
/// two, small enough that a batch holds SQLite's write lock for milliseconds.
pub const IMPORT_BATCH: usize = 1000;

/// A longer line is refused unread (the largest real profile is a few KiB).
pub const MAX_IMPORT_LINE_BYTES: usize = 64 * 1024;

/// Bounds on an imported argon2 hash's cost, so one imported row cannot make each sign-in
/// attempt for it allocate gigabytes or spin for seconds (OWASP's profiles stay far below).
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 16;
const MAX_ARGON2_LANES: u32 = 8;

/// What happens to a line whose email already belongs to a user of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// The line is rejected with `conflict`.
    Reject,
    /// The line's fields replace the user's; fields the line leaves out keep their values.
    Update,
}

/// What became of one line.
#[derive(Debug)]
pub enum LineOutcome {
    Created {
        id: String,
    },
    Updated {
        id: String,
    },
    /// The user exists and already holds what the line says.
    Unchanged {
        id: String,
    },
    Rejected(Error),
}

/// Running totals, for progress and the final report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    pub lines: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// One line in Auth0's bulk-import user schema, as far as IntelliAuth stores it. A field
/// it does not store is refused by name rather than dropped in silence.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
    /// Auth0's name for a disabled user.
    blocked: Option<bool>,
    app_metadata: Option<Map<String, Value>>,
    /// Auth0 puts a bcrypt hash here; IntelliAuth takes any hash it verifies.
    password_hash: Option<String>,
    custom_password_hash: Option<CustomHash>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomHash {
    algorithm: String,
    hash: HashValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HashValue {
    value: String,
}

/// An import in progress: feed it lines in order, then `finish`.
pub struct Import {
    management: Management,
    tenant_id: String,
    on_existing: OnExisting,
    pending: Vec<(u64, ImportRow)>,
    pending_emails: HashSet<String>,
    counts: ImportCounts,
    now: i64,
}

impl Management {
    /// Starts an import into `tenant_id` (which must exist).
    pub async fn start_import(&self, tenant_id: &str, on_existing: OnExisting) -> Result<Import> {
        self.tenant(tenant_id).await?;
        Ok(Import {
            management: self.clone(),
            tenant_id: tenant_id.to_owned(),
            on_existing,
            pending: Vec::with_capacity(IMPORT_BATCH),
            pending_emails: HashSet::new(),
            counts: ImportCounts::default(),
            now: ids::now_ms(),
        })
    }
}

impl Import {
    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Takes line `number` (1-based). Returns the outcomes of every line decided by it: a
    /// rejected line at once, and a whole batch when this line filled one (or repeats an
    /// email the batch already holds, which must be written first). `Err` only when the
    /// store failed: the batch was not written and the import cannot go on.
    pub async fn line(&mut self, number: u64, text: &[u8]) -> Result<Vec<(u64, LineOutcome)>> {
        self.counts.lines += 1;
        let row = match parse_line(text) {
            Ok(row) => row,
            Err(error) => {
                self.counts.rejected += 1;
                return Ok(vec![(number, LineOutcome::Rejected(error))]);
            }
        };
        let mut decided = Vec::new();
        if self.pending_emails.contains(&row.email) {
            decided = self.flush().await?;
        }
        self.pending_emails.insert(row.email.clone());
        self.pending.push((number, row));
        if self.pending.len() >= IMPORT_BATCH {
            decided.extend(self.flush().await?);
        }
        Ok(decided)
    }

    /// Writes what is pending and records the import in the tenant log: the last step,
    /// also after the upload broke off (each line stands alone, so what came is written).
    pub async fn finish(&mut self) -> Result<Vec<(u64, LineOutcome)>> {
        let decided = self.flush().await?;
        let details = serde_json::to_value(self.counts).unwrap_or_default();
        self.management.record_change(&self.tenant_id, "admin.users.imported", details).await;
        Ok(decided)
    }

    /// Writes the pending batch in one transaction and says what became of each line.
    async fn flush(&mut self) -> Result<Vec<(u64, LineOutcome)>> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        // A failed write ends the import, so the batch need not stay pending for a retry.
        let (numbers, rows): (Vec<u64>, Vec<ImportRow>) = std::mem::take(&mut self.pending).into_iter().unzip();
        self.pending_emails.clear();
        let update = self.on_existing == OnExisting::Update;
        let written = self.management.store.import_users(&self.tenant_id, &rows, update, self.now).await?;
        Ok(numbers.into_iter().zip(rows).map(|(number, row)| (number, self.outcome(row, &written))).collect())
    }

    fn outcome(&mut self, row: ImportRow, written: &ImportWrite) -> LineOutcome {
        if written.created.contains(&row.email) {
            self.counts.created += 1;
            return LineOutcome::Created { id: row.id };
        }
        let existing = written.existing.get(&row.email).cloned();
        match (existing, self.on_existing) {
            (Some(id), OnExisting::Update) if written.updated.contains(&row.email) => {
                self.counts.updated += 1;
                LineOutcome::Updated { id }
            }
            (Some(id), OnExisting::Update) => {
                self.counts.unchanged += 1;
                LineOutcome::Unchanged { id }
            }
            // Rejected, or created by someone else between this batch's reads and writes.
            _ => {
                self.counts.rejected += 1;
                LineOutcome::Rejected(Error::conflict("user", "email", &row.email))
            }
        }
    }
}

/// The row a line describes, or the catalogue error saying what is wrong with it.
fn parse_line(text: &[u8]) -> Result<ImportRow> {
    let mut errors = FieldErrors::new();
    if text.len() > MAX_IMPORT_LINE_BYTES {
        errors.add("line", format!("must be at most {MAX_IMPORT_LINE_BYTES} bytes"));
        return Err(Error::validation(errors));
    }
    let line: Line = match serde_json::from_slice(text) {
        Ok(line) => line,
        Err(error) => {
            errors.add(&json_error_field(&error), json_error_message(&error));
            return Err(Error::validation(errors));
        }
    };
    let email = normalize_email(line.email.as_deref().unwrap_or_default());
    if line.email.is_none() {
        errors.add("email", "is required");
    } else {
        check_email(&mut errors, "email", &email);
    }
    if let Some(name) = &line.name {
        check_name(&mut errors, "name", name, 200);
    }
    let password_hash = match (line.password_hash, line.custom_password_hash) {
        (Some(_), Some(_)) => {
            errors.add("custom_password_hash", "give either password_hash or custom_password_hash, not both");
            None
        }
        (Some(hash), None) => check_hash(&mut errors, "password_hash", &hash).then_some(hash),
        (None, Some(custom)) => {
            let known = custom.algorithm == "argon2";
            if !known {
                errors.add("custom_password_hash.algorithm", "must be argon2 (other algorithms are not imported yet)");
            }
            (known && check_hash(&mut errors, "custom_password_hash.hash.value", &custom.hash.value))
                .then_some(custom.hash.value)
        }
        (None, None) => None,
    };
    errors.into_result()?;
    Ok(ImportRow {
        id: ids::new_id("usr"),
        email,
        email_verified: line.email_verified,
        name: line.name.map(|name| name.trim().to_owned()),
        disabled: line.blocked,
        password_hash,
        app_metadata: line.app_metadata,
    })
}

/// Whether `hash` is an argon2id or argon2i PHC string that sign-in can verify within the
/// cost bounds; says why not under `field`.
fn check_hash(errors: &mut FieldErrors, field: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        errors.add(field, "must be a PHC string such as $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>");
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() && parsed.algorithm != Algorithm::Argon2i.ident() {
        errors.add(field, format!("{} hashes are not imported yet; argon2id and argon2i are", parsed.algorithm));
        return false;
    }
    let (Ok(params), Some(_)) = (Params::try_from(&parsed), parsed.hash) else {
        errors.add(field, "is not a complete argon2 hash (parameters, salt and hash)");
        return false;
    };
    let bounded = params.m_cost() <= MAX_ARGON2_MEMORY_KIB
        && params.t_cost() <= MAX_ARGON2_PASSES
        && params.p_cost() <= MAX_ARGON2_LANES;
    if !bounded {
        errors.add(
            field,
            format!(
                "costs more than sign-in allows (at most m={MAX_ARGON2_MEMORY_KIB}, t={MAX_ARGON2_PASSES}, p={MAX_ARGON2_LANES})"
            ),
        );
    }
    bounded
}

/// The field a JSON error is about: the unknown or mistyped field where serde names it.
fn json_error_field(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next()) {
        Some(field) => field.to_owned(),
        None => "line".to_owned(),
    }
}

fn json_error_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if text.starts_with("unknown field") {
        "is not a field IntelliAuth imports (remove it from the line)".to_owned()
    } else {
        format!("is not a user object: {}", text.split(" at line ").next().unwrap_or(&text))
    }
}

/// An outcome's name, as reports say it.
pub fn outcome_name(outcome: &LineOutcome) -> &'static str {
    match outcome {
        LineOutcome::Created { .. } => "created",
        LineOutcome::Updated { .. } => "updated",
        LineOutcome::Unchanged { .. } => "unchanged",
        LineOutcome::Rejected(_) => "rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_errors(text: &str) -> Value {
        let error = parse_line(text.as_bytes()).expect_err(text);
        error.details["fields"].clone()
    }

    #[test]
    fn a_line_in_auth0_shape_becomes_a_row() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let line = format!(
            r#"{{"email":" Ada@Example.com ","email_verified":true,"name":"Ada","blocked":false,"app_metadata":{{"plan":"pro"}},"custom_password_hash":{{"algorithm":"argon2","hash":{{"value":"{hash}"}}}}}}"#
        );
        let row = parse_line(line.as_bytes()).unwrap();
        assert_eq!(row.email, "ada@example.com");
        assert_eq!(row.password_hash.as_deref(), Some(hash));
        assert_eq!(row.disabled, Some(false));
        assert!(row.id.starts_with("usr_"));
    }

    #[test]
    fn every_problem_of_a_line_is_named_by_field() {
        assert!(field_errors("{\"email\":\"nope\"}")["email"].is_array());
        assert!(field_errors("{\"email\":\"a@b.co\",\"picture\":\"x\"}")["picture"].is_array());
        assert!(field_errors("not json")["line"].is_array());
        assert!(field_errors("{}")["email"].is_array());
        let bcrypt = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert!(field_errors(&format!("{{\"email\":\"a@b.co\",\"password_hash\":\"{bcrypt}\"}}"))["password_hash"]
            .is_array());
        let huge = "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        assert!(
            field_errors(&format!("{{\"email\":\"a@b.co\",\"password_hash\":\"{huge}\"}}"))["password_hash"].is_array()
        );
        let sha = r#"{"email":"a@b.co","custom_password_hash":{"algorithm":"sha256","hash":{"value":"x"}}}"#;
        assert!(field_errors(sha)["custom_password_hash.algorithm"].is_array());
        assert!(field_errors(&"x".repeat(MAX_IMPORT_LINE_BYTES + 1))["line"].is_array());
    }
}
