//! The languages the hosted pages and error messages speak: a Fluent catalogue per locale
//! (the `.ftl` files beside this one; English is the reference and carries the error
//! catalogue's copy verbatim), and which locale a request gets.
//!
//! A request's locale is chosen from, in order: OIDC `ui_locales` (on this request, or
//! remembered for the browser by the `ia_locale` cookie from the request that started the
//! sign-in), then `Accept-Language`, then the tenant's default, then English. The choice
//! lives for the request in a task-local [`Choice`]: the outer middleware makes it from the
//! request's headers and query, the page extractor adds the tenant's default, and anything
//! that renders text reads [`current`].

use std::cell::Cell;
use std::sync::OnceLock;

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
    let language = locale.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![language]);
    // Isolation marks keep a left-to-right value (an email, a phone number) whole inside
    // right-to-left text; in left-to-right text they would only be invisible noise in
    // titles and copy that clients compare.
    bundle.set_use_isolating(locale.direction() == "rtl");
    let resource = FluentResource::try_new(locale.source().to_owned()).unwrap_or_else(|(partial, _)| partial);
    // Ids are unique within a file (tested), so adding cannot clash.
    let _ = bundle.add_resource(resource);
    bundle
}

/// The text of `key` in `locale` with `args`, falling back to English, then to the key.
pub fn text_in(locale: Locale, key: &str, args: Option<&FluentArgs>) -> String {
    format_in(locale, key, args).or_else(|| format_in(Locale::En, key, args)).unwrap_or_else(|| key.to_owned())
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
    format_in(current(), &key, None).unwrap_or_else(|| error.message().to_owned())
}

/// Where a request's locale came from, weakest first: a stronger source replaces a weaker
/// one, whatever the order they are learnt in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Fallback,
    TenantDefault,
    AcceptLanguage,
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

tokio::task_local! {
    static CHOICE: Cell<Choice>;
}

/// Runs `work` (a request) with `choice` as its locale.
pub async fn scope<F: std::future::Future>(choice: Choice, work: F) -> F::Output {
    CHOICE.scope(Cell::new(choice), work).await
}

/// The current request's locale; English outside a request.
pub fn current() -> Locale {
    CHOICE.try_with(|choice| choice.get().locale).unwrap_or(Locale::En)
}

/// The current request's whole choice (the default outside a request).
pub fn current_choice() -> Choice {
    CHOICE.try_with(Cell::get).unwrap_or_default()
}

/// Offers the tenant's default locale to the current request's choice.
pub fn offer_tenant_default(tag: Option<&str>) {
    let _ = CHOICE.try_with(|cell| {
        let mut choice = cell.get();
        choice.offer(Source::TenantDefault, tag);
        cell.set(choice);
    });
}

#[cfg(test)]
mod tests;
