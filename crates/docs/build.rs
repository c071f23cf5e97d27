//! Embeds docs/src: every Markdown page, with `{{#include path}}` lines replaced by the
//! file they name (relative to the page), so example code lives in tested files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn pages(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    // A page added to a folder changes the folder, not docs/src.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("docs/src is readable").flatten().collect();
    entries.sort_by_key(|entry| entry.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            pages(&path, root, out);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((relative, path));
        }
    }
}

fn expand(page: &Path) -> String {
    let text = std::fs::read_to_string(page).expect("a readable page");
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let include = line.trim().strip_prefix("{{#include ").and_then(|rest| rest.strip_suffix("}}"));
        match include {
            Some(target) => {
                let path = page.parent().unwrap().join(target.trim());
                println!("cargo:rerun-if-changed={}", path.display());
                let included = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("{} includes {}: {error}", page.display(), path.display()));
                out.push_str(included.trim_end());
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/src");
    let root = root.canonicalize().expect("docs/src exists");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut found = Vec::new();
    pages(&root, &root, &mut found);
    let mut generated = String::from("pub(crate) static PAGES: &[(&str, &str)] = &[\n");
    for (relative, path) in &found {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(generated, "    ({relative:?}, {:?}),", expand(path));
    }
    generated.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("pages.rs");
    std::fs::write(out, generated).expect("OUT_DIR is writable");
}
