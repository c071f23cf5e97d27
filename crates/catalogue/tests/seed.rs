//! Checks the catalogue against the seed document, row by row and verbatim.

use intelliauth_catalogue::{UserCopy, ENTRIES};

fn seed_lines() -> Vec<String> {
    // The in-repo copy is authoritative for a fresh clone; the shared seed, when present
    // beside the clone, must not have drifted from it.
    let in_repo = include_str!("data/error-code-index.txt");
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/error-code-index.txt");
    if let Ok(text) = std::fs::read_to_string(&shared) {
        assert_eq!(text, in_repo, "the in-repo seed copy differs from shared/seed; refresh it");
    }
    in_repo.lines().map(str::to_owned).collect()
}

#[test]
fn every_row_of_the_seed_is_in_the_catalogue_verbatim() {
    let lines = seed_lines();
    for entry in ENTRIES.iter().filter(|entry| entry.code.in_seed()) {
        let expected = match entry.copy {
            UserCopy::Observation(text) => format!("{}{}", entry.code, text),
            _ => format!("{}{}{}", entry.code, entry.seed_copy(), entry.advice),
        };
        assert!(lines.contains(&expected), "seed has no row {expected:?}");
    }
}

#[test]
fn every_code_row_of_the_seed_is_known() {
    // A seed row is a snake_case code immediately followed by its copy: a quote, a
    // parenthesis or a capital letter.
    let codes: Vec<&str> = ENTRIES.iter().filter(|e| e.code.in_seed()).map(|e| e.code.as_str()).collect();
    let row_codes: Vec<String> = seed_lines()
        .into_iter()
        .filter_map(|line| {
            let head: String =
                line.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
            let next = line[head.len()..].chars().next()?;
            (!head.is_empty() && (next == '"' || next == '(' || next.is_ascii_uppercase())).then_some(head)
        })
        .collect();
    for code in &row_codes {
        assert!(codes.contains(&code.as_str()), "seed row {code} is not in the catalogue");
    }
    let rows = row_codes.len();
    assert_eq!(rows, codes.len(), "seed code rows vs the catalogue's seed entries");
}
