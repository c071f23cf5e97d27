//! Test harness: starts the real `intelliauth` binary on a random loopback port against a
//! fresh SQLite directory, or a fresh PostgreSQL schema when `INTELLIAUTH_TEST_DATABASE_URL`
//! is set, and talks to it over real HTTP.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod balancer;
pub mod browser;
pub mod oauth;
pub mod receiver;
pub mod smtp;
pub mod stub_http;
pub mod tcp_proxy;
pub mod tokens;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const TEST_DATABASE_ENV: &str = "INTELLIAUTH_TEST_DATABASE_URL";

/// The PostgreSQL URL of the suite's backend, if it runs on PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var(TEST_DATABASE_ENV).ok().filter(|url| !url.is_empty())
}

/// The machine's Redis, for the features that share state through it.
pub fn redis_addr() -> String {
    std::env::var("INTELLIAUTH_TEST_REDIS_ADDR").unwrap_or_else(|_| "127.0.0.1:6379".into())
}

/// Options for a node that keeps its limits in Redis at `addr`, under keys no other test uses.
pub fn with_redis(options: Options, addr: &str, prefix: &str) -> Options {
    options.arg("--redis-url", format!("redis://{addr}")).arg("--redis-prefix", prefix)
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A PostgreSQL schema that lives as long as the value.
pub struct Schema {
    pub base_url: String,
    pub name: String,
}

impl Schema {
    pub async fn create(base_url: &str) -> Schema {
        let name = unique("t_");
        let pool = sqlx::PgPool::connect(base_url).await.expect("connect to the test PostgreSQL");
        sqlx::raw_sql(&format!("CREATE SCHEMA {name}")).execute(&pool).await.expect("create test schema");
        pool.close().await;
        Schema { base_url: base_url.to_owned(), name }
    }

    /// `url` (which may point at a proxy) with this schema as the search path.
    pub fn url_via(&self, url: &str) -> String {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}options=-c%20search_path%3D{}", self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let (url, name) = (self.base_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; use a runtime of our own on another thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&url).await.ok()?;
                sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&pool).await.ok()?;
                pool.close().await;
                Some(())
            })
        })
        .join();
    }
}

/// How to start a server.
#[derive(Default, Clone)]
pub struct Options {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Connect through this address instead of the test database's own (a proxy),
    /// PostgreSQL only.
    pub postgres_via: Option<String>,
    /// Start without `INTELLIAUTH_BOOTSTRAP_TOKEN`, so the server generates one.
    pub generated_token: bool,
}

impl Options {
    /// Per-IP limits no test reaches: every request of a test comes from one address.
    pub fn unlimited() -> Self {
        Options::default().arg("--rate-limit-ip-per-s", 10_000).arg("--rate-limit-ip-burst", 10_000)
    }

    pub fn arg(mut self, flag: &str, value: impl ToString) -> Self {
        self.args.push(flag.to_owned());
        self.args.push(value.to_string());
        self
    }

    /// A flag without a value (a boolean switched on).
    pub fn flag(mut self, flag: &str) -> Self {
        self.args.push(flag.to_owned());
        self
    }

    pub fn env(mut self, key: &str, value: impl ToString) -> Self {
        self.env.push((key.to_owned(), value.to_string()));
        self
    }
}

pub struct Server {
    child: Child,
    /// Where to send requests, and with which credential (the node itself).
    pub endpoint: Endpoint,
    logs: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    pub data_dir: PathBuf,
    pub schema: Option<Schema>,
    /// A sibling shares another server's database and must not clean it up.
    owns_data: bool,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Server {
        let data_dir = std::env::temp_dir().join(unique("intelliauth-test-"));
        let schema = match postgres_url() {
            Some(url) => Some(Schema::create(&url).await),
            None => None,
        };
        Server::spawn(options, data_dir, schema).await
    }

    /// A server on SQLite, whichever database the other tests use.
    pub async fn start_on_sqlite(options: Options) -> Server {
        Server::spawn(options, std::env::temp_dir().join(unique("intelliauth-test-")), None).await
    }

    /// Another server process on the same database (a second node).
    pub async fn start_sibling(&self, options: Options) -> Server {
        let schema =
            self.schema.as_ref().map(|schema| Schema { base_url: schema.base_url.clone(), name: schema.name.clone() });
        let mut sibling =
            Server::spawn(Options { generated_token: true, ..options }, self.data_dir.clone(), schema).await;
        sibling.owns_data = false;
        sibling.endpoint.token = self.token.clone();
        sibling
    }

    /// Stops this server and starts another on the same database.
    pub async fn restart(mut self, options: Options) -> Server {
        let _ = self.child.kill().await;
        let data_dir = std::mem::take(&mut self.data_dir);
        let schema = self.schema.take();
        drop(self); // its data directory and schema were taken over above
        Server::spawn(options, data_dir, schema).await
    }

    async fn spawn(options: Options, data_dir: PathBuf, schema: Option<Schema>) -> Server {
        let token = if options.generated_token { String::new() } else { unique("iam_test") };
        let mut command = Command::new(env!("CARGO_BIN_EXE_intelliauth"));
        command
            .arg("serve")
            .args(["--bind", "127.0.0.1:0", "--db-max-connections", "4"])
            .arg("--data-dir")
            .arg(&data_dir)
            .args(&options.args)
            .env("INTELLIAUTH_LOG", "info")
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for key in [
            "INTELLIAUTH_DATABASE_URL",
            "INTELLIAUTH_CONFIG",
            "INTELLIAUTH_BIND",
            "INTELLIAUTH_DATA_DIR",
            "INTELLIAUTH_REDIS_URL",
        ] {
            if !options.env.iter().any(|(k, _)| k == key) {
                command.env_remove(key);
            }
        }
        if options.generated_token {
            command.env_remove("INTELLIAUTH_BOOTSTRAP_TOKEN");
        } else {
            command.env("INTELLIAUTH_BOOTSTRAP_TOKEN", &token);
        }
        if let Some(schema) = &schema {
            let url = options.postgres_via.clone().unwrap_or_else(|| schema.base_url.clone());
            command.arg("--database-url").arg(schema.url_via(&url));
        }
        let mut child = command.spawn().expect("spawn the intelliauth binary");
        let logs = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<String>();
        let stderr = child.stderr.take().expect("piped stderr");
        let log_sink = logs.clone();
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(address) = line.split("listening on http://").nth(1) {
                    // The same line in human and JSON formats: take the socket address only.
                    let address: String = address
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '[' | ']'))
                        .collect();
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(address);
                    }
                }
                log_sink.lock().unwrap().push_str(&line);
                log_sink.lock().unwrap().push('\n');
            }
        });
        let out = child.stdout.take().expect("piped stdout");
        let out_sink = stdout.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                out_sink.lock().unwrap().push_str(&line);
                out_sink.lock().unwrap().push('\n');
            }
        });
        let address = match tokio::time::timeout(Duration::from_secs(60), ready_rx).await {
            Ok(Ok(address)) => address,
            _ => panic!("server did not start; logs:\n{}", logs.lock().unwrap()),
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client");
        // The banner is printed before the listening line; give the reader a moment.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let token = if options.generated_token {
            let banner = stdout.lock().unwrap().clone();
            banner.split_whitespace().find(|word| word.starts_with("iam_")).unwrap_or_default().to_owned()
        } else {
            token
        };
        Server {
            child,
            endpoint: Endpoint { base: format!("http://{address}"), token, http },
            logs,
            stdout,
            data_dir,
            schema,
            owns_data: true,
        }
    }

    /// Runs `statement` on the server's database (SQLite or the test's PostgreSQL schema),
    /// for a test that must set up what no API makes, such as a log entry from last week.
    pub async fn execute_sql(&self, statement: &str) {
        self.on_database(|url, backend| async move {
            match backend {
                Backend::Postgres => {
                    let pool = sqlx::PgPool::connect(&url).await.unwrap();
                    sqlx::raw_sql(statement).execute(&pool).await.unwrap();
                    pool.close().await;
                }
                Backend::Sqlite => {
                    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::raw_sql(statement).execute(&pool).await.unwrap();
                    pool.close().await;
                }
            }
        })
        .await;
    }

    /// The text `query` (one row, one column) reads from the server's database.
    pub async fn query_text(&self, query: &str) -> String {
        self.on_database(|url, backend| async move {
            match backend {
                Backend::Postgres => {
                    let pool = sqlx::PgPool::connect(&url).await.unwrap();
                    sqlx::query_scalar(query).fetch_one(&pool).await.unwrap()
                }
                Backend::Sqlite => {
                    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::query_scalar(query).fetch_one(&pool).await.unwrap()
                }
            }
        })
        .await
    }

    /// Runs `work` with the URL and kind of the server's database.
    async fn on_database<F, Fut, T>(&self, work: F) -> T
    where
        F: FnOnce(String, Backend) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        match &self.schema {
            Some(schema) => work(schema.url_via(&schema.base_url), Backend::Postgres).await,
            None => {
                let url = format!("sqlite://{}", self.data_dir.join("intelliauth.db").display());
                work(url, Backend::Sqlite).await
            }
        }
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// The server process's id (for /proc and signals).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// SIGTERM, then how long the process took to exit (at most `within`, else `None`).
    pub async fn terminate(&mut self, within: Duration) -> Option<Duration> {
        let started = std::time::Instant::now();
        let _ = std::process::Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        tokio::time::timeout(within, self.child.wait()).await.ok().map(|_| started.elapsed())
    }

    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        self.logs()
    }
}

/// An HTTP endpoint of the deployment under test — one node, or a load balancer in front of
/// several — and the management credential to call it with.
#[derive(Clone)]
pub struct Endpoint {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Endpoint {
    /// The same deployment reached at `base` (a load balancer in front of its nodes).
    pub fn at(&self, base: &str) -> Endpoint {
        Endpoint { base: base.to_owned(), ..self.clone() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the bootstrap credential.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.token)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request reaches the server")).await
    }

    /// A page as a browser with `cookie` gets it (no redirect followed): its HTML.
    pub async fn page(&self, path: &str, cookie: &str) -> String {
        let response = no_redirects().get(self.url(path)).header("cookie", cookie).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// A GET without credentials (discovery, key sets): the JSON body.
    pub async fn public_json(&self, path: &str) -> Value {
        let response = self.http.get(self.url(path)).send().await.expect("request reaches the server");
        response.json().await.expect("a JSON body")
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// A new user in the default tenant; returns its id.
    /// A client's form post to the tenant's OAuth endpoint `endpoint` (`token`, `introspect`,
    /// `revoke`), authenticated with HTTP Basic.
    pub async fn oauth_post(&self, tenant: &str, endpoint: &str, client: (&str, &str), form: &[(&str, &str)]) -> Reply {
        let request = self.http.post(self.url(&format!("/t/{tenant}/oauth/{endpoint}")));
        Reply::from(request.basic_auth(client.0, Some(client.1)).form(form).send().await.unwrap()).await
    }

    /// POSTs `body` to the management API's `path`, which must create it (201): the body.
    pub async fn created(&self, path: &str, body: Value) -> Value {
        let reply = self.post(path, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{path}: {}", reply.text);
        reply.body
    }

    pub async fn create_user(&self, email: &str) -> String {
        let reply = self.post("/v1/tenants/default/users", serde_json::json!({ "email": email })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// A management credential with exactly `scopes`; returns its token.
    pub async fn credential(&self, scopes: &[&str], tenant_id: Option<&str>) -> String {
        let reply = self
            .post("/v1/credentials", serde_json::json!({ "name": "test", "scopes": scopes, "tenant_id": tenant_id }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// Starts an API login flow in `tenant` and submits `body` to it.
    pub async fn sign_in(&self, tenant: &str, body: Value) -> Reply {
        let flow = self.flow(tenant, "login").await;
        self.submit(tenant, "login", &flow, body).await
    }

    /// Starts an API flow (`login` or `registration`); returns its id.
    pub async fn flow(&self, tenant: &str, kind: &str) -> String {
        let reply =
            Reply::from(self.http.post(self.url(&format!("/t/{tenant}/api/{kind}"))).send().await.unwrap()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["flow_id"].as_str().unwrap().to_owned()
    }

    pub async fn submit(&self, tenant: &str, kind: &str, flow: &str, body: Value) -> Reply {
        let url = self.url(&format!("/t/{tenant}/api/{kind}/{flow}"));
        Reply::from(self.http.post(url).json(&body).send().await.unwrap()).await
    }

    /// A user in `tenant` with a password, verified or not.
    pub async fn user_with_password(&self, tenant: &str, email: &str, password: &str, verified: bool) -> String {
        let body = serde_json::json!({ "email": email, "password": password, "email_verified": verified });
        let reply = self.post(&format!("/v1/tenants/{tenant}/users"), body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// A tenant with these settings (merged over the defaults).
    pub async fn tenant(&self, id: &str, settings: Value) -> Reply {
        let reply =
            self.post("/v1/tenants", serde_json::json!({ "id": id, "display_name": id, "settings": settings })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply
    }

    /// Signs in through the hosted login page with raw HTTP, as a browser would; returns
    /// the `Cookie` header value (CSRF and session cookies) of the signed-in browser.
    pub async fn browser_session(&self, tenant: &str, email: &str, password: &str) -> String {
        self.browser_sign_in(&format!("/t/{tenant}/login"), email, password).await
    }

    /// Like [`Server::browser_session`], starting at `login_path` (say, where the
    /// authorization endpoint sent the browser, so the sign-in is for that application).
    pub async fn browser_sign_in(&self, login_path: &str, email: &str, password: &str) -> String {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let started = http.get(self.url(login_path)).send().await.unwrap();
        let csrf_cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let location = started.headers()["location"].to_str().unwrap().to_owned();
        let page =
            http.get(self.url(&location)).header("cookie", &csrf_cookie).send().await.unwrap().text().await.unwrap();
        let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        let signed_in = http
            .post(self.url(&location))
            .header("cookie", &csrf_cookie)
            .form(&[("csrf_token", csrf), ("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        let session = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        format!("{csrf_cookie}; {session}")
    }
}

/// `count` wrong passwords for `email` at once, spread over `servers`: how many were checked
/// (401) and how many refused unchecked as locked (423).
pub async fn fire_wrong_passwords(servers: &[&Endpoint], tenant: &str, email: &str, count: usize) -> (usize, usize) {
    let mut flows = Vec::new();
    for server in servers {
        flows.push(server.flow(tenant, "login").await);
    }
    let attempts: Vec<_> = (0..count)
        .map(|n| {
            let server = servers[n % servers.len()];
            let url = server.url(&format!("/t/{tenant}/api/login/{}", flows[n % servers.len()]));
            let body = serde_json::json!({ "email": email, "password": format!("wrong-{n}") });
            tokio::spawn(server.http.post(url).json(&body).send())
        })
        .collect();
    let (mut checked, mut locked) = (0, 0);
    for attempt in attempts {
        let status = attempt.await.unwrap().unwrap().status();
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::LOCKED => locked += 1,
            other => panic!("a wrong password answered {other}"),
        }
    }
    (checked, locked)
}

/// The user's failed-attempt count and lock, as the store holds them.
pub async fn failed_attempts(server: &Endpoint, tenant: &str, id: &str) -> (i64, serde_json::Value) {
    let user = server.get(&format!("/v1/tenants/{tenant}/users/{id}")).await;
    (user.body["failed_attempts"].as_i64().unwrap(), user.body["locked_until"].clone())
}

impl std::ops::Deref for Server {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        if self.owns_data {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        } else if let Some(schema) = &mut self.schema {
            // The owner drops the schema; make this copy's Drop a no-op.
            schema.name.clear();
        }
    }
}

/// Which database a test server runs on.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts the catalogue error shape: status, code, the catalogue's message unless
    /// overridden, a request id matching `X-Request-Id`.
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "status for {code}: {}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", self.text);
        assert!(self.body["details"].is_object(), "{}", self.text);
        let request_id = self.body["request_id"].as_str().expect("request_id in body");
        assert_eq!(self.header("x-request-id"), Some(request_id), "X-Request-Id header matches the body");
        &self.body["details"]
    }

    /// The catalogue's default copy for `code`.
    pub fn assert_catalogue_message(&self) {
        let code = intelliauth_catalogue::Code::parse(self.body["code"].as_str().unwrap()).expect("a catalogue code");
        assert_eq!(self.body["message"], code.default_message(), "{}", self.text);
    }
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}
