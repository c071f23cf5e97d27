//! Claim mapping: what a connection's upstream claims become in the user's profile and
//! `app_metadata`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Connection, Preset, Strategy};
use crate::model::Profile;
use crate::validate::FieldErrors;

/// The profile fields a claim may fill; `app_metadata.<key>` is the other kind of target.
pub const PROFILE_TARGETS: [&str; 5] = ["name", "given_name", "family_name", "nickname", "picture"];
const APP_METADATA: &str = "app_metadata.";

/// Checks a mapping's targets and claim names.
pub fn check(errors: &mut FieldErrors, mapping: &BTreeMap<String, String>) {
    if mapping.len() > 50 {
        errors.add("mapping", "must map at most 50 claims");
    }
    for (target, claim) in mapping {
        let key = target.strip_prefix(APP_METADATA);
        let valid_key = key.is_some_and(|key| {
            (1..=64).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        if !PROFILE_TARGETS.contains(&target.as_str()) && !valid_key {
            errors.add(
                "mapping",
                format!("{target:?} is not a target: name, given_name, family_name, nickname, picture or app_metadata.<key>"),
            );
        }
        if claim.is_empty() || claim.chars().count() > 128 || claim.chars().any(char::is_control) {
            errors.add("mapping", format!("the claim for {target:?} must be 1 to 128 printable characters"));
        }
    }
}

/// The mapping a connection applies: its preset's or strategy's defaults, then its own.
pub fn effective(connection: &Connection) -> BTreeMap<String, String> {
    let defaults: &[(&str, &str)] = match (connection.config.preset, connection.config.strategy) {
        (Some(Preset::Github), _) | (None, Strategy::Oauth2) => {
            &[("name", "name"), ("nickname", "login"), ("picture", "avatar_url")]
        }
        _ => &[
            ("name", "name"),
            ("given_name", "given_name"),
            ("family_name", "family_name"),
            ("nickname", "nickname"),
            ("picture", "picture"),
        ],
    };
    let mut mapping: BTreeMap<String, String> =
        defaults.iter().map(|(target, claim)| ((*target).to_owned(), (*claim).to_owned())).collect();
    mapping.extend(connection.config.mapping.clone());
    mapping
}

/// A claim by name, or by a dotted path into nested objects (`address.country`).
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// What the mapping makes of `claims`.
#[derive(Debug, Default, PartialEq)]
pub struct Mapped {
    pub name: Option<String>,
    pub profile: Profile,
    pub app_metadata: Map<String, Value>,
}

pub fn apply(mapping: &BTreeMap<String, String>, claims: &Map<String, Value>) -> Mapped {
    let mut mapped = Mapped::default();
    for (target, name) in mapping {
        let Some(value) = claim(claims, name).filter(|value| !value.is_null()) else { continue };
        if let Some(key) = target.strip_prefix(APP_METADATA) {
            mapped.app_metadata.insert(key.to_owned(), value.clone());
            continue;
        }
        let Some(text) = value.as_str().map(str::trim).filter(|text| !text.is_empty()) else { continue };
        let text: String = text.chars().take(512).collect();
        match target.as_str() {
            "name" => mapped.name = Some(text),
            "given_name" => mapped.profile.given_name = Some(text),
            "family_name" => mapped.profile.family_name = Some(text),
            "nickname" => mapped.profile.nickname = Some(text),
            // The profile keeps only `https` pictures, as the management API does.
            "picture" if text.starts_with("https://") => mapped.profile.picture = Some(text),
            _ => {}
        }
    }
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_fill_profile_fields_and_app_metadata() {
        let mapping: BTreeMap<String, String> =
            [("name", "name"), ("app_metadata.team", "org.team"), ("picture", "avatar")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .into_iter()
                .collect();
        let claims = json!({ "name": " Ada ", "org": { "team": "core" }, "avatar": 7 });
        let mapped = apply(&mapping, claims.as_object().unwrap());
        assert_eq!(mapped.name.as_deref(), Some("Ada"));
        assert_eq!(mapped.app_metadata["team"], "core");
        assert_eq!(mapped.profile.picture, None, "a number is not a picture URL");
        let mut errors = FieldErrors::new();
        check(&mut errors, &[("roles".to_owned(), "x".to_owned())].into_iter().collect());
        assert!(errors.has("mapping"));
    }
}
