//! Cursor pagination: opaque cursors over time-ordered ids.

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// The longest cursor: an email of 254 bytes in base64url.
pub const MAX_CURSOR: usize = 340;

/// Which page to read: up to `limit` items with ids after `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<String>,
}

impl PageRequest {
    /// The same page with one extra row, which tells [`Page::from_rows`] whether more follow.
    pub fn with_lookahead(&self) -> PageRequest {
        PageRequest { limit: self.limit + 1, after: self.after.clone() }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { limit: DEFAULT_LIMIT, after: None }
    }
}

/// One page and the cursor to the next, if there is more.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, id_of: impl Fn(&T) -> &str) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|row| encode_cursor(id_of(row))) } else { None };
        Page { items: rows, next_cursor }
    }
}

/// A cursor is the last id of the page (an email search's: its last email, base64url): ids
/// are URL-safe already, and a cursor any client can describe with a pattern
/// (`^[A-Za-z0-9_-]{1,MAX_CURSOR}$`) is one every well-formed value of which is accepted.
/// It reveals nothing the page did not already show.
pub fn encode_cursor(id: &str) -> String {
    id.to_owned()
}

/// `None` when the cursor is not of the form [`encode_cursor`] makes.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    let well_formed = !cursor.is_empty()
        && cursor.len() <= MAX_CURSOR
        && cursor.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    well_formed.then(|| cursor.to_owned())
}
