//! What crosses out of the sandbox, checked by the host: protocol claims refused, every
//! string bounded, and the Action's secrets masked wherever its output goes (the execution
//! log, test runs, the user's `details.reason`).

use std::collections::BTreeMap;

use super::RunStatus;

/// A deny reason shown to the user (`details.reason`).
pub const MAX_REASON_CHARS: usize = 300;
/// An error message or stack trace kept for the tenant's admins.
pub const MAX_ERROR_BYTES: usize = 4 * 1024;
/// Secrets shorter than this are not masked (they would mask ordinary text).
pub const MIN_MASKED_SECRET_CHARS: usize = 4;

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
pub fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes cut)", &text[..end], text.len() - end)
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Replaces each secret's value with `[secret NAME]`.
pub struct Masker(Vec<(String, String)>);

impl Masker {
    pub fn new(secrets: &BTreeMap<String, String>) -> Self {
        let mut values: Vec<(String, String)> = secrets
            .iter()
            .filter(|(_, value)| value.chars().count() >= MIN_MASKED_SECRET_CHARS)
            .map(|(name, value)| (value.clone(), format!("[secret {name}]")))
            .collect();
        // Longest first, so a secret containing another is masked whole.
        values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        Masker(values)
    }

    pub fn mask(&self, text: &str) -> String {
        self.0.iter().fold(text.to_owned(), |text, (value, mask)| text.replace(value.as_str(), mask))
    }
}

/// The status as the host accepts it: reserved claims make the run a failure; reasons,
/// errors and stacks are masked and bounded. Console lines are masked too.
pub fn contain(status: RunStatus, console: Vec<String>, masker: &Masker) -> (RunStatus, Vec<String>) {
    let console = console.iter().map(|line| masker.mask(line)).collect();
    let status = match status {
        RunStatus::Completed(commands) => match commands.reserved_claim() {
            Some(claim) => RunStatus::Failed {
                error: format!("TypeError: \"{claim}\" is a reserved claim and cannot be set by an Action"),
                stack: None,
            },
            None => {
                let mut commands = commands;
                commands.deny = commands.deny.map(|reason| truncate_chars(&masker.mask(&reason), MAX_REASON_CHARS));
                RunStatus::Completed(commands)
            }
        },
        RunStatus::TimedOut => RunStatus::TimedOut,
        RunStatus::Failed { error, stack } => RunStatus::Failed {
            error: truncate_bytes(&masker.mask(&error), MAX_ERROR_BYTES),
            stack: stack.map(|stack| truncate_bytes(&masker.mask(&stack), MAX_ERROR_BYTES)),
        },
    };
    (status, console)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Commands, RESERVED_CLAIMS};
    use serde_json::json;

    #[test]
    fn reserved_claims_are_refused_whatever_the_sandbox_said() {
        for claim in ["nonce", "sid", "cnf", "email_verified", "grant_id", "at_hash"] {
            assert!(RESERVED_CLAIMS.contains(&claim), "{claim}");
            let mut commands = Commands::default();
            commands.access_token_claims.insert(claim.into(), json!("forged"));
            let (status, _) = contain(RunStatus::Completed(commands), vec![], &Masker::new(&BTreeMap::new()));
            assert!(matches!(status, RunStatus::Failed { ref error, .. } if error.contains(claim)), "{status:?}");
        }
    }

    #[test]
    fn strings_are_masked_and_bounded() {
        let masker =
            Masker::new(&BTreeMap::from([("API_KEY".into(), "sk_live_123".into()), ("PIN".into(), "1".into())]));
        let commands = Commands { deny: Some(format!("{} sk_live_123", "x".repeat(4000))), ..Commands::default() };
        let (status, console) =
            contain(RunStatus::Completed(commands), vec!["log key sk_live_123 pin 1".into()], &masker);
        assert_eq!(console, vec!["log key [secret API_KEY] pin 1"]);
        let RunStatus::Completed(commands) = status else { panic!() };
        assert_eq!(commands.deny.unwrap().chars().count(), MAX_REASON_CHARS + 1);
        let (status, _) = contain(
            RunStatus::Failed { error: format!("Error: sk_live_123 {}", "é".repeat(5000)), stack: None },
            vec![],
            &masker,
        );
        let RunStatus::Failed { error, .. } = status else { panic!() };
        assert!(error.starts_with("Error: [secret API_KEY]") && error.len() < MAX_ERROR_BYTES + 40, "{}", error.len());
    }
}
