//! The languages the hosted pages and error messages speak: a Fluent catalogue per locale
//! (the `.ftl` files beside this one; English is the reference and carries the error
//! catalogue's copy verbatim), and which locale a request gets.
//!
//! A request's locale is chosen from, in order: OIDC `ui_locales` (on this request, or
//! remembered for the browser by the `ia_locale` cookie from the request that started the
//! sign-in), then the language the user chose (once a page knows the user), then
//! `Accept-Language`, then the tenant's default, then English. The choice
//! lives for the request in a task-local [`Choice`]: the outer middleware makes it from the
//! request's headers and query, the page extractor adds the tenant's default, and anything
//! that renders text reads [`current`]. Mails and texts the domain sends while serving a
//! request are worded through [`CatalogueWording`] in the same choice, where the reader's
//! saved language outranks the browser's.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// A locale the pages are translated into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    En,
    Fr,
    De,
    Ar,
}

/// Every locale, English (the reference) first.
pub const SUPPORTED: [Locale; 4] = [Locale::En, Locale::Fr, Locale::De, Locale::Ar];

/// The cookie that remembers a browser's `ui_locales` for the rest of its sign-in.
pub const COOKIE: &str = "ia_locale";

impl Locale {
    /// Its BCP 47 tag, as `lang`, `Content-Language` and discovery say it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::Ar => "ar",
        }
    }

    /// The writing direction, for `dir`.
    pub fn direction(self) -> &'static str {
        match self {
            Locale::Ar => "rtl",
            _ => "ltr",
        }
    }

    /// The Fluent source of its catalogue.
    pub fn source(self) -> &'static str {
        match self {
            Locale::En => include_str!("en.ftl"),
            Locale::Fr => include_str!("fr.ftl"),
            Locale::De => include_str!("de.ftl"),
            Locale::Ar => include_str!("ar.ftl"),
        }
    }

    /// The locale a BCP 47 tag asks for, by its primary language subtag (`fr-CA` is
    /// French), if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?;
        SUPPORTED.into_iter().find(|locale| locale.tag().eq_ignore_ascii_case(primary))
    }

    fn index(self) -> usize {
        self as usize
    }
}

fn bundles() -> &'static [FluentBundle<FluentResource>] {
    static BUNDLES: OnceLock<Vec<FluentBundle<FluentResource>>> = OnceLock::new();
    BUNDLES.get_or_init(|| SUPPORTED.into_iter().map(bundle).collect())
}

/// One locale's bundle. The sources are compiled in and a test parses every one, so a
/// message that does not parse never ships; should one anyway, its key is shown instead.
fn bundle(locale: Locale) -> FluentBundle<FluentResource> {
    let mut bundle = empty_bundle(locale);
    let resource = FluentResource::try_new(locale.source().to_owned()).unwrap_or_else(|(partial, _)| partial);
    // Ids are unique within a file (tested), so adding cannot clash.
    let _ = bundle.add_resource(resource);
    bundle
}

/// A bundle for `locale` with no messages yet, formatting with its plural rules.
fn empty_bundle(locale: Locale) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![locale.tag().parse().unwrap_or_default()]);
    // Isolation marks keep a left-to-right value (an email, a phone number) whole inside
    // right-to-left text; in left-to-right text they would only be invisible noise in
    // titles and copy that clients compare.
    bundle.set_use_isolating(locale.direction() == "rtl");
    if locale == Locale::Ar {
        bundle.set_formatter(Some(arabic_indic_digits));
    }
    bundle
}

/// Numbers in Arabic text in Arabic-Indic digits (٠١٢…), as CLDR's default numbering system
/// for `ar` writes them. Only numbers: a code or a phone number passed as text is left as
/// it is (a texted code is typed or autofilled as ASCII digits).
fn arabic_indic_digits<M>(value: &fluent_bundle::FluentValue, _: &M) -> Option<String> {
    let fluent_bundle::FluentValue::Number(number) = value else { return None };
    let western = number.as_string();
    Some(western.chars().map(|c| c.to_digit(10).map_or(c, |d| char::from_u32(0x0660 + d).unwrap_or(c))).collect())
}

/// The text of `key` in `locale` with `args` (see [`localized`]), falling back to English,
/// then to the key.
pub fn text_in(locale: Locale, key: &str, args: Option<&FluentArgs>) -> String {
    localized(locale, key, args).or_else(|| format_in(Locale::En, key, args)).unwrap_or_else(|| key.to_owned())
}

/// The text of `key` in `locale` with `args`: the tenant's own wording when the request's
/// tenant has one, else the catalogue's, if the locale has the message.
fn localized(locale: Locale, key: &str, args: Option<&FluentArgs>) -> Option<String> {
    let own = override_for(locale, key).and_then(|text| format_override(locale, key, &text, args));
    own.or_else(|| format_in(locale, key, args))
}

/// The current request's tenant's wording of `key` in `locale`, if it has one.
fn override_for(locale: Locale, key: &str) -> Option<String> {
    REQUEST.try_with(|request| request.borrow().overrides.as_ref()?.get(locale.tag())?.get(key).cloned()).ok()?
}

/// A tenant's wording formatted like the catalogue's message: parsed as the message `key`
/// in a bundle of its own, with the locale's plural rules.
fn format_override(locale: Locale, key: &str, text: &str, args: Option<&FluentArgs>) -> Option<String> {
    let mut bundle = empty_bundle(locale);
    bundle.add_resource(FluentResource::try_new(as_message(key, text)).ok()?).ok()?;
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let formatted = bundle.format_pattern(pattern, args, &mut errors);
    errors.is_empty().then(|| formatted.into_owned())
}

/// `text` as the Fluent message `key`: its lines after the first indented, so a select
/// expression over several lines stays one message.
fn as_message(key: &str, text: &str) -> String {
    let mut lines = text.lines();
    let mut source = format!("{key} = {}\n", lines.next().unwrap_or_default());
    for line in lines {
        source.push_str(&format!("    {line}\n"));
    }
    source
}

/// Why a tenant's wording of `key` cannot be used, if it cannot: an unknown message, text
/// that does not parse, or variables the message does not have.
pub fn check_override(locale_tag: &str, key: &str, text: &str) -> Result<(), String> {
    let Some(locale) = SUPPORTED.into_iter().find(|locale| locale.tag() == locale_tag) else {
        return Err(format!("is not a locale the pages speak ({})", intelliauth_core::model::UI_LOCALES.join(", ")));
    };
    if bundles()[Locale::En.index()].get_message(key).is_none() {
        return Err("is not a message of the hosted pages (see crates/server/src/i18n/en.ftl)".into());
    }
    if text.trim().is_empty() || text.chars().count() > 1000 || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must be 1 to 1000 characters, without control characters".into());
    }
    if let Err((_, errors)) = FluentResource::try_new(as_message(key, text)) {
        let first = errors.first().map(ToString::to_string).unwrap_or_default();
        return Err(format!("is not valid Fluent syntax: {first}"));
    }
    let wanted = variables(Locale::En.source()).remove(key).unwrap_or_default();
    let used = variables(&as_message(key, text)).remove(key).unwrap_or_default();
    if let Some(unknown) = used.difference(&wanted).next() {
        let known: Vec<String> = wanted.iter().map(|name| format!("${name}")).collect();
        return Err(format!("uses ${unknown}, which this message does not have (it has: {})", known.join(", ")));
    }
    // It must format, in its locale, with every variable the message has.
    let mut args = FluentArgs::new();
    for name in &wanted {
        args.set(name.clone(), 2);
    }
    match format_override(locale, key, text, Some(&args)) {
        Some(_) => Ok(()),
        None => Err("does not format with this message's variables".into()),
    }
}

/// Each message of a Fluent `source` and the variables it uses, read from the text: a
/// message starts with its id at a line's first column and goes on over the lines that do
/// not (indented ones, and a select expression's closing brace).
pub(crate) fn variables(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut messages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<&str> = None;
    for line in source.lines() {
        if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            current = line.split_once(" =").map(|(id, _)| id);
        } else if line.starts_with('#') {
            continue;
        }
        if let Some(id) = current {
            let used = messages.entry(id.to_owned()).or_default();
            for piece in line.split('$').skip(1) {
                used.insert(piece.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
            }
        }
    }
    messages
}

fn format_in(locale: Locale, key: &str, args: Option<&FluentArgs>) -> Option<String> {
    let bundle = &bundles()[locale.index()];
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

/// The text of `key` in the current request's locale.
pub fn t(key: &str) -> String {
    text_in(current(), key, None)
}

/// The text of `key` with one argument, in the current request's locale.
pub fn t_with(key: &str, name: &'static str, value: impl Into<fluent_bundle::FluentValue<'static>>) -> String {
    let mut args = FluentArgs::new();
    args.set(name, value);
    text_in(current(), key, Some(&args))
}

/// What a person is told of `error`, in the request's language: the domain's own copy
/// when it names one, else its own message when it has one (an Action's denial, a
/// developer's detail), else its code's copy.
pub fn message(error: &intelliauth_core::Error) -> String {
    if let Some(copy) = error.copy {
        return t(copy.key());
    }
    if error.message.is_some() {
        return error.message().to_owned();
    }
    let key = format!("code-{}", error.code.as_str());
    localized(current(), &key, None).unwrap_or_else(|| error.message().to_owned())
}

/// A field problem the domain wrote (in English, as the JSON API's `details.fields` says
/// it) in the request's language, for a page: each of the messages the hosted pages' forms
/// can meet is recognised by its wording; any other is shown as written.
pub fn field_problem(english: &str) -> String {
    let counted = |prefix: &str, suffix: &str| -> Option<u64> {
        english.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok()
    };
    let with_count = |key: &str, count: u64| t_with(key, "count", count);
    if let Some(count) = counted("must be at least ", " characters") {
        return with_count("problem-min-length", count);
    }
    if let Some(count) = counted("must be at most ", " bytes") {
        return with_count("problem-max-bytes", count);
    }
    if let Some(count) = counted("must be at most ", " characters") {
        return with_count("problem-max-chars", count);
    }
    let key = match english {
        "is one of the most common passwords; choose one that is harder to guess" => "problem-common-password",
        "must be an email address such as name@example.com" => "problem-email",
        "must not be empty" => "problem-empty",
        "must not contain control characters" => "problem-control-chars",
        "must be an international number in E.164 form, such as +14155550100" => "problem-phone",
        _ => return english.to_owned(),
    };
    t(key)
}

/// Where a request's locale came from, weakest first: a stronger source replaces a weaker
/// one, whatever the order they are learnt in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Fallback,
    TenantDefault,
    AcceptLanguage,
    /// The language the signed-in (or signing-in) user chose.
    Saved,
    UiLocales,
}

/// A request's locale and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub locale: Locale,
    pub source: Source,
}

impl Default for Choice {
    fn default() -> Self {
        Choice { locale: Locale::En, source: Source::Fallback }
    }
}

impl Choice {
    /// Takes the first of `tags` we speak, if `source` outranks what was chosen so far.
    pub fn offer<'a>(&mut self, source: Source, tags: impl IntoIterator<Item = &'a str>) {
        if source <= self.source {
            return;
        }
        if let Some(locale) = tags.into_iter().find_map(Locale::from_tag) {
            *self = Choice { locale, source };
        }
    }
}

/// The tags of an `Accept-Language` header, most wanted first (RFC 9110 §12.5.4): stable
/// by quality, `q=0` and the wildcard left out.
pub fn accept_language(header: &str) -> Vec<&str> {
    let mut ranked: Vec<(&str, u16)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
            (!tag.is_empty() && tag != "*" && quality > 0).then_some((tag, quality))
        })
        .collect();
    ranked.sort_by_key(|&(_, quality)| std::cmp::Reverse(quality));
    ranked.into_iter().map(|(tag, _)| tag).collect()
}

/// A tenant's wording: locale tag → message id → text.
type Overrides = BTreeMap<String, BTreeMap<String, String>>;

/// What a request speaks: its locale, and its tenant's wording once a page knows the tenant.
struct RequestLocale {
    choice: Choice,
    overrides: Option<Arc<Overrides>>,
}

tokio::task_local! {
    static REQUEST: RefCell<RequestLocale>;
}

/// Runs `work` (a request) with `choice` as its locale.
pub async fn scope<F: std::future::Future>(choice: Choice, work: F) -> F::Output {
    REQUEST.scope(RefCell::new(RequestLocale { choice, overrides: None }), work).await
}

/// The current request's locale; English outside a request.
pub fn current() -> Locale {
    current_choice().locale
}

/// The current request's whole choice (the default outside a request).
pub fn current_choice() -> Choice {
    REQUEST.try_with(|request| request.borrow().choice).unwrap_or_default()
}

/// Offers the language the request's user chose (their `locale`) to its choice.
pub fn offer_saved(tag: Option<&str>) {
    let _ = REQUEST.try_with(|request| request.borrow_mut().choice.offer(Source::Saved, tag));
}

/// Tells the current request which tenant it serves: its default locale is offered to the
/// choice, and its wording replaces the catalogue's.
pub fn offer_tenant(tenant: &intelliauth_core::model::Tenant) {
    let locale = &tenant.settings.locale;
    let _ = REQUEST.try_with(|request| {
        let mut request = request.borrow_mut();
        request.choice.offer(Source::TenantDefault, Some(locale.default.as_str()));
        if !locale.overrides.is_empty() {
            request.overrides = Some(Arc::new(locale.overrides.clone()));
        }
    });
}

/// The domain's mails and texts in the catalogues' words (see [`intelliauth_core::ports::Wording`]).
pub struct CatalogueWording;

impl intelliauth_core::ports::Wording for CatalogueWording {
    fn write(
        &self,
        tenant: &intelliauth_core::model::Tenant,
        reader_locale: Option<&str>,
        key: &str,
        args: &[(&str, &str)],
    ) -> String {
        // The request serves this tenant: its default and wording now hold for the request,
        // as they do once a page knows its tenant.
        offer_tenant(tenant);
        let mut choice = current_choice();
        choice.offer(Source::Saved, reader_locale);
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        // Plain text has no markup to isolate an argument with, and a mail client's linker
        // may take the invisible isolation marks into a link: each link and code stands on
        // a line of its own instead, whose direction its own characters decide.
        text_in(choice.locale, key, Some(&fluent_args)).replace(['\u{2068}', '\u{2069}'], "")
    }
}

#[cfg(test)]
mod tests;
