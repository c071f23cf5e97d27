//! One execution: a fresh QuickJS runtime and context, the prelude, the Action's code and its
//! entry point, run on the calling (blocking) thread until it settles, throws or is
//! interrupted at its deadline.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use intelliauth_core::actions::{Commands, RunRequest, RunStatus, RESERVED_CLAIMS};
use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Exception, Function, Promise, Runtime};
use serde_json::Value;

use crate::fetch::Fetcher;

const PRELUDE: &str = include_str!("prelude.js");
/// The name stack traces give the Action's code, so line numbers point into it.
pub const SCRIPT_NAME: &str = "action.js";
/// Heap of one execution: enough for real work, small enough that a memory bomb is cheap.
pub const MEMORY_LIMIT_BYTES: usize = 32 * 1024 * 1024;
/// Below the blocking thread's 2 MiB stack, so deep recursion is a JS `RangeError`.
const MAX_STACK_BYTES: usize = 512 * 1024;
const MAX_CONSOLE_LINES: usize = 100;
/// The most an execution's result (claims, metadata, reason, error, as JSON) may weigh
/// before it is copied out of the engine: executions × heap limit bounds memory, not this.
pub const MAX_RESULT_BYTES: usize = 64 * 1024;
const OUT_OF_MEMORY: &str = "InternalError: out of memory (or `null` thrown outside the entry point)";
const MAX_CONSOLE_LINE_BYTES: usize = 2048;

/// Console lines, kept bounded so a chatty Action cannot fill the log table.
#[derive(Default)]
struct Console(Vec<String>);

impl Console {
    fn push(&mut self, mut line: String) {
        if self.0.len() == MAX_CONSOLE_LINES {
            self.0.push("… further console output dropped".into());
        }
        if self.0.len() > MAX_CONSOLE_LINES {
            return;
        }
        if line.len() > MAX_CONSOLE_LINE_BYTES {
            let mut end = MAX_CONSOLE_LINE_BYTES;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
            line.push('…');
        }
        self.0.push(line);
    }
}

/// Runs `request` to its end on this thread; `deadline` bounds it, `fetcher` serves `fetch`.
pub fn execute(request: &RunRequest, deadline: Instant, fetcher: Fetcher) -> (RunStatus, Vec<String>) {
    let console = Rc::new(RefCell::new(Console::default()));
    let status = match run(request, deadline, fetcher, console.clone()) {
        Ok(status) => status,
        Err(error) => RunStatus::Failed { error: format!("the sandbox could not start: {error}"), stack: None },
    };
    let lines = std::mem::take(&mut console.borrow_mut().0);
    (status, lines)
}

fn run(
    request: &RunRequest,
    deadline: Instant,
    fetcher: Fetcher,
    console: Rc<RefCell<Console>>,
) -> rquickjs::Result<RunStatus> {
    let runtime = Runtime::new()?;
    runtime.set_memory_limit(MEMORY_LIMIT_BYTES);
    runtime.set_max_stack_size(MAX_STACK_BYTES);
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    runtime.set_interrupt_handler(Some(Box::new(move || {
        let late = Instant::now() >= deadline;
        if late {
            flag.store(true, Ordering::Relaxed);
        }
        late
    })));
    let context = Context::full(&runtime)?;
    let status = context.with(|ctx| -> rquickjs::Result<RunStatus> {
        let outcome = evaluate(&ctx, request, deadline, fetcher, console);
        if interrupted.load(Ordering::Relaxed) {
            return Ok(RunStatus::TimedOut);
        }
        Ok(match outcome {
            Ok(status) => status,
            Err(error) => failure(&ctx, error),
        })
    })?;
    Ok(status)
}

fn script_options(name: &str) -> EvalOptions {
    let mut options = EvalOptions::default();
    // Sloppy mode, as Actions are written for Node's CommonJS modules.
    options.strict = false;
    options.filename = Some(name.to_owned());
    options
}

fn evaluate(
    ctx: &Ctx<'_>,
    request: &RunRequest,
    deadline: Instant,
    fetcher: Fetcher,
    console: Rc<RefCell<Console>>,
) -> rquickjs::Result<RunStatus> {
    let globals = ctx.globals();
    globals.set("__console", Function::new(ctx.clone(), move |line: String| console.borrow_mut().push(line))?)?;
    globals.set("__fetch", Function::new(ctx.clone(), move |url: String, init: String| fetcher.fetch(&url, &init))?)?;
    let mut event = request.event.clone();
    if let Value::Object(fields) = &mut event {
        fields.insert("secrets".into(), serde_json::to_value(&request.secrets).unwrap_or_default());
    }
    globals.set("__event_json", event.to_string())?;
    globals.set("__trigger", request.trigger.as_str())?;
    globals.set("__reserved_claims", serde_json::to_string(RESERVED_CLAIMS).unwrap_or_default())?;
    ctx.eval_with_options::<(), _>(PRELUDE, script_options("intelliauth:prelude"))?;
    ctx.eval_with_options::<(), _>(request.code.as_bytes(), script_options(SCRIPT_NAME))?;

    let run: Function = globals.get("__run")?;
    let settled: Promise = run.call((request.trigger.entry_point(),))?;
    // Jobs can queue jobs forever; the budget is checked between them, as the interrupt
    // handler only fires inside one.
    while Instant::now() < deadline && ctx.execute_pending_job() {}
    if Instant::now() >= deadline {
        return Ok(RunStatus::TimedOut);
    }
    if let Some(Err(error)) = settled.result::<()>() {
        return Err(error);
    }
    let Some(outcome) = globals.get::<_, Option<rquickjs::String>>("__outcome")? else {
        return Ok(RunStatus::Failed {
            error: "the Action's promise never settled: it awaited something that never finishes".into(),
            stack: None,
        });
    };
    // Sized inside the engine's heap before anything is copied out of it or parsed.
    let outcome = outcome.to_cstring()?;
    if outcome.len() > MAX_RESULT_BYTES {
        return Ok(RunStatus::Failed {
            error: format!(
                "the Action's result is {} bytes; at most {MAX_RESULT_BYTES} (claims, metadata and reason together)",
                outcome.len()
            ),
            stack: None,
        });
    }
    Ok(parse_outcome(outcome.as_str()))
}

fn parse_outcome(outcome: &str) -> RunStatus {
    let parsed: Value = serde_json::from_str(outcome).unwrap_or_default();
    if parsed["ok"] == Value::Bool(true) {
        match serde_json::from_value::<Commands>(parsed["commands"].clone()) {
            Ok(commands) => RunStatus::Completed(commands),
            Err(error) => RunStatus::Failed { error: format!("unreadable api calls: {error}"), stack: None },
        }
    } else {
        RunStatus::Failed {
            error: parsed["error"].as_str().unwrap_or("the Action failed").to_owned(),
            stack: parsed["stack"].as_str().map(str::to_owned),
        }
    }
}

/// An exception that escaped the prelude's handler: a syntax error, a throw at the top
/// level, or running out of memory.
fn failure(ctx: &Ctx<'_>, error: rquickjs::Error) -> RunStatus {
    if !matches!(error, rquickjs::Error::Exception) {
        return RunStatus::Failed { error: error.to_string(), stack: None };
    }
    let thrown = ctx.catch();
    match thrown.as_object().cloned().and_then(Exception::from_object) {
        Some(exception) => {
            let name: Option<String> = exception.get("name").ok();
            let message = exception.message().unwrap_or_default();
            let error = match name {
                Some(name) => format!("{name}: {message}"),
                None => message,
            };
            RunStatus::Failed { error, stack: exception.stack().filter(|stack| !stack.is_empty()) }
        }
        // `null` escaping the entry point's handler is how QuickJS reports an allocation that
        // failed before an error object existed (uncatchable); inside the entry point a
        // `throw null` or a native stack overflow is caught and reported as UNCAUGHT_NULL.
        None if thrown.is_null() => RunStatus::Failed { error: OUT_OF_MEMORY.into(), stack: None },
        None => RunStatus::Failed {
            error: format!(
                "Uncaught {}",
                thrown.as_string().and_then(|text| text.to_string().ok()).unwrap_or_else(|| "exception".into())
            ),
            stack: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

    use intelliauth_core::actions::Trigger;
    use serde_json::json;

    fn request(code: &str) -> RunRequest {
        RunRequest {
            tenant_id: "t".into(),
            code: code.into(),
            trigger: Trigger::PostLogin,
            event: json!({ "user": { "email": "ada@example.com" } }),
            secrets: BTreeMap::from([("API_KEY".to_owned(), "s3cret".to_owned())]),
            budget: Duration::from_millis(300),
            allowed_hosts: vec![],
        }
    }

    fn execute_now(code: &str) -> (RunStatus, Vec<String>) {
        let request = request(code);
        execute(&request, Instant::now() + request.budget, Fetcher::disabled())
    }

    #[test]
    fn api_calls_come_back_as_commands() {
        let (status, console) = execute_now(
            "exports.onExecutePostLogin = async (event, api) => {\n\
               console.log('hello', event.user.email, { n: 1 });\n\
               api.idToken.setCustomClaim('https://example.com/roles', ['admin']);\n\
               api.accessToken.setCustomClaim('tier', event.secrets.API_KEY.length);\n\
               api.user.setAppMetadata('plan', 'pro');\n\
               api.multifactor.enable('any');\n\
               api.access.deny('first');\n\
               api.access.deny('second');\n\
             };",
        );
        let RunStatus::Completed(commands) = status else { panic!("{status:?}") };
        assert_eq!(commands.deny.as_deref(), Some("first"));
        assert_eq!(commands.id_token_claims["https://example.com/roles"], json!(["admin"]));
        assert_eq!(commands.access_token_claims["tier"], json!(6));
        assert_eq!(commands.app_metadata["plan"], json!("pro"));
        assert_eq!(commands.multifactor.as_deref(), Some("any"));
        assert_eq!(console, vec!["log hello ada@example.com {\"n\":1}"]);
    }

    #[test]
    fn a_throw_reports_its_line() {
        let (status, _) =
            execute_now("// line 1\nexports.onExecutePostLogin = async () => {\n  throw new Error('x');\n};");
        let RunStatus::Failed { error, stack } = status else { panic!("{status:?}") };
        assert_eq!(error, "Error: x");
        assert!(stack.unwrap().contains("action.js:3"), "the stack names the line");
    }

    #[test]
    fn a_syntax_error_is_a_failure_with_its_line() {
        let (status, _) = execute_now("exports.onExecutePostLogin = async () => {\n  let = ;\n};");
        let RunStatus::Failed { error, stack } = status else { panic!("{status:?}") };
        assert!(error.starts_with("SyntaxError"), "{error}");
        assert!(stack.unwrap_or_default().contains("action.js:2"));
    }

    #[test]
    fn an_endless_loop_is_interrupted_at_the_deadline() {
        let started = Instant::now();
        let (status, _) = execute_now("exports.onExecutePostLogin = async () => { while (true) {} };");
        assert_eq!(status, RunStatus::TimedOut);
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(1500), "{took:?}");
    }

    #[test]
    fn a_loop_that_catches_the_interrupt_still_ends() {
        let (status, _) = execute_now(
            "exports.onExecutePostLogin = async () => { for (;;) { try { while (true) {} } catch (e) {} } };",
        );
        assert_eq!(status, RunStatus::TimedOut);
    }

    #[test]
    fn a_memory_bomb_fails_without_taking_the_process_down() {
        let (status, _) = execute_now(
            "exports.onExecutePostLogin = async () => { const a = []; while (true) a.push(new Array(100000).fill('x')); };",
        );
        let RunStatus::Failed { error, .. } = status else { panic!("{status:?}") };
        assert!(error.contains("out of memory"), "{error}");
    }

    #[test]
    fn deep_recursion_is_a_range_error() {
        let (status, _) = execute_now("const f = (n) => f(n + 1) + 1;\nexports.onExecutePostLogin = async () => f(0);");
        let RunStatus::Failed { error, .. } = status else { panic!("{status:?}") };
        assert!(error.contains("RangeError") || error.contains("stack"), "{error}");
    }

    #[test]
    fn reserved_claims_and_missing_entry_points_are_errors() {
        let (status, _) =
            execute_now("exports.onExecutePostLogin = async (e, api) => api.idToken.setCustomClaim('sub', 'x');");
        assert!(
            matches!(status, RunStatus::Failed { ref error, .. } if error.contains("reserved claim")),
            "{status:?}"
        );
        let (status, _) = execute_now("exports.somethingElse = () => {};");
        assert!(
            matches!(status, RunStatus::Failed { ref error, .. } if error.contains("does not export onExecutePostLogin"))
        );
    }

    #[test]
    fn nothing_of_the_host_is_reachable() {
        let (status, _) = execute_now(
            "exports.onExecutePostLogin = async (e, api) => {\n\
               for (const name of ['require', 'process', 'std', 'os', 'setTimeout', 'XMLHttpRequest']) {\n\
                 if (typeof globalThis[name] !== 'undefined') throw new Error(`${name} is reachable`);\n\
               }\n\
               await fetch('http://127.0.0.1:1/');\n\
             };",
        );
        let RunStatus::Failed { error, .. } = status else { panic!("{status:?}") };
        assert!(error.contains("not an allowed host"), "{error}");
    }

    #[test]
    fn a_promise_job_flood_ends_at_the_deadline() {
        let started = Instant::now();
        let (status, _) = execute_now(
            "exports.onExecutePostLogin = async () => {\n\
               const f = () => { Promise.resolve().then(f); Promise.resolve().then(f); };\n\
               f();\n\
               await new Promise(() => {});\n\
             };",
        );
        assert_eq!(status, RunStatus::TimedOut);
        assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    }

    #[test]
    fn a_large_result_is_refused_before_it_leaves_the_engine() {
        let (status, _) = execute_now(
            "exports.onExecutePostLogin = async (e, api) => api.idToken.setCustomClaim('big', 'x'.repeat(1 << 20));",
        );
        assert!(matches!(status, RunStatus::Failed { ref error, .. } if error.contains("result is")), "{status:?}");
    }

    #[test]
    fn odd_throws_and_strings_read_plainly() {
        let (status, _) = execute_now("exports.onExecutePostLogin = async () => { throw null; };");
        assert!(
            matches!(status, RunStatus::Failed { ref error, .. } if error.starts_with("Uncaught null (")),
            "{status:?}"
        );
        let (status, _) =
            execute_now("exports.onExecutePostLogin = async (e, api) => api.access.deny('half \\ud800 a surrogate');");
        let RunStatus::Completed(commands) = status else { panic!("{status:?}") };
        assert_eq!(commands.deny.as_deref(), Some("half \u{fffd} a surrogate"));
    }

    #[test]
    fn a_promise_that_never_settles_is_reported() {
        let (status, _) = execute_now("exports.onExecutePostLogin = () => new Promise(() => {});");
        assert!(matches!(status, RunStatus::Failed { ref error, .. } if error.contains("never settled")));
    }
}
