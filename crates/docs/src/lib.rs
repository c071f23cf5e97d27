//! The documentation site: the pages of docs/src (embedded by build.rs, includes resolved)
//! rendered to HTML once, with the navigation of `SUMMARY.md`, heading anchors, and links
//! between pages rewritten to their served paths (`guide.md#x` → `/docs/guide#x`).
//! [`Site::broken_links`] is what CI checks.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

include!(concat!(env!("OUT_DIR"), "/pages.rs"));

/// Where the site is served.
pub const BASE: &str = "/docs";

/// One rendered page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The source path under docs/src, e.g. `troubleshooting/step-up.md`.
    pub source: &'static str,
    pub title: String,
    /// The page's own HTML (without the layout).
    pub body: String,
    /// Heading anchors on the page.
    pub anchors: HashSet<String>,
    /// Link targets as written, for the link check.
    pub links: Vec<String>,
}

/// Every page, by served path (`""` for the index, `troubleshooting/step-up`, …).
pub struct Site {
    pages: BTreeMap<String, Page>,
    /// `(title, served path)` in the order of SUMMARY.md, with nesting depth.
    navigation: Vec<(usize, String, String)>,
}

/// The served path of a source path: `index.md` → `""`, `a/b.md` → `a/b`.
fn served_path(source: &str) -> String {
    let stem = source.strip_suffix(".md").unwrap_or(source);
    if stem == "index" {
        String::new()
    } else {
        stem.strip_suffix("/index").unwrap_or(stem).to_owned()
    }
}

/// GitHub-style heading anchors: lower case, spaces to `-`, punctuation dropped.
pub fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// Resolves `target` (relative to the page at `from`) to a served path and anchor.
fn resolve(from: &str, target: &str) -> Option<(String, Option<String>)> {
    if target.contains("://") || target.starts_with("mailto:") || target.starts_with('/') {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor.to_owned())),
        None => (target, None),
    };
    if path.is_empty() {
        return Some((served_path(from), anchor));
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in path.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some((served_path(&parts.join("/")), anchor))
}

fn render(source: &'static str, markdown: &str) -> Page {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events = Vec::new();
    let mut title = None;
    let mut anchors = HashSet::new();
    let mut links = Vec::new();
    let mut heading: Option<(HeadingLevel, Vec<Event>)> = None;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, Vec::new())),
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, inner)) = heading.take() else { continue };
                let text: String = inner
                    .iter()
                    .filter_map(|event| match event {
                        Event::Text(text) | Event::Code(text) => Some(text.as_ref()),
                        _ => None,
                    })
                    .collect();
                let mut anchor = slug(&text);
                // Repeated headings get -1, -2, … as on GitHub.
                let base = anchor.clone();
                let mut n = 0;
                while anchors.contains(&anchor) {
                    n += 1;
                    anchor = format!("{base}-{n}");
                }
                anchors.insert(anchor.clone());
                if level == HeadingLevel::H1 && title.is_none() {
                    title = Some(text.clone());
                }
                let mut inner_html = String::new();
                html::push_html(&mut inner_html, inner.into_iter());
                events.push(Event::Html(CowStr::from(format!(
                    "<{level} id=\"{anchor}\"><a class=\"anchor\" href=\"#{anchor}\">{inner_html}</a></{level}>\n"
                ))));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                links.push(dest_url.to_string());
                let dest_url = match resolve(source, &dest_url) {
                    Some((path, anchor)) => {
                        let mut url = if path.is_empty() { format!("{BASE}/") } else { format!("{BASE}/{path}") };
                        if let Some(anchor) = anchor {
                            url.push('#');
                            url.push_str(&anchor);
                        }
                        CowStr::from(url)
                    }
                    None => dest_url,
                };
                let event = Event::Start(Tag::Link { link_type, dest_url, title, id });
                match &mut heading {
                    Some((_, inner)) => inner.push(event),
                    None => events.push(event),
                }
            }
            other => match &mut heading {
                Some((_, inner)) => inner.push(other),
                None => events.push(other),
            },
        }
    }
    let mut body = String::new();
    html::push_html(&mut body, events.into_iter());
    Page { source, title: title.unwrap_or_else(|| served_path(source)), body, anchors, links }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Site {
    /// Renders every page of docs/src.
    pub fn build() -> Site {
        let mut pages = BTreeMap::new();
        let mut summary = "";
        for (source, markdown) in PAGES {
            if *source == "SUMMARY.md" {
                summary = markdown;
                continue;
            }
            pages.insert(served_path(source), render(source, markdown));
        }
        let mut navigation = Vec::new();
        for line in summary.lines() {
            let depth = (line.len() - line.trim_start().len()) / 2;
            let item = line.trim_start().trim_start_matches(['-', '*']).trim();
            let Some((title, rest)) = item.strip_prefix('[').and_then(|item| item.split_once("](")) else { continue };
            let Some(target) = rest.strip_suffix(')') else { continue };
            if let Some((path, _)) = resolve("SUMMARY.md", target) {
                navigation.push((depth, title.to_owned(), path));
            }
        }
        Site { pages, navigation }
    }

    /// The page served at `path` (`""` is the index).
    pub fn page(&self, path: &str) -> Option<&Page> {
        self.pages.get(path.trim_matches('/'))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.pages.keys().map(String::as_str)
    }

    /// The whole HTML document for the page at `path`.
    pub fn html(&self, path: &str) -> Option<String> {
        let page = self.page(path)?;
        let current = path.trim_matches('/');
        let mut nav = String::new();
        for (depth, title, target) in &self.navigation {
            let href = if target.is_empty() { format!("{BASE}/") } else { format!("{BASE}/{target}") };
            let here = if target == current { " aria-current=\"page\"" } else { "" };
            let _ = write!(
                nav,
                "<li class=\"depth-{depth}\"><a href=\"{}\"{here}>{}</a></li>",
                escape(&href),
                escape(title)
            );
        }
        Some(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · IntelliAuth docs</title><link rel=\"stylesheet\" href=\"{BASE}/style.css\"></head>\
             <body><nav><a class=\"home\" href=\"{BASE}/\">IntelliAuth</a><ul>{nav}</ul></nav>\
             <main>{body}</main></body></html>",
            title = escape(&page.title),
            body = page.body,
        ))
    }

    /// Every link between pages that points nowhere: a missing page or a missing anchor.
    /// Links to outside the site (`https://…`, `/v1/…`) are not checked.
    pub fn broken_links(&self) -> Vec<String> {
        let mut broken = Vec::new();
        let summary_targets =
            self.navigation.iter().map(|(_, title, path)| (format!("SUMMARY.md ({title})"), path.clone(), None));
        let page_targets = self.pages.values().flat_map(|page| {
            page.links.iter().filter_map(move |link| {
                resolve(page.source, link).map(|(path, anchor)| (format!("{} → {link}", page.source), path, anchor))
            })
        });
        for (from, path, anchor) in summary_targets.chain(page_targets) {
            match self.pages.get(&path) {
                None => broken.push(format!("{from}: no page {path:?}")),
                Some(target) => {
                    if let Some(anchor) = anchor.filter(|anchor| !target.anchors.contains(anchor)) {
                        broken.push(format!("{from}: {path:?} has no heading #{anchor}"));
                    }
                }
            }
        }
        broken
    }
}

/// The site's stylesheet.
pub const STYLE: &str = include_str!("style.css");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_to_served_paths() {
        assert_eq!(
            resolve("troubleshooting/step-up.md", "../sdk.md#fetch"),
            Some(("sdk".into(), Some("fetch".into())))
        );
        assert_eq!(resolve("index.md", "getting-started.md"), Some(("getting-started".into(), None)));
        assert_eq!(resolve("a.md", "#here"), Some(("a".into(), Some("here".into()))));
        assert_eq!(resolve("a.md", "https://example.com"), None);
        assert_eq!(resolve("a.md", "../../outside.md"), None);
    }

    #[test]
    fn headings_get_github_anchors() {
        assert_eq!(slug("Handling `mfa_required`"), "handling-mfa_required");
        assert_eq!(slug("Step-up: what & why"), "step-up-what--why");
    }

    #[test]
    fn every_page_renders_and_no_link_is_broken() {
        let site = Site::build();
        assert!(site.page("").is_some(), "docs/src/index.md");
        assert!(site.page("reference/error-codes").is_some());
        let broken = site.broken_links();
        assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
        for path in site.paths() {
            assert!(site.html(path).unwrap().contains("<main>"));
        }
    }

    #[test]
    fn the_error_index_lists_every_code() {
        let site = Site::build();
        let index = &site.page("reference/error-codes").unwrap().body;
        assert_eq!(index.matches("<td><code>").count(), intelliauth_catalogue::ENTRIES.len(), "one row per code");
        for entry in intelliauth_catalogue::ENTRIES {
            assert!(index.contains(&format!("<td><code>{}</code></td>", entry.code)), "{} is listed", entry.code);
        }
    }
}
