//! argon2id password hashes (PHC strings), and an equal-cost check for unknown users.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A hash of a random password, verified against when the user does not exist so that an
/// unknown user costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random = SaltString::generate(&mut OsRng);
    hash(random.as_str()).expect("hashing a random password succeeds")
});

/// Hashes `password` with argon2id's default parameters and a random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("argon2 hashing failed: {err}"))
}

/// True when `password` matches `stored`; `None` runs the same work against a dummy hash.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (target, real) = match stored {
        Some(stored) => (stored, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(target) else {
        tracing::error!("a stored password hash is not a PHC string");
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// argon2 verifications that may run at once. Each takes ~19 MiB for a few tens of
/// milliseconds: bounding them bounds memory under a burst of logins (the allocator keeps
/// what it once used) and keeps a login flood from starving the sync threads.
static CONCURRENT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// [`verify`] on a blocking thread, at most two at a time.
pub async fn verify_limited(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _permit = CONCURRENT.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || verify(&password, stored.as_deref())).await?)
}

/// Computes the dummy hash now, so the first unknown-user login is not slower than others.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_matches_and_others_do_not() {
        let stored = hash("s3cret").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("s3cret", Some(&stored)));
        assert!(!verify("S3cret", Some(&stored)));
        assert!(!verify("s3cret", None));
        assert!(!verify("s3cret", Some("not a hash")));
    }
}
