//! Bulk user import: one JSON object per line (Auth0's bulk-import shape), each line checked
//! on its own and the good ones written a batch per transaction.
//!
//! A bad line is reported and skipped, never aborting the import; a batch is written
//! whole or not at all; and a second run of the same file changes nothing (`unchanged`).
//! Imports queue no webhook messages: a million `user.created` events are not what a
//! migration means (the tenant log records the import once, with its counts).

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::users::check_profile;
use super::Management;
use crate::directory::{ImportMatch, ImportRow, ImportWrite};
use crate::legacy_hash::{self, CustomHash};
use crate::model::{Profile, User, UI_LOCALES};
use crate::page::{Page, PageRequest};
use crate::ports::UserFilter;
use crate::validate::{check_email, check_name, normalize_email, FieldErrors};
use crate::{ids, Error, Result};

/// Lines written per transaction: large enough that a million users import in a minute or
/// two, small enough that a batch holds SQLite's write lock for milliseconds.
pub const IMPORT_BATCH: usize = 1000;

/// A longer line is refused unread (the largest real profile is a few KiB).
pub const MAX_IMPORT_LINE_BYTES: usize = 64 * 1024;

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

/// One line in Auth0's bulk-import user schema, or IntelliAuth's export (the same fields
/// plus `id`), as far as IntelliAuth stores it. A field it does not store is refused by
/// name rather than dropped in silence.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    /// IntelliAuth's own id (its export): a created user keeps it, so tokens' `sub` stays.
    id: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    /// The id in the system the user comes from (Auth0's `auth0|…`).
    user_id: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    picture: Option<String>,
    /// Auth0's name for a disabled user.
    blocked: Option<bool>,
    /// The hosted pages' language the user chose (IntelliAuth's export).
    locale: Option<String>,
    /// When the user was created (RFC 3339), kept by a created user.
    created_at: Option<String>,
    app_metadata: Option<Map<String, Value>>,
    user_metadata: Option<Map<String, Value>>,
    /// Auth0 puts a bcrypt hash here; IntelliAuth takes any stored form it verifies (see
    /// [`crate::legacy_hash`]), which is what its own export writes.
    password_hash: Option<String>,
    custom_password_hash: Option<CustomHash>,
}

/// An import in progress: feed it lines in order, then `finish`.
pub struct Import {
    management: Management,
    tenant_id: String,
    on_existing: OnExisting,
    by: ImportMatch,
    pending: Vec<(u64, ImportRow)>,
    /// The pending rows' emails and external ids: a repeat must wait for the next batch.
    pending_keys: HashSet<String>,
    counts: ImportCounts,
    now: i64,
}

impl Management {
    /// Starts an import into `tenant_id` (which must exist), matching lines to existing
    /// users `by` their email or external id.
    pub async fn start_import(&self, tenant_id: &str, on_existing: OnExisting, by: ImportMatch) -> Result<Import> {
        self.tenant(tenant_id).await?;
        Ok(Import {
            management: self.clone(),
            tenant_id: tenant_id.to_owned(),
            on_existing,
            by,
            pending: Vec::with_capacity(IMPORT_BATCH),
            pending_keys: HashSet::new(),
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
        let row = match parse_line(text, self.by) {
            Ok(row) => row,
            Err(error) => {
                self.counts.rejected += 1;
                return Ok(vec![(number, LineOutcome::Rejected(error))]);
            }
        };
        let mut decided = Vec::new();
        let keys = pending_keys(&row);
        if keys.iter().any(|key| self.pending_keys.contains(key)) {
            decided = self.flush().await?;
        }
        self.pending_keys.extend(keys);
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
        self.pending_keys.clear();
        let update = self.on_existing == OnExisting::Update;
        let written = self.management.store.import_users(&self.tenant_id, &rows, self.by, update, self.now).await?;
        Ok(numbers.into_iter().zip(rows).map(|(number, row)| (number, self.outcome(row, &written))).collect())
    }

    fn outcome(&mut self, row: ImportRow, written: &ImportWrite) -> LineOutcome {
        let key = row.key(self.by).unwrap_or_default().to_owned();
        if written.created.contains(&key) {
            self.counts.created += 1;
            return LineOutcome::Created { id: row.id };
        }
        let existing = written.existing.get(&key);
        match (existing, self.on_existing) {
            (Some(id), OnExisting::Update) if written.updated.contains(&key) => {
                self.counts.updated += 1;
                LineOutcome::Updated { id: id.clone() }
            }
            (Some(id), OnExisting::Update) => {
                self.counts.unchanged += 1;
                LineOutcome::Unchanged { id: id.clone() }
            }
            // Rejected, taken by another user on its other key, or created by someone else
            // between this batch's reads and writes.
            _ => {
                self.counts.rejected += 1;
                let (field, value) = if existing.is_some() {
                    (key_field(self.by), key.as_str())
                } else {
                    other_unique_field(&row, self.by)
                };
                LineOutcome::Rejected(Error::conflict("user", field, value))
            }
        }
    }
}

/// The row a legacy password verifier's answer describes, for the user `email` it was asked
/// about: an import line whose email, if it gives one, must be that one; hashes in it are
/// ignored (the password just verified is hashed instead).
pub fn row_from_verifier(mut answer: Value, email: &str) -> Result<ImportRow> {
    let mut errors = FieldErrors::new();
    let Some(line) = answer.as_object_mut() else {
        errors.add("user", "must be an object");
        return Err(Error::validation(errors));
    };
    line.remove("password_hash");
    line.remove("custom_password_hash");
    line.remove("id");
    match line.get("email").and_then(Value::as_str).map(normalize_email) {
        Some(answered) if answered != email => {
            errors.add("user.email", "is not the email the verifier was asked about");
            return Err(Error::validation(errors));
        }
        _ => {
            line.insert("email".into(), Value::String(email.to_owned()));
        }
    }
    parse_line(answer.to_string().as_bytes(), ImportMatch::Email)
}

/// The name lines give the key `by` under.
fn key_field(by: ImportMatch) -> &'static str {
    match by {
        ImportMatch::Email => "email",
        ImportMatch::ExternalId => "user_id",
    }
}

/// The field besides the key that must have collided when a row whose key is new was not
/// created: the other key, else the id it brought.
fn other_unique_field(row: &ImportRow, by: ImportMatch) -> (&'static str, &str) {
    match (by, &row.external_id) {
        (ImportMatch::Email, Some(external_id)) => ("user_id", external_id),
        (ImportMatch::Email, None) => ("id", &row.id),
        (ImportMatch::ExternalId, _) => ("email", &row.email),
    }
}

/// What a row must not share with another row of its batch.
fn pending_keys(row: &ImportRow) -> Vec<String> {
    let mut keys = vec![format!("email:{}", row.email)];
    keys.extend(row.external_id.as_ref().map(|id| format!("user_id:{id}")));
    keys
}

/// The row a line describes, or the catalogue error saying what is wrong with it.
fn parse_line(text: &[u8], by: ImportMatch) -> Result<ImportRow> {
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
    match &line.user_id {
        Some(user_id) => check_name(&mut errors, "user_id", user_id, 255),
        None if by == ImportMatch::ExternalId => errors.add("user_id", "is required when lines are matched by user_id"),
        None => {}
    }
    if let Some(id) = &line.id {
        if !is_user_id(id) {
            errors.add("id", "must be an IntelliAuth user id (usr_ and at most 64 letters, digits, - or _)");
        }
    }
    let profile = Profile {
        given_name: line.given_name.map(|name| name.trim().to_owned()),
        family_name: line.family_name.map(|name| name.trim().to_owned()),
        nickname: line.nickname.map(|name| name.trim().to_owned()),
        picture: line.picture,
    };
    check_profile(&mut errors, &profile, line.user_metadata.as_ref().unwrap_or(&Map::new()));
    if line.locale.as_deref().is_some_and(|locale| !UI_LOCALES.contains(&locale)) {
        errors.add("locale", format!("must be one of {}", UI_LOCALES.join(", ")));
    }
    let created_at = line.created_at.as_deref().map(ids::parse_rfc3339);
    if matches!(created_at, Some(None)) || created_at.flatten().is_some_and(|at| at > ids::now_ms() || at < 0) {
        errors.add("created_at", "must be a past RFC 3339 time such as 2024-01-31T12:00:00Z");
    }
    let password_hash = match (line.password_hash, line.custom_password_hash) {
        (Some(_), Some(_)) => {
            errors.add("custom_password_hash", "give either password_hash or custom_password_hash, not both");
            None
        }
        (Some(hash), None) => match legacy_hash::check(&hash) {
            Ok(()) => Some(hash),
            Err(why) => {
                errors.add("password_hash", why);
                None
            }
        },
        (None, Some(custom)) => match legacy_hash::from_custom(&custom) {
            Ok(stored) => Some(stored),
            Err((field, why)) => {
                errors.add(&format!("custom_password_hash.{field}"), why);
                None
            }
        },
        (None, None) => None,
    };
    errors.into_result()?;
    Ok(ImportRow {
        id: line.id.unwrap_or_else(|| ids::new_id("usr")),
        email,
        email_verified: line.email_verified,
        name: line.name.map(|name| name.trim().to_owned()),
        disabled: line.blocked,
        password_hash,
        app_metadata: line.app_metadata,
        profile: (profile != Profile::default()).then_some(profile),
        user_metadata: line.user_metadata,
        external_id: line.user_id,
        locale: line.locale,
        created_at: created_at.flatten(),
    })
}

/// Whether `id` has the shape of the ids IntelliAuth gives users.
fn is_user_id(id: &str) -> bool {
    id.strip_prefix("usr_").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 64
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
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

/// Users read per page of an export.
pub const EXPORT_PAGE: u32 = 500;

impl Management {
    /// A page of `tenant_id`'s users for the export, in id order after `after`.
    pub async fn export_page(&self, tenant_id: &str, after: Option<String>) -> Result<Page<User>> {
        let request = PageRequest { limit: EXPORT_PAGE, after };
        let rows = self.store.list_users(tenant_id, &UserFilter::default(), &request.with_lookahead()).await?;
        Ok(Page::from_rows(rows, EXPORT_PAGE, |user| &user.id))
    }

    /// Users of every tenant by password hash scheme (for metrics).
    pub async fn password_schemes(&self) -> Result<Vec<(String, i64)>> {
        Ok(self.store.count_password_schemes(&self.hasher.current_prefix()).await?)
    }

    /// Records in the tenant log that an export of `count` users (hashes included) ran.
    pub async fn record_export(&self, tenant_id: &str, count: u64) {
        self.record_change(tenant_id, "admin.users.exported", json!({ "users": count })).await;
    }
}

/// `user` as a line of the export: the fields an import reads (so the file imports as it
/// is, into this installation or another), its stored password hash included.
pub fn export_line(user: &User) -> Value {
    let mut line = json!({
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "blocked": user.disabled,
        "created_at": ids::rfc3339(user.meta.created_at),
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
    });
    let optional = [
        ("user_id", &user.external_id),
        ("name", &user.name),
        ("locale", &user.locale),
        ("password_hash", &user.password_hash),
    ];
    for (field, value) in optional.into_iter().filter_map(|(field, value)| Some((field, value.as_ref()?))) {
        line[field] = value.clone().into();
    }
    for (claim, value) in user.profile.claims() {
        line[claim] = value.into();
    }
    line
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
        let error = parse_line(text.as_bytes(), ImportMatch::Email).expect_err(text);
        error.details["fields"].clone()
    }

    #[test]
    fn a_line_in_auth0_shape_becomes_a_row() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let line = format!(
            r#"{{"email":" Ada@Example.com ","email_verified":true,"name":"Ada","blocked":false,"app_metadata":{{"plan":"pro"}},"custom_password_hash":{{"algorithm":"argon2","hash":{{"value":"{hash}"}}}}}}"#
        );
        let row = parse_line(line.as_bytes(), ImportMatch::Email).unwrap();
        assert_eq!(row.email, "ada@example.com");
        assert_eq!(row.password_hash.as_deref(), Some(hash));
        assert_eq!(row.disabled, Some(false));
        assert!(row.id.starts_with("usr_"));
    }

    #[test]
    fn an_exported_user_imports_as_the_same_row() {
        let mut user = crate::events::tests_user();
        user.external_id = Some("auth0|42".into());
        user.profile.given_name = Some("Ada".into());
        user.profile.picture = Some("https://example.com/ada.png".into());
        user.user_metadata.insert("theme".into(), json!("dark"));
        user.locale = Some("fr".into());
        user.password_hash = Some("$2b$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy".into());
        let line = export_line(&user).to_string();
        let row = parse_line(line.as_bytes(), ImportMatch::ExternalId).unwrap();
        assert_eq!(row.id, user.id);
        assert_eq!(row.email, user.email);
        assert_eq!(row.external_id, user.external_id);
        assert_eq!(row.profile.as_ref(), Some(&user.profile));
        assert_eq!(row.user_metadata.as_ref(), Some(&user.user_metadata));
        assert_eq!(row.password_hash, user.password_hash);
        assert_eq!(row.disabled, Some(user.disabled));
        assert_eq!(row.locale, user.locale);
        assert_eq!(row.created_at, Some(user.meta.created_at));
    }

    #[test]
    fn every_problem_of_a_line_is_named_by_field() {
        assert!(field_errors("{\"email\":\"nope\"}")["email"].is_array());
        assert!(field_errors("{\"email\":\"a@b.co\",\"picture\":\"http://x.example/p.png\"}")["picture"].is_array());
        assert!(field_errors("{\"email\":\"a@b.co\",\"phone\":\"+1\"}")["phone"].is_array());
        assert!(field_errors("{\"email\":\"a@b.co\",\"created_at\":\"yesterday\"}")["created_at"].is_array());
        assert!(field_errors("{\"email\":\"a@b.co\",\"created_at\":\"2999-01-01T00:00:00Z\"}")["created_at"].is_array());
        assert!(field_errors("not json")["line"].is_array());
        assert!(field_errors("{}")["email"].is_array());
        let bcrypt = "$2b$17$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert!(field_errors(&format!("{{\"email\":\"a@b.co\",\"password_hash\":\"{bcrypt}\"}}"))["password_hash"]
            .is_array());
        let huge = "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        assert!(
            field_errors(&format!("{{\"email\":\"a@b.co\",\"password_hash\":\"{huge}\"}}"))["password_hash"].is_array()
        );
        let sha = r#"{"email":"a@b.co","custom_password_hash":{"algorithm":"md5","hash":{"value":"x"}}}"#;
        assert!(field_errors(sha)["custom_password_hash.algorithm"].is_array());
        assert!(field_errors(&"x".repeat(MAX_IMPORT_LINE_BYTES + 1))["line"].is_array());
    }
}
