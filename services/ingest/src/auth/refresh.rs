//! Refresh tokens: random, stored only as SHA-256, each good for a single exchange.
//!
//! Presenting a token that was already exchanged is taken as a sign of theft: every refresh
//! token of that user is revoked, and its devices must log in again.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::MySqlPool;

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Stores a new refresh token for `user_id` and returns it.
pub async fn issue(pool: &MySqlPool, user_id: u64, ttl: Duration) -> sqlx::Result<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let expires_at = shared::clock::now() + ttl;
    sqlx::query("INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)")
        .bind(digest(&token))
        .bind(user_id)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(token)
}

/// Marks `token` used and returns its user, or `None` if it is unknown, expired or used.
pub async fn redeem(pool: &MySqlPool, token: &str) -> sqlx::Result<Option<u64>> {
    let hash = digest(token);
    let now = shared::clock::now();
    let claimed = sqlx::query(
        "UPDATE refresh_tokens SET used_at = ? \
         WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
    )
    .bind(now)
    .bind(&hash)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    let row: Option<(u64, bool)> = sqlx::query_as(
        "SELECT user_id, used_at IS NOT NULL FROM refresh_tokens WHERE token_hash = ?",
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    match row {
        Some((user_id, _)) if claimed == 1 => Ok(Some(user_id)),
        Some((user_id, true)) => {
            revoke_all(pool, user_id).await?;
            tracing::warn!(
                user_id,
                "a used refresh token was presented again; revoked the user's tokens"
            );
            Ok(None)
        }
        _ => Ok(None),
    }
}

async fn revoke_all(pool: &MySqlPool, user_id: u64) -> sqlx::Result<()> {
    sqlx::query("UPDATE refresh_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL")
        .bind(shared::clock::now())
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}
