//! The generated SDK types and docs index must match the catalogue: run `cargo xtask gen`.

use std::path::Path;

use intelliauth_catalogue::render;

fn check(relative: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(actual == expected, "{relative} is stale or missing: run `cargo xtask gen`");
}

#[test]
fn sdk_types_are_fresh() {
    check(render::TYPESCRIPT_PATH, &render::typescript());
}

#[test]
fn docs_error_index_is_fresh() {
    check(render::MARKDOWN_PATH, &render::markdown_index());
}

#[test]
fn generated_union_names_every_code() {
    let typescript = render::typescript();
    for entry in intelliauth_catalogue::ENTRIES {
        assert!(typescript.contains(&format!("  | '{}'\n", entry.code)), "{}", entry.code);
    }
}
