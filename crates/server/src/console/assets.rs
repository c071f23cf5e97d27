//! The console's static files, embedded in the binary: its own script and stylesheet, and
//! the vendored libraries it is built on (Chart.js, CodeMirror 5, jsdiff; licences in
//! `assets/vendor/LICENSES.txt`).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use intelliauth_catalogue::Code;
use intelliauth_core::Error;

use crate::error::ApiError;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Name, content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    ("console.js", JS, include_bytes!("assets/console.js")),
    ("console.css", CSS, include_bytes!("assets/console.css")),
    ("chart.umd.min.js", JS, include_bytes!("assets/vendor/chart.umd.min.js")),
    ("codemirror.js", JS, include_bytes!("assets/vendor/codemirror.js")),
    ("codemirror-javascript.js", JS, include_bytes!("assets/vendor/codemirror-javascript.js")),
    ("codemirror.css", CSS, include_bytes!("assets/vendor/codemirror.css")),
    ("diff.min.js", JS, include_bytes!("assets/vendor/diff.min.js")),
    ("LICENSES.txt", "text/plain; charset=utf-8", include_bytes!("assets/vendor/LICENSES.txt")),
];

pub async fn serve(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (_, content_type, bytes) = FILES
        .iter()
        .find(|(name, _, _)| *name == file)
        .ok_or_else(|| ApiError::from(Error::new(Code::NotFound).with_detail("resource", "console asset")))?;
    // Revalidated after five minutes, so an upgrade reaches open consoles soon.
    Ok(([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=300")], *bytes)
        .into_response())
}
