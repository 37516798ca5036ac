//! HS256 access tokens: the claims possync puts in them, and how they are issued and checked.
//!
//! A token is the only source of a caller's client, branch and role; nothing in a body, query
//! or header ever overrides them. Verification requires `exp`, `iss` and `aud` and accepts
//! HS256 only, so `alg: none` and tokens signed with another key or algorithm are refused.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, JwtConfig};
pub use crate::wire::auth::Role;

/// Who a token was issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: u64,
    pub client_id: u64,
    pub branch_id: u64,
    pub role: Role,
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub client_id: u64,
    pub branch_id: u64,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    pub aud: String,
}

impl Claims {
    /// The verified caller; `sub` is the user id.
    pub fn principal(&self) -> Result<Principal, TokenError> {
        let user_id = self.sub.parse().map_err(|_| TokenError::Invalid)?;
        Ok(Principal {
            user_id,
            client_id: self.client_id,
            branch_id: self.branch_id,
            role: self.role,
        })
    }
}

/// Why a token was refused. Deliberately coarse: callers answer 401 either way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
}

/// The token of an `Authorization: Bearer <token>` header value. The scheme is matched
/// case-insensitively (RFC 7235: `bearer` and `BEARER` are `Bearer`); `None` for another
/// scheme or an empty token.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Issues and verifies access tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl TokenKeys {
    /// Fails when the secret is shorter than 32 bytes.
    pub fn new(config: &JwtConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let secret = config.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.access_ttl(),
        })
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The claims a token for `principal` would carry if issued now.
    pub fn claims_for(&self, principal: &Principal) -> Claims {
        let now = Utc::now().timestamp();
        Claims {
            sub: principal.user_id.to_string(),
            client_id: principal.client_id,
            branch_id: principal.branch_id,
            role: principal.role,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        }
    }

    /// Signs `claims` as given (tests use this to make expired or odd tokens).
    pub fn sign(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// A fresh access token for `principal`.
    pub fn issue(&self, principal: &Principal) -> String {
        self.sign(&self.claims_for(principal))
    }

    /// Checks signature, algorithm, `exp`, `iss` and `aud`, and returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn config(secret: &str) -> JwtConfig {
        JwtConfig {
            jwt_secret: SecretString::from(secret.to_owned()),
            jwt_issuer: "possync".into(),
            jwt_audience: "devices".into(),
            jwt_access_ttl_secs: 60,
            jwt_refresh_ttl_secs: 600,
        }
    }

    fn cashier() -> Principal {
        Principal {
            user_id: 7,
            client_id: 1,
            branch_id: 2,
            role: Role::Cashier,
        }
    }

    #[test]
    fn issued_token_verifies_with_its_claims() {
        let keys = TokenKeys::new(&config(&"k".repeat(32))).unwrap();
        let claims = keys.verify(&keys.issue(&cashier())).unwrap();
        assert_eq!(claims.principal().unwrap(), cashier());
        assert_eq!(claims.iss, "possync");
        assert_eq!(claims.aud, "devices");
        assert_eq!(claims.exp - claims.iat, 60);
    }

    #[test]
    fn secret_of_31_bytes_is_refused() {
        let err = TokenKeys::new(&config(&"k".repeat(31))).err().unwrap();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn token_signed_with_another_secret_is_invalid() {
        let ours = TokenKeys::new(&config(&"a".repeat(32))).unwrap();
        let theirs = TokenKeys::new(&config(&"b".repeat(32))).unwrap();
        assert_eq!(
            ours.verify(&theirs.issue(&cashier())),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn bearer_scheme_is_read_in_any_case_and_other_schemes_are_not() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR abc"] {
            assert_eq!(bearer_token(header), Some("abc"), "{header:?}");
        }
        for header in [
            "Basic abc",
            "Bearer",
            "Bearer ",
            "Bearerabc",
            "Token abc",
            "",
        ] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }

    #[test]
    fn expired_token_is_reported_as_expired() {
        let keys = TokenKeys::new(&config(&"k".repeat(32))).unwrap();
        let mut claims = keys.claims_for(&cashier());
        claims.exp = claims.iat - 120;
        assert_eq!(keys.verify(&keys.sign(&claims)), Err(TokenError::Expired));
    }
}
