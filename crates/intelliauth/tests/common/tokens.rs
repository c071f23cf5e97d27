//! Reading what the server hands a client: query parameters of a redirect, JWT claims, and
//! TOTP codes (RFC 6238, written here apart from the server's implementation).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;

/// The percent-decoded value of `name` in `url`'s query.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let raw = query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name)?.1;
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A JWT's claims, unverified.
pub fn claims(jwt: &str) -> Value {
    part(jwt, 1)
}

/// A JWT's header, unverified.
pub fn header(jwt: &str) -> Value {
    part(jwt, 0)
}

fn part(jwt: &str, index: usize) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(index).unwrap()).unwrap()).unwrap()
}

/// The TOTP code (SHA-1, 6 digits, 30 s steps) of a base32 secret at `unix_s`.
pub fn totp(secret_base32: &str, unix_s: u64) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut key) = (0u64, 0, Vec::new());
    for c in secret_base32.bytes() {
        bits = (bits << 5) | alphabet.iter().position(|a| *a == c).unwrap() as u64;
        count += 5;
        if count >= 8 {
            key.push((bits >> (count - 8)) as u8);
            count -= 8;
        }
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(unix_s / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0xf) as usize;
    let value = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:06}", value % 1_000_000)
}
