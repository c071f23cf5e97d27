//! A browser by hand for flows that cross tenants and servers: follows nothing by itself,
//! keeps cookies by path as a browser does (`Path` prefixes), and reads forms' CSRF tokens.

use reqwest::StatusCode;

pub struct Browser {
    http: reqwest::Client,
    /// Where relative paths go.
    pub base: String,
    /// (host and path prefix, name, value).
    cookies: Vec<(String, String, String)>,
}

/// One answer: its status, `Location`, and body.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.location.as_deref().unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, base: base.to_owned(), cookies: Vec::new() }
    }

    fn absolute(&self, target: &str) -> String {
        if target.starts_with("http") {
            target.to_owned()
        } else {
            format!("{}{target}", self.base)
        }
    }

    fn cookie_header(&self, url: &str) -> String {
        let scope = scope_of(url);
        self.cookies
            .iter()
            .filter(|(prefix, _, _)| {
                scope == *prefix
                    || scope.starts_with(&format!("{prefix}/"))
                    || prefix.ends_with('/') && scope.starts_with(prefix.as_str())
            })
            .map(|(_, name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, url: &str, response: &reqwest::Response) {
        let host = host_of(url);
        for header in response.headers().get_all("set-cookie") {
            let text = header.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let (name, value) = parts.next().unwrap().split_once('=').unwrap();
            let path = parts.find_map(|part| part.strip_prefix("Path=")).unwrap_or("/");
            let prefix = format!("{host}{path}");
            self.cookies.retain(|(p, n, _)| !(p == &prefix && n == name));
            let deleted = text.contains("Max-Age=0");
            if !deleted {
                self.cookies.push((prefix, name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn send(&mut self, url: String, request: reqwest::RequestBuilder) -> Answer {
        let cookie = self.cookie_header(&url);
        let request = if cookie.is_empty() { request } else { request.header("cookie", cookie) };
        let response = request.header("accept", "text/html").send().await.unwrap();
        self.keep(&url, &response);
        let status = response.status();
        let location = response.headers().get("location").map(|value| value.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Answer { status, location, body }
    }

    pub async fn get(&mut self, target: &str) -> Answer {
        let url = self.absolute(target);
        let request = self.http.get(&url);
        self.send(url, request).await
    }

    pub async fn post(&mut self, target: &str, form: &[(&str, &str)]) -> Answer {
        let url = self.absolute(target);
        let request = self.http.post(&url).form(form);
        self.send(url, request).await
    }

    /// GETs `target` and every redirect after it until an answer that is not one, or one that
    /// leaves `stop_outside` (an absolute URL prefix); returns the last answer and the URL
    /// it came from.
    pub async fn follow(&mut self, target: &str, stop_outside: &str) -> (Answer, String) {
        let mut url = self.absolute(target);
        for _ in 0..10 {
            let answer = self.get(&url).await;
            match &answer.location {
                Some(next) if answer.status.is_redirection() => {
                    let next = self.absolute(next);
                    if !next.starts_with(stop_outside) {
                        return (answer, url);
                    }
                    url = next;
                }
                _ => return (answer, url),
            }
        }
        panic!("too many redirects from {target}");
    }

    /// Signs in at `tenant`'s hosted sign-in page.
    pub async fn sign_in(&mut self, tenant: &str, email: &str, password: &str) -> Answer {
        let started = self.get(&format!("/t/{tenant}/login")).await;
        let page_path = started.location().to_owned();
        let page = self.get(&page_path).await;
        let csrf = field(&page.body, "csrf_token");
        self.post(&page_path, &[("csrf_token", &csrf), ("email", email), ("password", password)]).await
    }
}

/// A hidden or text field's value in a page.
pub fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split(&marker).nth(1).unwrap_or_else(|| panic!("no {name} in {page}")).split('"').next().unwrap().to_owned()
}

/// An `href` in a page that contains `part`, unescaped.
pub fn link(page: &str, part: &str) -> String {
    page.split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|href| href.contains(part))
        .unwrap_or_else(|| panic!("no link with {part} in {page}"))
        .replace("&amp;", "&")
}

fn host_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split('/').next().unwrap().to_owned()
}

fn scope_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split(['?', '#']).next().unwrap().to_owned()
}
