use fluent_bundle::{FluentArgs, FluentResource};
use intelliauth_catalogue::{Code, ENTRIES};

use super::*;

#[test]
fn every_locale_parses_and_has_every_key_with_the_same_variables() {
    let reference = variables(Locale::En.source());
    for locale in SUPPORTED {
        match FluentResource::try_new(locale.source().to_owned()) {
            Err((_, errors)) => panic!("{} does not parse: {errors:?}", locale.tag()),
            // A bundle refuses a second message with an id it has.
            Ok(resource) => {
                assert!(empty_bundle(locale).add_resource(resource).is_ok(), "{}: an id twice", locale.tag())
            }
        }
        let translated = variables(locale.source());
        let missing: Vec<_> = reference.keys().filter(|key| !translated.contains_key(*key)).collect();
        let extra: Vec<_> = translated.keys().filter(|key| !reference.contains_key(*key)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, unknown {extra:?}", locale.tag());
        for (key, variables) in &reference {
            assert_eq!(&translated[key], variables, "{}: {key} uses other variables", locale.tag());
        }
    }
}

#[test]
fn the_locales_the_domain_names_are_the_ones_translated() {
    let tags: Vec<&str> = SUPPORTED.iter().map(|locale| locale.tag()).collect();
    assert_eq!(tags, intelliauth_core::model::UI_LOCALES);
}

#[test]
fn every_message_formats_without_errors_in_every_locale() {
    let mut args = FluentArgs::new();
    for (name, value) in [
        ("title", "T"),
        ("brand", "B"),
        ("problem", "p"),
        ("phone", "+1"),
        ("email", "e"),
        ("app", "A"),
        ("link", "https://l"),
        ("sign_in", "https://s"),
        ("forgot", "https://f"),
        ("code", "123456"),
        ("tenant", "Acme"),
        ("provider", "GitHub"),
        ("organization", "Globex"),
        ("api", "Reports"),
    ] {
        args.set(name, value);
    }
    for locale in SUPPORTED {
        for count in [0, 1, 2, 3, 11, 100] {
            args.set("minutes", count);
            args.set("count", count);
            for key in variables(locale.source()).keys() {
                assert!(format_in(locale, key, Some(&args)).is_some(), "{}: {key} with {count}", locale.tag());
            }
        }
    }
}

#[test]
fn english_carries_the_catalogues_copy_verbatim_for_every_answered_code() {
    for entry in ENTRIES.iter().filter(|entry| entry.http_status.is_some()) {
        let key = format!("code-{}", entry.code.as_str());
        assert_eq!(text_in(Locale::En, &key, None), entry.message, "{key}");
        for locale in SUPPORTED {
            assert!(format_in(locale, &key, None).is_some(), "{}: {key}", locale.tag());
        }
    }
    assert_eq!(
        text_in(Locale::Fr, "code-invalid_credentials", None),
        "L'adresse e-mail ou le mot de passe est incorrect."
    );
    assert_eq!(Code::InvalidCredentials.default_message(), text_in(Locale::En, "code-invalid_credentials", None));
}

#[test]
fn plurals_follow_each_languages_rules() {
    let minutes = |locale, n: u64| {
        let mut args = FluentArgs::new();
        args.set("minutes", n);
        text_in(locale, "retry-after", Some(&args))
    };
    assert!(minutes(Locale::En, 1).ends_with(" minute."), "{}", minutes(Locale::En, 1));
    assert!(minutes(Locale::En, 5).ends_with(" minutes."));
    assert!(minutes(Locale::De, 1).contains(" Minute "));
    assert!(minutes(Locale::De, 5).contains(" Minuten "));
    // Arabic: one, two, few (3–10) and many (11–99) are different words.
    assert!(minutes(Locale::Ar, 2).contains("دقيقتين"));
    assert!(minutes(Locale::Ar, 3).contains("دقائق"));
    assert!(minutes(Locale::Ar, 11).contains("دقيقة"));
}

#[test]
fn accept_language_is_read_by_quality_and_a_stronger_source_wins_whatever_the_order() {
    assert_eq!(accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"), ["fr-CH", "fr", "en", "de"]);
    assert_eq!(accept_language("en;q=0.1, ar;q=0.9, de;q=0"), ["ar", "en"]);
    assert_eq!(accept_language(""), Vec::<&str>::new());
    assert_eq!(Locale::from_tag("FR-ca"), Some(Locale::Fr));
    assert_eq!(Locale::from_tag("pt-BR"), None);

    let mut choice = Choice::default();
    choice.offer(Source::AcceptLanguage, ["pt", "de-AT"]);
    assert_eq!(choice.locale, Locale::De);
    choice.offer(Source::TenantDefault, ["fr"]);
    assert_eq!(choice.locale, Locale::De, "the tenant's default is weaker than the browser's");
    choice.offer(Source::UiLocales, ["ja", "ar"]);
    assert_eq!(choice, Choice { locale: Locale::Ar, source: Source::UiLocales });
    choice.offer(Source::UiLocales, ["fr"]);
    assert_eq!(choice.locale, Locale::Ar, "the first ui_locales learnt stays");

    let mut unmatched = Choice::default();
    unmatched.offer(Source::AcceptLanguage, ["ja"]);
    unmatched.offer(Source::TenantDefault, ["fr"]);
    assert_eq!(unmatched.locale, Locale::Fr, "the tenant's default when the browser's languages are not ours");
}

#[test]
fn every_copy_the_domain_names_is_in_the_catalogues() {
    let english = variables(Locale::En.source());
    for copy in intelliauth_core::error::DomainCopy::ALL {
        assert!(english.contains_key(copy.key()), "{copy:?} has no message {} in en.ftl", copy.key());
    }
}

#[test]
fn a_tenants_wording_formats_with_the_locales_plurals_and_is_checked_like_the_catalogue() {
    let text = "{ $minutes ->\n    [one] Encore une minute.\n   *[other] Encore { $minutes } minutes.\n}";
    assert_eq!(check_override("fr", "retry-after", text), Ok(()));
    let minutes = |n: u64| {
        let mut args = FluentArgs::new();
        args.set("minutes", n);
        format_override(Locale::Fr, "retry-after", text, Some(&args)).unwrap()
    };
    assert_eq!(minutes(1), "Encore une minute.");
    assert_eq!(minutes(5), "Encore 5 minutes.");
    assert!(check_override("fr", "retry-after", "Dans { $secondes } secondes").unwrap_err().contains("$secondes"));
    assert!(check_override("de", "no-such-key", "x").is_err());
    assert!(check_override("xx", "sign-in-title", "x").is_err());
    assert!(check_override("en", "sign-in-title", "").is_err());
    assert!(check_override("en", "sign-in-title", "a\u{0007}b").is_err());
}

#[test]
fn every_field_problem_the_forms_meet_is_recognised_as_the_domain_writes_it() {
    use intelliauth_core::validate::{check_email, check_name, FieldErrors};
    let mut errors = FieldErrors::new();
    let policy = intelliauth_core::password::PasswordPolicy { min_length: 12, ..Default::default() };
    policy.check(&mut errors, "short", "abc");
    let lenient = intelliauth_core::password::PasswordPolicy { min_length: 1, ..Default::default() };
    lenient.check(&mut errors, "common", "password");
    policy.check(&mut errors, "long", &"x".repeat(5000));
    check_email(&mut errors, "email", "not an email");
    check_name(&mut errors, "empty", " ", 100);
    check_name(&mut errors, "long_name", &"n".repeat(101), 100);
    check_name(&mut errors, "control", "a\u{7}b", 100);
    let mut phone = FieldErrors::new();
    intelliauth_core::auth::check_phone(&mut phone, "phone", "12");
    let all = [errors.into_json(), phone.into_json()];
    let problems: Vec<&str> = all
        .iter()
        .flat_map(|fields| fields.as_object().unwrap().values())
        .flat_map(|messages| messages.as_array().unwrap())
        .map(|message| message.as_str().unwrap())
        .collect();
    assert!(problems.len() >= 8, "{problems:?}");
    for problem in problems {
        let shown = scope_sync(Locale::De, || field_problem(problem));
        assert_ne!(shown, problem, "{problem:?} is not recognised, so a German page would show it in English");
    }
}

/// Runs `work` as if in a request speaking `locale`.
fn scope_sync<T>(locale: Locale, work: impl FnOnce() -> T) -> T {
    REQUEST.sync_scope(
        RefCell::new(RequestLocale { choice: Choice { locale, source: Source::UiLocales }, overrides: None }),
        work,
    )
}

#[test]
fn arabic_writes_numbers_in_arabic_indic_digits_and_leaves_text_alone() {
    let mut args = FluentArgs::new();
    args.set("minutes", 15);
    let arabic = text_in(Locale::Ar, "retry-after", Some(&args));
    assert!(arabic.contains("١٥") && !arabic.contains("15"), "{arabic}");
    assert!(text_in(Locale::En, "retry-after", Some(&args)).contains("15"));
    let mut code = FluentArgs::new();
    code.set("code", "123456");
    code.set("tenant", "Acme");
    assert!(text_in(Locale::Ar, "sms-code-text", Some(&code)).contains("123456"), "a code passed as text stays ASCII");
}
