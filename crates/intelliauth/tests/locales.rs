//! The hosted pages and the JSON API speak the user's language: OIDC `ui_locales` (and the
//! cookie that remembers it for the rest of a sign-in), then `Accept-Language`, then the
//! tenant's default; `lang`, `dir`, `Content-Language` and `Vary` say which; the JSON API
//! keeps `code` and localises `message`; discovery lists `ui_locales_supported`.

mod common;

use common::oauth::{authorize, authorize_path, exchange, REDIRECT, VERIFIER};
use common::smtp::SmtpServer;
use common::tokens::{claims, query_param};
use common::{Options, Server};
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE, VARY};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// What a browser sees of the sign-in page: the status-200 page after the redirect that
/// starts a flow, with the headers it sent, and the cookies it was given.
struct Shown {
    html: String,
    content_language: String,
    vary: String,
    cookies: Vec<String>,
}

async fn sign_in_page(server: &Server, query: &str, headers: &[(&str, &str)]) -> Shown {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with = |mut request: reqwest::RequestBuilder| {
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    };
    let started = with(http.get(server.url(&format!("/t/default/login{query}")))).send().await.unwrap();
    let mut cookies: Vec<String> =
        started.headers().get_all(SET_COOKIE).iter().map(|value| value.to_str().unwrap().to_owned()).collect();
    let location = started.headers()[LOCATION].to_str().unwrap().to_owned();
    let pairs: Vec<&str> = cookies.iter().map(|cookie| cookie.split(';').next().unwrap()).collect();
    let mut cookie = pairs.join("; ");
    if let Some((_, sent)) = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("cookie")) {
        cookie = format!("{sent}; {cookie}");
    }
    let shown = with(http.get(server.url(&location))).header(COOKIE, cookie).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    let header = |name| shown.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (content_language, vary) = (header(CONTENT_LANGUAGE), header(VARY));
    cookies.extend(shown.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()));
    Shown { html: shown.text().await.unwrap(), content_language, vary, cookies }
}

#[tokio::test]
async fn the_sign_in_page_speaks_the_browsers_language_then_the_tenants_default() {
    let server = Server::start().await;

    let english = sign_in_page(&server, "", &[]).await;
    assert!(english.html.contains("<html lang=\"en\" dir=\"ltr\">") && english.html.contains(">Sign in</h1>"));
    assert_eq!(english.content_language, "en");

    let french = sign_in_page(&server, "", &[("accept-language", "fr-CH, fr;q=0.9, en;q=0.8")]).await;
    assert!(french.html.contains("<html lang=\"fr\" dir=\"ltr\">"), "{}", french.html);
    assert!(french.html.contains(">Connexion</h1>") && french.html.contains("Mot de passe oublié ?"));
    assert_eq!(french.content_language, "fr");
    assert!(french.vary.contains("Accept-Language"), "caches keep languages apart: {}", french.vary);

    let german_second = sign_in_page(&server, "", &[("accept-language", "ja, de;q=0.5")]).await;
    assert!(german_second.html.contains("lang=\"de\"") && german_second.html.contains(">Anmelden</h1>"));

    // The tenant's default when the browser asks for nothing we speak, never over it.
    let patch = json!({ "settings": { "locale": { "default": "de" } } });
    assert_eq!(server.call(Method::PATCH, "/v1/tenants/default", Some(patch)).await.status, StatusCode::OK);
    let unmatched = sign_in_page(&server, "", &[("accept-language", "ja, pt-BR;q=0.9")]).await;
    assert!(unmatched.html.contains("lang=\"de\""), "{}", unmatched.html);
    let none = sign_in_page(&server, "", &[]).await;
    assert!(none.html.contains("lang=\"de\""));
    let browser = sign_in_page(&server, "", &[("accept-language", "fr")]).await;
    assert!(browser.html.contains("lang=\"fr\""), "the browser's language wins over the tenant's default");

    let refused = server
        .call(Method::PATCH, "/v1/tenants/default", Some(json!({ "settings": { "locale": { "default": "xx" } } })))
        .await;
    refused.assert_error(400, "validation_failed");
    assert_eq!(refused.body["details"]["fields"]["settings.locale.default"][0], "must be one of en, fr, de, ar");
}

#[tokio::test]
async fn ui_locales_wins_is_remembered_for_the_sign_in_and_arabic_is_right_to_left() {
    let server = Server::start().await;
    let arabic = sign_in_page(&server, "?ui_locales=ja%20ar-EG", &[("accept-language", "fr")]).await;
    assert!(arabic.html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{}", arabic.html);
    assert!(arabic.html.contains("تسجيل الدخول"));
    let remembered = arabic.cookies.iter().find(|cookie| cookie.starts_with("ia_locale=ar")).expect("remembered");
    assert!(remembered.contains("Path=/t/default") && remembered.contains("HttpOnly"), "{remembered}");

    // The rest of that browser's sign-in stays in Arabic, whatever its Accept-Language.
    let later = sign_in_page(&server, "", &[("accept-language", "fr"), ("cookie", "ia_locale=ar")]).await;
    assert!(later.html.contains("lang=\"ar\""), "{}", later.html);

    // A client's authorization request carries ui_locales to the pages the same way.
    let spa = json!({ "name": "spa", "client_type": "public", "redirect_uris": [REDIRECT] });
    let app = server.post("/v1/tenants/default/applications", spa).await;
    let client_id = app.body["client_id"].as_str().unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let authorize = authorize_path(client_id, &[("ui_locales", "de")]);
    let answer = http.get(server.url(&authorize)).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let set: Vec<_> = answer.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(set.iter().any(|cookie| cookie.starts_with("ia_locale=de")), "{set:?}");

    let discovery = server.public_json("/t/default/.well-known/openid-configuration").await;
    assert_eq!(discovery["ui_locales_supported"], json!(["en", "fr", "de", "ar"]));
}

#[tokio::test]
async fn the_json_api_keeps_its_code_and_localises_its_message() {
    let server = Server::start().await;
    server.user_with_password("default", "fr@example.com", "correct horse battery", true).await;
    let flow = server.flow("default", "login").await;
    let url = server.url(&format!("/t/default/api/login/{flow}"));
    let body = json!({ "email": "fr@example.com", "password": "wrong password" });
    let refused = server.http.post(&url).header(ACCEPT_LANGUAGE, "fr-FR").json(&body).send().await.unwrap();
    assert_eq!(refused.headers()[CONTENT_LANGUAGE], "fr");
    let refused: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(refused["code"], "invalid_credentials");
    assert_eq!(refused["message"], "L'adresse e-mail ou le mot de passe est incorrect.");

    let english = server.http.post(&url).json(&body).send().await.unwrap().json::<serde_json::Value>().await.unwrap();
    assert_eq!(english["message"], "The email or password is incorrect.", "the catalogue's copy by default");

    // OAuth's error_description stays ASCII (RFC 6749 §5.2), whatever the language.
    let token = server
        .http
        .post(server.url("/t/default/oauth/token"))
        .header(ACCEPT_LANGUAGE, "ar")
        .form(&[("grant_type", "client_credentials"), ("client_id", "app_unknown"), ("client_secret", "x")])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(token["error"], "invalid_client");
    assert!(token["error_description"].as_str().unwrap().is_ascii(), "{token}");
    assert_eq!(token["message"], "خطأ في إعدادات تسجيل الدخول. تواصل مع الدعم.");
}

#[tokio::test]
async fn a_tenant_rewords_any_message_and_is_told_exactly_what_cannot_be_used() {
    let server = Server::start().await;
    let wording = json!({ "settings": { "locale": { "overrides": {
        "fr": { "sign-in-title": "Bienvenue chez nous", "code-invalid_credentials": "Identifiants inconnus." },
        "en": { "create-account-link": "Join us" },
    } } } });
    let saved = server.call(Method::PATCH, "/v1/tenants/default", Some(wording)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);

    let french = sign_in_page(&server, "", &[("accept-language", "fr")]).await;
    assert!(french.html.contains(">Bienvenue chez nous</h1>"), "{}", french.html);
    assert!(french.html.contains("Mot de passe oublié ?"), "the rest stays the catalogue's");
    let english = sign_in_page(&server, "", &[]).await;
    assert!(english.html.contains(">Sign in</h1>") && english.html.contains(">Join us</a>"), "{}", english.html);

    let refused = server
        .call(
            Method::PATCH,
            "/v1/tenants/default",
            Some(json!({ "settings": { "locale": { "overrides": {
                "fr": { "no-such-message": "x", "sign-in-title": "Bonjour { $user }", "retry-after": "{ $minutes" },
                "pt": { "sign-in-title": "Entrar" },
            } } } })),
        )
        .await;
    refused.assert_error(400, "validation_failed");
    let fields = &refused.body["details"]["fields"];
    let said = |field: &str| fields[field][0].as_str().unwrap_or_else(|| panic!("{field}: {fields}")).to_owned();
    assert!(said("settings.locale.overrides.fr.no-such-message").contains("not a message"));
    assert!(said("settings.locale.overrides.fr.sign-in-title").contains("$user"));
    assert!(said("settings.locale.overrides.fr.retry-after").contains("not valid Fluent"));
    assert!(said("settings.locale.overrides.pt.sign-in-title").contains("not a locale"));

    // Plurals in the tenant's own words, in the locale's rules; null takes a wording back.
    let plural = json!({ "settings": { "locale": { "overrides": {
        "fr": { "sign-in-title": null, "retry-after": "{ $minutes ->\n    [one] Encore une minute.\n   *[other] Encore { $minutes } minutes.\n}" },
    } } } });
    let saved = server.call(Method::PATCH, "/v1/tenants/default", Some(plural)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let french = sign_in_page(&server, "", &[("accept-language", "fr")]).await;
    assert!(french.html.contains(">Connexion</h1>"), "the catalogue's title again");
}

#[tokio::test]
async fn the_users_own_language_wins_over_the_browsers_not_over_ui_locales_and_is_in_their_claims() {
    let server = Server::start().await;
    let id = server.user_with_password("default", "saved@example.com", "correct horse battery", true).await;
    let refused =
        server.call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(json!({ "locale": "xx" }))).await;
    refused.assert_error(400, "validation_failed");
    assert_eq!(refused.body["details"]["fields"]["locale"][0], "must be one of en, fr, de, ar");
    let saved =
        server.call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(json!({ "locale": "de" }))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.body["locale"], "de");

    // Signed in, in a French browser: the account page speaks German.
    let cookie = server.browser_session("default", "saved@example.com", "correct horse battery").await;
    let account = |extra: &'static str| {
        let request = server.http.get(server.url("/t/default/account")).header(COOKIE, format!("{cookie}{extra}"));
        async move { request.header(ACCEPT_LANGUAGE, "fr").send().await.unwrap().text().await.unwrap() }
    };
    let page = account("").await;
    assert!(page.contains("lang=\"de\"") && page.contains(">Ihr Konto</h1>"), "{page}");
    // A client's ui_locales (remembered for the sign-in) still wins.
    let page = account("; ia_locale=ar").await;
    assert!(page.contains("lang=\"ar\""), "{page}");

    // OIDC's `locale` claim (profile scope), in the ID token and from userinfo, beside the
    // other profile claims the user has (and none they have not).
    let profile = json!({ "given_name": "Grace", "family_name": "Hopper", "picture": "https://example.com/g.png" });
    let saved = server.call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(profile)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let spa = json!({ "name": "spa", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true });
    let app = server.post("/v1/tenants/default/applications", spa).await;
    let client_id = app.body["client_id"].as_str().unwrap();
    let (_, callback, _) =
        authorize(&server.endpoint, &authorize_path(client_id, &[("scope", "openid profile")]), Some(&cookie)).await;
    let tokens = exchange(&server.endpoint, client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    let id_token = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id_token["locale"], "de", "{}", tokens.text);
    let access = tokens.body["access_token"].as_str().unwrap();
    let info = server.http.get(server.url("/t/default/oauth/userinfo")).bearer_auth(access).send().await.unwrap();
    let info = info.json::<serde_json::Value>().await.unwrap();
    assert_eq!(info["locale"], "de");
    for claims in [&id_token, &info] {
        assert_eq!((&claims["given_name"], &claims["family_name"]), (&json!("Grace"), &json!("Hopper")), "{claims}");
        assert_eq!(claims["picture"], "https://example.com/g.png");
        assert!(claims.get("nickname").is_none(), "a claim the user does not have is left out: {claims}");
    }

    let cleared =
        server.call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(json!({ "locale": null }))).await;
    assert_eq!(cleared.body["locale"], serde_json::Value::Null);
    assert!(account("").await.contains("lang=\"fr\""), "the browser's language again");
}

#[tokio::test]
async fn an_error_from_a_tenants_endpoint_speaks_its_default_language_and_wording() {
    let server = Server::start().await;
    let settings = json!({ "settings": { "locale": { "default": "de", "overrides": {
        "fr": { "code-invalid_credentials": "Identifiants inconnus chez nous." } } } } });
    assert_eq!(server.call(Method::PATCH, "/v1/tenants/default", Some(settings)).await.status, StatusCode::OK);
    server.user_with_password("default", "api@example.com", "correct horse battery", true).await;
    let flow = server.flow("default", "login").await;
    let url = server.url(&format!("/t/default/api/login/{flow}"));
    let body = json!({ "email": "api@example.com", "password": "wrong password" });
    let send = |language: Option<&'static str>| {
        let mut request = server.http.post(&url).json(&body);
        if let Some(language) = language {
            request = request.header(ACCEPT_LANGUAGE, language);
        }
        async move { request.send().await.unwrap() }
    };
    let german = send(None).await;
    assert_eq!(german.headers()[CONTENT_LANGUAGE], "de", "the tenant's default, with no Accept-Language");
    assert_eq!(
        german.json::<serde_json::Value>().await.unwrap()["message"],
        "E-Mail-Adresse oder Passwort ist falsch."
    );
    let french = send(Some("fr")).await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(french["code"], "invalid_credentials");
    assert_eq!(french["message"], "Identifiants inconnus chez nous.", "the tenant's wording");
}

#[tokio::test]
async fn mails_speak_the_readers_language_and_the_tenants_wording() {
    let smtp = SmtpServer::start().await;
    let server = Server::start_with(Options::default().arg("--smtp-url", &smtp.url)).await;
    let recover = |email: &'static str, language: &'static str| {
        let request = server.http.post(server.url("/t/default/api/recovery")).header(ACCEPT_LANGUAGE, language);
        async move { request.json(&json!({ "email": email })).send().await.unwrap().status() }
    };
    let mail_to = |email: &str| {
        let found = smtp.messages().into_iter().rev().find(|m| m.to.iter().any(|to| to == email));
        found.expect("a mail").read()
    };

    // A French browser asks for a reset link: the mail is French, its link on a line of its own.
    server.user_with_password("default", "fr@example.com", "correct horse battery", true).await;
    assert_eq!(recover("fr@example.com", "fr-CA,fr;q=0.9").await, StatusCode::ACCEPTED);
    smtp.link("fr@example.com", "/t/default/reset?token=").await;
    let (subject, content_type, body) = mail_to("fr@example.com");
    assert_eq!(subject, "Réinitialisez votre mot de passe");
    assert!(content_type.to_ascii_lowercase().contains("charset=utf-8"), "{content_type}");
    assert!(body.starts_with("Choisissez un nouveau mot de passe"), "{body}");
    assert!(body.lines().any(|line| line.starts_with("http") && line.contains("/t/default/reset?token=")), "{body}");
    assert!(!body.contains('\u{2068}'), "no invisible isolation marks around the link");

    // A user who saved German gets German, whatever the browser says.
    let id = server.user_with_password("default", "de@example.com", "correct horse battery", true).await;
    let path = format!("/v1/tenants/default/users/{id}");
    server.call(Method::PATCH, &path, Some(json!({ "locale": "de" }))).await;
    assert_eq!(recover("de@example.com", "fr").await, StatusCode::ACCEPTED);
    smtp.link("de@example.com", "/t/default/reset?token=").await;
    assert_eq!(mail_to("de@example.com").0, "Setzen Sie Ihr Passwort zurück");

    // Arabic, right to left, for registering an address that has an account.
    let flow = server.flow("default", "registration").await;
    let url = server.url(&format!("/t/default/api/registration/{flow}"));
    let body = json!({ "email": "fr@example.com", "password": "another good secret" });
    let registered = server.http.post(url).header(ACCEPT_LANGUAGE, "ar").json(&body).send().await.unwrap();
    assert_eq!(registered.status(), StatusCode::ACCEPTED);
    smtp.link("fr@example.com", "/t/default/login").await;
    let (subject, _, body) = mail_to("fr@example.com");
    assert_eq!(subject, "لديك حساب بالفعل");
    assert!(body.contains("هل نسيت كلمة المرور؟"), "{body}");

    // The tenant's own wording of a mail, in English here.
    let own = json!({ "settings": { "locale": { "overrides": { "en": {
        "mail-reset-subject": "Your Acme password",
    } } } } });
    let saved = server.call(Method::PATCH, "/v1/tenants/default", Some(own)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    server.user_with_password("default", "en@example.com", "correct horse battery", true).await;
    assert_eq!(recover("en@example.com", "en").await, StatusCode::ACCEPTED);
    smtp.link("en@example.com", "/t/default/reset?token=").await;
    let (subject, _, body) = mail_to("en@example.com");
    assert_eq!(subject, "Your Acme password");
    assert!(body.starts_with("Choose a new password"), "the rest in the catalogue's words: {body}");
}
