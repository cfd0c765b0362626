//! The cache of verified tokens: hits, a tampered or expired token checked
//! afresh, and what a full cache forgets.

use super::*;
use crate::auth::{
    claims::Role,
    keys::{generate_signing_keys_json, SigningKeys},
};

fn claims(exp_in: i64) -> Claims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Claims {
        iss: "iss".to_owned(),
        aud: "aud".to_owned(),
        sub: "someone".to_owned(),
        exp: now + exp_in,
        iat: now,
        role: Role::Customer,
        email: None,
        name: None,
    }
}

#[tokio::test]
async fn a_verified_token_is_served_from_the_cache_and_a_tampered_one_is_not() {
    let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
    let verifier = TokenVerifier::from_jwks("iss", "aud", &keys.jwks());
    let token = keys.sign(&claims(600)).unwrap();
    assert_eq!(verifier.verify(&token).await.unwrap().sub, "someone");
    assert_eq!(verifier.verified.lock().unwrap().len(), 1);
    assert_eq!(verifier.verify(&token).await.unwrap().sub, "someone");
    // One character of the signature changed: a different token, checked afresh.
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert!(verifier.verify(&tampered).await.is_err());
    assert_eq!(verifier.verified.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_cached_token_past_its_expiry_is_checked_again_and_refused() {
    let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
    let verifier = TokenVerifier::from_jwks("iss", "aud", &keys.jwks());
    // Expired a minute ago (beyond the 30 s leeway), planted as if cached.
    let token = keys.sign(&claims(-60)).unwrap();
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    verifier
        .verified
        .lock()
        .unwrap()
        .insert(digest, ("k1".to_owned(), claims(-60)));
    assert!(matches!(
        verifier.verify(&token).await,
        Err(AuthError::Expired)
    ));
    assert!(verifier.verified.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_full_cache_forgets_the_expired_first_then_half_the_rest_never_everything() {
    let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
    let verifier = TokenVerifier::from_jwks("iss", "aud", &keys.jwks());
    let fill = |expired_every: u64| {
        let mut verified = verifier.verified.lock().unwrap();
        let mut n = 0u64;
        while verified.len() < VERIFIED_CACHE_SIZE {
            let mut digest = [0xff; 32];
            digest[..8].copy_from_slice(&n.to_le_bytes());
            let expired = expired_every > 0 && n % expired_every == 0;
            let exp_in = if expired { -60 } else { 600 };
            verified.insert(digest, ("k1".to_owned(), claims(exp_in)));
            n += 1;
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    fill(10);
    let first = keys.sign(&claims(600)).unwrap();
    assert_eq!(verifier.verify(&first).await.unwrap().sub, "someone");
    {
        let verified = verifier.verified.lock().unwrap();
        assert_eq!(
            verified.len(),
            VERIFIED_CACHE_SIZE * 9 / 10 + 1,
            "only the expired went"
        );
        assert!(verified.values().all(|(_, c)| c.exp > now));
    }

    fill(0);
    let mut second_claims = claims(600);
    second_claims.sub = "someone else".to_owned();
    let second = keys.sign(&second_claims).unwrap();
    assert_eq!(verifier.verify(&second).await.unwrap().sub, "someone else");
    let len = verifier.verified.lock().unwrap().len();
    assert_eq!(
        len,
        VERIFIED_CACHE_SIZE / 2 + 1,
        "about half stayed, and the new one"
    );
}
