//! Sections of bench/RESULTS.md that their own runs write (`## ` headings), kept by the others.

/// Where `text`'s `heading` section starts and ends (at the next `## ` or the end).
fn span(text: &str, heading: &str) -> Option<(usize, usize)> {
    let start = text.find(heading)?;
    let rest = &text[start + heading.len()..];
    Some((start, rest.find("\n## ").map_or(text.len(), |at| start + heading.len() + at + 1)))
}

/// `text` with its `heading` section replaced by `section`, or with `section` appended.
pub fn replace(text: &str, heading: &str, section: &str) -> String {
    match span(text, heading) {
        Some((start, end)) => {
            format!("{}{}\n{}", &text[..start], section.trim_end(), &text[end..]).trim_end().to_owned() + "\n"
        }
        None => format!("{}\n\n{}", text.trim_end(), section.trim_end()) + "\n",
    }
}

/// The `heading` section of `text`, if any, for a run that rewrites the rest to keep.
pub fn existing<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    span(text, heading).map(|(start, end)| &text[start..end])
}
