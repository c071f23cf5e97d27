//! RFC 7396 JSON Merge Patch applied to typed settings: a PATCH changes only what it names.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::validate::FieldErrors;

/// A merge patch for one settings document: members it names replace the current ones
/// (objects merge member by member), `null` removes a member (back to its default), and
/// everything it does not name is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePatch(pub Value);

impl MergePatch {
    /// `current` with this patch applied; a patch that yields no valid document is reported
    /// under `field`.
    pub fn apply<T: Serialize + DeserializeOwned>(&self, current: &T, field: &str) -> Result<T, FieldErrors> {
        let mut document = serde_json::to_value(current).unwrap_or(Value::Null);
        merge(&mut document, &self.0);
        serde_json::from_value(document).map_err(|error| {
            let mut errors = FieldErrors::new();
            errors.add(field, error.to_string());
            errors
        })
    }
}

impl MergePatch {
    /// [`MergePatch::apply`], then `check` on the merged document: `validation_failed` with
    /// every problem of either.
    pub fn apply_checked<T: Serialize + DeserializeOwned>(
        &self,
        current: &T,
        field: &str,
        check: impl Fn(&T, &mut FieldErrors),
    ) -> crate::Result<T> {
        let merged = self.apply(current, field).map_err(crate::Error::validation)?;
        let mut errors = FieldErrors::new();
        check(&merged, &mut errors);
        errors.into_result()?;
        Ok(merged)
    }
}

/// RFC 7396 §2 `MergePatch(Target, Patch)`.
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let Value::Object(target) = target else { return };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc_7396_appendix_a_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": {"b": "c"}}), json!({"a": {"b": "d", "c": null}}), json!({"a": {"b": "d"}})),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (target, patch, expected) in cases {
            let mut merged = target.clone();
            merge(&mut merged, &patch);
            assert_eq!(merged, expected, "{target} + {patch}");
        }
    }
}
