//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30-second steps), their
//! enrolment URI, and base32 for the shared secret.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_S: i64 = 30;
pub const DIGITS: u32 = 6;
/// 160 bits, the length RFC 4226 recommends for HMAC-SHA1.
pub const SECRET_BYTES: usize = 20;

/// HOTP (RFC 4226 §5.3): dynamic truncation of HMAC-SHA1(secret, counter).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    binary % 10u32.pow(digits)
}

/// The code for the step containing `unix_s`, zero-padded.
pub fn code_at(secret: &[u8], unix_s: i64, digits: u32) -> String {
    let step = unix_s.div_euclid(STEP_S) as u64;
    format!("{:0width$}", hotp(secret, step, digits), width = digits as usize)
}

/// The step `code` belongs to, if it is the code of the current step or one step either
/// side (clock drift), and that step is later than `last_used_step` (a code works once).
pub fn verify(secret: &[u8], code: &str, unix_s: i64, last_used_step: Option<i64>) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = unix_s.div_euclid(STEP_S);
    let mut matched = None;
    // Check every candidate so the time taken does not say which one matched.
    for step in [now_step - 1, now_step, now_step + 1] {
        let expected = format!("{:06}", hotp(secret, step as u64, DIGITS));
        let equal: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into();
        if equal && last_used_step.is_none_or(|used| step > used) {
            matched = Some(step);
        }
    }
    matched
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps expect.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, buffer[0], buffer[1], buffer[2], buffer[3], buffer[4]]);
        let symbols = (chunk.len() * 8).div_ceil(5);
        for index in 0..symbols {
            out.push(BASE32[((bits >> (35 - index * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{}:{}", percent(issuer), percent(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_S}",
        base32(secret),
        percent(issuer)
    )
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, the 20-byte ASCII key "1234…890").
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, time, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn drift_of_one_step_is_accepted_and_a_used_step_is_not() {
        let secret = b"12345678901234567890";
        let now = 1_700_000_000;
        let current = code_at(secret, now, DIGITS);
        let step = now / STEP_S;
        assert_eq!(verify(secret, &current, now, None), Some(step));
        assert_eq!(verify(secret, &code_at(secret, now - 30, DIGITS), now, None), Some(step - 1));
        assert_eq!(verify(secret, &code_at(secret, now + 30, DIGITS), now, None), Some(step + 1));
        assert_eq!(verify(secret, &code_at(secret, now - 60, DIGITS), now, None), None, "two steps old");
        assert_eq!(verify(secret, &current, now, Some(step)), None, "already used in its step");
        assert_eq!(verify(secret, "12345", now, None), None);
        assert_eq!(verify(secret, "abcdef", now, None), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }
}
