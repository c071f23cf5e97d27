//! Reading what the server hands a client: query parameters of a redirect, JWT claims, JWS
//! signatures checked against a published key set with the p256 / ed25519 / rsa crates (not
//! the server's JWT code), and TOTP codes (RFC 6238, written here apart from the server's
//! implementation).

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

/// Verifies a compact JWS against the tenant's published keys, independently of the server.
pub async fn verified(server: &super::Server, tenant: &str, jwt: &str) -> (Value, Value) {
    let jwks: Value = server.public_json(&format!("/t/{tenant}/.well-known/jwks.json")).await;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| -> Value { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap() };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the signing key is published");
    let message = format!("{}.{}", parts[0], parts[1]);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let coordinate = |name: &str| URL_SAFE_NO_PAD.decode(key[name].as_str().unwrap()).unwrap();
    match header["alg"].as_str().unwrap() {
        "ES256" => {
            use p256::ecdsa::signature::Verifier;
            let (x, y) = (coordinate("x"), coordinate("y"));
            let point = p256::EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
            let key = p256::ecdsa::VerifyingKey::from_encoded_point(&point).unwrap();
            key.verify(message.as_bytes(), &p256::ecdsa::Signature::from_slice(&signature).unwrap())
                .expect("a valid ES256 signature");
        }
        "RS256" => {
            use rsa::signature::Verifier;
            let key = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(&coordinate("n")),
                rsa::BigUint::from_bytes_be(&coordinate("e")),
            )
            .unwrap();
            let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                .verify(message.as_bytes(), &signature)
                .expect("a valid RS256 signature");
        }
        "EdDSA" => {
            let key = ed25519_dalek::VerifyingKey::from_bytes(&coordinate("x").try_into().unwrap()).unwrap();
            key.verify_strict(message.as_bytes(), &ed25519_dalek::Signature::from_slice(&signature).unwrap())
                .expect("a valid EdDSA signature");
        }
        other => panic!("unexpected alg {other}"),
    }
    (header, claims)
}
