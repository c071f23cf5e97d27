//! Field validation: an accumulator of per-field messages and the rules for common fields.

use std::collections::BTreeMap;

/// Every problem with a request, by field, so a client can show them all at once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `other`'s messages for fields that have none yet (a type error on a field
    /// makes its semantic checks meaningless).
    pub fn merge_new_fields(&mut self, other: FieldErrors) {
        for (field, messages) in other.0 {
            self.0.entry(field).or_insert(messages);
        }
    }

    /// `Ok(())` when empty, otherwise `validation_failed` with `details.fields`.
    pub fn into_result(self) -> crate::Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::validation(self))
        }
    }

    pub fn into_json(self) -> serde_json::Value {
        serde_json::to_value(self.0).unwrap_or_default()
    }
}

/// Lower-cases and trims an email so that uniqueness is case-insensitive.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A pragmatic email check: one `@`, a plausible local part and a dotted domain.
/// Deliverability is proven by the verification mail, not by a regex.
pub fn check_email(errors: &mut FieldErrors, field: &str, email: &str) {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return errors.add(field, "must be an email address such as name@example.com");
    };
    let domain_ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.chars().any(|c| c.is_whitespace() || c.is_control());
    if email.len() > 254 || !domain_ok || !local_ok {
        errors.add(field, "must be an email address such as name@example.com");
    }
}

/// A display name or label: required, trimmed, at most `max` characters, no control characters.
pub fn check_name(errors: &mut FieldErrors, field: &str, name: &str, max: usize) {
    if name.trim().is_empty() {
        errors.add(field, "must not be empty");
    } else if name.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if name.chars().any(char::is_control) {
        errors.add(field, "must not contain control characters");
    }
}

/// A tenant id is a URL path segment and part of issuer URLs: a lower-case slug.
pub fn check_slug(errors: &mut FieldErrors, field: &str, slug: &str) {
    let valid = (2..=63).contains(&slug.len())
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !valid {
        errors
            .add(field, "must be 2 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen");
    }
}

/// A redirect URI per OAuth 2.0 Security BCP and RFC 8252: absolute, no fragment, no
/// wildcard; https, http only on loopback, or a private-use (reverse-domain) scheme.
pub fn check_redirect_uri(errors: &mut FieldErrors, field: &str, uri: &str) {
    let problem = match url::Url::parse(uri) {
        Err(_) => Some("is not an absolute URI"),
        Ok(_) if uri.contains('*') => Some("must not contain wildcards; register each URI exactly"),
        Ok(parsed) if parsed.fragment().is_some() => Some("must not contain a fragment (#)"),
        Ok(parsed) => match parsed.scheme() {
            "https" if parsed.host_str().is_some() => None,
            "http" if matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) => None,
            "http" => Some("must use https (http is allowed only for localhost, 127.0.0.1 and [::1])"),
            "https" => Some("must name a host"),
            scheme if scheme.contains('.') => None,
            _ => Some(
                "must use https, loopback http, or a reverse-domain private-use scheme (com.example.app:/callback)",
            ),
        },
    };
    if let Some(problem) = problem {
        errors.add(field, format!("{uri:?} {problem}"));
    }
}

/// A scope token per RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
pub fn check_scope(errors: &mut FieldErrors, field: &str, scope: &str) {
    let valid = !scope.is_empty()
        && scope.len() <= 128
        && scope.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
    if !valid {
        errors.add(field, format!("{scope:?} is not a valid scope token"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_for(check: impl Fn(&mut FieldErrors)) -> bool {
        let mut errors = FieldErrors::new();
        check(&mut errors);
        !errors.is_empty()
    }

    #[test]
    fn emails() {
        for good in ["a@example.com", "first.last+tag@sub.example.co.uk"] {
            assert!(!errors_for(|e| check_email(e, "email", good)), "{good}");
        }
        for bad in ["", "plain", "@example.com", "a@", "a@localhost", "a b@example.com", "a@-x.com"] {
            assert!(errors_for(|e| check_email(e, "email", bad)), "{bad}");
        }
    }

    #[test]
    fn redirect_uris() {
        for good in
            ["https://app.example.com/cb", "http://localhost:3000/cb", "http://127.0.0.1/cb", "com.example.app:/oauth"]
        {
            assert!(!errors_for(|e| check_redirect_uri(e, "r", good)), "{good}");
        }
        for bad in [
            "not a uri",
            "/relative",
            "http://example.com/cb",
            "https://*.example.com/cb",
            "https://a.example/cb#x",
            "javascript:alert(1)",
        ] {
            assert!(errors_for(|e| check_redirect_uri(e, "r", bad)), "{bad}");
        }
    }

    #[test]
    fn scopes_and_slugs() {
        assert!(!errors_for(|e| check_scope(e, "s", "openid")));
        assert!(errors_for(|e| check_scope(e, "s", "has space")));
        assert!(!errors_for(|e| check_slug(e, "id", "acme-eu")));
        assert!(errors_for(|e| check_slug(e, "id", "Acme")));
    }
}
