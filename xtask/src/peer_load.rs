//! Load on node-oidc-provider's code flow and refresh rotation, driven like IntelliAuth's
//! (`sign_in_load`): its interaction finishes at once (bench/peer/server.mjs signs the bench
//! account in and grants the scopes), so each loop measures the protocol with a session.

use std::time::Duration;

use crate::sign_in_load::{drive, field, query_field, Connection, LoadFigures, CHALLENGE, REDIRECT, VERIFIER};

/// The peer's public SPA client (PKCE, refresh tokens rotated as node-oidc-provider does
/// for public clients).
const SPA: &str = "bench-spa";

/// A browser's cookies for the one host, by name.
#[derive(Default)]
struct Jar(Vec<String>);

impl Jar {
    fn header(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("Cookie: {}\r\n", self.0.join("; "))
        }
    }

    fn keep(&mut self, cookies: Vec<String>) {
        for cookie in cookies {
            let name = cookie.split('=').next().unwrap_or_default().to_owned();
            self.0.retain(|kept| kept.split('=').next() != Some(name.as_str()));
            self.0.push(cookie);
        }
    }
}

fn authorize_path(prompt: &str) -> String {
    format!(
        "/auth?response_type=code&client_id={SPA}&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback\
         &scope=openid%20offline_access&code_challenge={CHALLENGE}&code_challenge_method=S256&state=s{prompt}"
    )
}

/// Follows the provider's redirects from `path` until it sends the browser back to the
/// client; returns the code.
fn code(connection: &mut Connection, jar: &mut Jar, path: &str) -> Option<String> {
    let mut path = path.to_owned();
    for _ in 0..8 {
        let reply = connection.send("GET", &path, &jar.header(), "").ok()?;
        jar.keep(reply.cookies);
        let location = reply.location?;
        if location.starts_with(REDIRECT) {
            return query_field(&location, "code");
        }
        // Absolute (http://127.0.0.1:port/…) or relative: the path is what is asked next.
        path = match location.strip_prefix("http://") {
            Some(rest) => rest.find('/').map(|at| rest[at..].to_owned())?,
            None => location,
        };
    }
    None
}

fn exchange(connection: &mut Connection, code: &str) -> Option<String> {
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback\
         &code_verifier={VERIFIER}&client_id={SPA}"
    );
    let reply = connection.post_form("/token", &form).ok()?;
    (reply.status == 200).then_some(reply.body)
}

/// The first authorization (with its interaction): a signed-in jar and the token response.
fn signed_in(connection: &mut Connection) -> Option<(Jar, String)> {
    let mut jar = Jar::default();
    let code = code(connection, &mut jar, &authorize_path("&prompt=consent"))?;
    let tokens = exchange(connection, &code)?;
    Some((jar, tokens))
}

/// Authorize with the session and exchange the code.
pub fn code_flows(address: &str, users: usize, duration: Duration) -> LoadFigures {
    drive(
        address,
        users,
        duration,
        |connection| signed_in(connection).map(|(jar, _)| jar),
        |connection, jar| {
            code(connection, jar, &authorize_path("")).and_then(|code| exchange(connection, &code)).is_some()
        },
    )
}

/// Refresh-token rotation: every refresh uses the token the previous one returned.
pub fn refreshes(address: &str, users: usize, duration: Duration) -> LoadFigures {
    drive(
        address,
        users,
        duration,
        |connection| signed_in(connection).and_then(|(_, tokens)| field(&tokens, "refresh_token")),
        |connection, token| {
            let form = format!("grant_type=refresh_token&refresh_token={token}&client_id={SPA}");
            let next = connection.post_form("/token", &form).ok().and_then(|reply| field(&reply.body, "refresh_token"));
            next.map(|next| *token = next).is_some()
        },
    )
}

/// An access token of the SPA's, to introspect (opaque: the peer keeps it in memory).
pub fn access_token(address: &str) -> Result<String, String> {
    let mut connection = Connection::open(address).map_err(|e| e.to_string())?;
    let (_, tokens) = signed_in(&mut connection).ok_or("no session at node-oidc-provider")?;
    field(&tokens, "access_token").ok_or(format!("no access token from node-oidc-provider: {tokens}"))
}
