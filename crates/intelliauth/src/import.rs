//! `intelliauth import FILE`: streams an NDJSON file of users to a server's import endpoint
//! and draws the server's progress on the terminal; rejected lines go to standard output.
//! `intelliauth export`: the other way, a tenant's users (in the import's format) to a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// NDJSON, one user per line (Auth0's bulk-import user schema); `-` reads standard input.
    file: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
    /// Update users that already exist instead of rejecting those lines.
    #[arg(long)]
    upsert: bool,
    /// What finds an existing user: `email`, or `user_id` (the id in the system the users
    /// come from, such as Auth0's `auth0|…`).
    #[arg(long = "match", default_value = "email", value_parser = ["email", "user_id"])]
    match_by: String,
}

/// The server and tenant a command talks to, and as whom.
#[derive(clap::Args)]
pub struct ServerArgs {
    /// The server's base URL.
    #[arg(long, env = "INTELLIAUTH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value = "default")]
    tenant: String,
    /// A management credential: with `users:write` to import (or an admin's access token);
    /// instance-wide, with `users:read` and `tenants:write`, to export.
    #[arg(long, env = "INTELLIAUTH_TOKEN", hide_env_values = true)]
    token: String,
}

impl ServerArgs {
    /// The URL of the tenant's users collection, then `rest`.
    fn users_url(&self, rest: &str) -> String {
        format!("{}/v1/tenants/{}/users/{rest}", self.url.trim_end_matches('/'), self.tenant)
    }
}

/// 0: every line imported; 1: some lines rejected (listed on standard output); 2: the import
/// could not run or stopped early.
pub async fn run(args: ImportArgs) -> ExitCode {
    match import(args).await {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Imports, returning how many lines were rejected.
async fn import(args: ImportArgs) -> Result<u64, String> {
    let from_stdin = args.file.as_os_str() == "-";
    let (body, total) = if from_stdin {
        let stdin = tokio_util::io::ReaderStream::new(tokio::io::stdin());
        (reqwest::Body::wrap_stream(stdin), None)
    } else if starts_an_array(&args.file).await? {
        // Auth0's bulk-import files are one JSON array: sent as the lines the endpoint reads.
        let total = count_elements(&args.file).await?;
        (reqwest::Body::wrap_stream(array_as_lines(args.file.clone())), Some(total))
    } else {
        let total = count_lines(&args.file).await?;
        let file = tokio::fs::File::open(&args.file).await.map_err(|e| format!("{}: {e}", args.file.display()))?;
        (reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024)), Some(total))
    };
    let url = args.server.users_url(&format!("import?upsert={}&match={}", args.upsert, args.match_by));
    let client = reqwest::Client::new();
    let request = |body: reqwest::Body| {
        client
            .post(&url)
            .bearer_auth(&args.server.token)
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body)
    };
    let mut response = match request(body).send().await {
        Ok(response) => response,
        // A server that refuses the import at once (a bad token, an unknown tenant) may close
        // the connection while the file is still on its way; asking again with no lines
        // hears why, where the first attempt only saw the connection go.
        Err(error) => match request(reqwest::Body::from("")).send().await {
            Ok(refusal) if !refusal.status().is_success() => refusal,
            _ => return Err(format!("{url}: {error}")),
        },
    };
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(format!("{url} answered {status}: {text}"));
    }

    let bar = progress_bar(total);
    let mut pending: Vec<u8> = Vec::new();
    let mut last: Option<Value> = None;
    let mut stdout = std::io::stdout().lock();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("the report broke off: {e}"))? {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let Ok(report) = serde_json::from_slice::<Value>(&line) else { continue };
            match report["type"].as_str() {
                Some("progress") => bar.set_position(report["lines"].as_u64().unwrap_or(0)),
                Some("line") => {
                    bar.suspend(|| {
                        let _ = stdout.write_all(&line);
                    });
                }
                _ => last = Some(report),
            }
        }
    }
    bar.finish_and_clear();
    let Some(last) = last else { return Err("the server ended the report without a summary".into()) };
    let summary = format!(
        "{} lines: {} created, {} updated, {} unchanged, {} rejected",
        last["lines"], last["created"], last["updated"], last["unchanged"], last["rejected"]
    );
    if last["type"] == "error" {
        return Err(format!("the import stopped: {} ({summary})", last["error"]["message"]));
    }
    eprintln!("{summary}");
    Ok(last["rejected"].as_u64().unwrap_or(0))
}

/// Whether the file's first non-blank character opens a JSON array.
async fn starts_an_array(path: &Path) -> Result<bool, String> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await.map_err(|e| format!("{}: {e}", path.display()))?;
    let mut head = vec![0u8; 4096];
    let read = file.read(&mut head).await.map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(head[..read].iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'['))
}

/// Calls `each` with every element of the JSON array in `path`, one at a time (a million
/// users are never in memory at once); `Err` when the file is not one JSON array.
fn each_element(path: &Path, mut each: impl FnMut(serde_json::Value) -> bool) -> Result<(), String> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};
    struct Elements<'a, F>(&'a mut F);
    impl<'de, F: FnMut(serde_json::Value) -> bool> Visitor<'de> for Elements<'_, F> {
        type Value = ();
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("an array of users")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(element) = seq.next_element::<serde_json::Value>()? {
                if !(self.0)(element) {
                    break;
                }
            }
            Ok(())
        }
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(256 * 1024, file));
    reader
        .deserialize_seq(Elements(&mut each))
        .map_err(|e| format!("{}: not a JSON array of users: {e}", path.display()))
}

/// The array's elements: the bar's length.
async fn count_elements(path: &Path) -> Result<u64, String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut count = 0;
        each_element(&path, |_| {
            count += 1;
            true
        })
        .map(|()| count)
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The array's elements as NDJSON, read on a blocking thread as the upload takes them.
fn array_as_lines(path: PathBuf) -> impl tokio_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(16);
    tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(256 * 1024);
        let read = each_element(&path, |element| {
            let _ = serde_json::to_writer(&mut chunk, &element);
            chunk.push(b'\n');
            chunk.len() < 256 * 1024 || sender.blocking_send(Ok(std::mem::take(&mut chunk))).is_ok()
        });
        let last = match read {
            Ok(()) => Ok(chunk),
            // The upload breaks off, so the server reports what it read and stops.
            Err(message) => Err(std::io::Error::other(message)),
        };
        let _ = sender.blocking_send(last);
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// The non-blank lines of the file: the bar's length.
async fn count_lines(path: &Path) -> Result<u64, String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut count = 0;
        for line in std::io::BufReader::with_capacity(256 * 1024, file).split(b'\n') {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            count += u64::from(!line.iter().all(u8::is_ascii_whitespace));
        }
        Ok(count)
    })
    .await
    .map_err(|e| e.to_string())?
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} users  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} users  {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Where to write the NDJSON (one user per line, password hashes included); `-` or
    /// nothing writes standard output.
    file: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

/// 0: the whole export was written; 2: it could not run or broke off (a partial file is
/// removed, so a file that exists is whole).
pub async fn run_export(args: ExportArgs) -> ExitCode {
    let to_file = args.file.as_ref().filter(|path| path.as_os_str() != "-").cloned();
    match export(&args, to_file.as_deref()).await {
        Ok(count) => {
            eprintln!("{count} users exported");
            ExitCode::SUCCESS
        }
        Err(message) => {
            if let Some(path) = &to_file {
                let _ = std::fs::remove_file(path);
            }
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn export(args: &ExportArgs, to_file: Option<&Path>) -> Result<u64, String> {
    let url = args.server.users_url("export");
    let request = reqwest::Client::new().get(&url).bearer_auth(&args.server.token);
    let mut response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(format!("{url} answered {status}: {text}"));
    }
    let mut out: Box<dyn Write> = match to_file {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let (mut count, mut ends_with_newline) = (0u64, true);
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("the export broke off: {e}"))? {
        count += chunk.iter().filter(|&&byte| byte == b'\n').count() as u64;
        ends_with_newline = chunk.last() == Some(&b'\n');
        out.write_all(&chunk).map_err(|e| format!("cannot write the export: {e}"))?;
    }
    // The server ends a whole export with a newline; a body that stops mid-line broke off.
    if !ends_with_newline {
        return Err("the export broke off mid-line".into());
    }
    out.flush().map_err(|e| format!("cannot write the export: {e}"))?;
    Ok(count)
}
