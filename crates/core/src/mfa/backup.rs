//! Backup codes: ten single-use codes shown once at enrolment, stored as SHA-256 digests.

use rand::Rng;

pub const COUNT: usize = 10;
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten fresh codes like `k7m2-x9qp` (40 bits each; no 0/o, 1/l/i to misread).
pub fn generate() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let symbols: String = (0..8).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
            format!("{}-{}", &symbols[..4], &symbols[4..])
        })
        .collect()
}

/// How a typed code is compared: case, spaces and dashes do not matter.
pub fn normalize(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// The stored form of a code.
pub fn digest(code: &str) -> String {
    crate::secret::digest(&normalize(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_typed_forms_match() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        let code = &codes[0];
        assert_eq!(digest(code), digest(&format!(" {} ", code.to_uppercase().replace('-', " "))));
    }
}
