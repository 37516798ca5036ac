//! The device's session with ingest: access and refresh tokens, refreshed ahead of expiry,
//! and the calls that carry them (a revoked token logs in again once).

use std::time::{Duration, Instant};

use possync_wire::auth::TokenResponse;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::client::Client;
use crate::http::{self, CallError};
use crate::tokens::Tokens;

impl Client {
    /// How often a long-lived connection should ask [`Client::access_token`] for a fresh
    /// token: a quarter of the token's lifetime, at most 30 s.
    pub async fn token_check_interval(&self) -> Duration {
        let tokens = self.inner.tokens.lock().await;
        let lifetime = tokens.as_ref().map_or(Duration::MAX, |t| t.lifetime);
        (lifetime / 4).clamp(Duration::from_millis(100), Duration::from_secs(30))
    }

    /// A valid access token: logs in, or refreshes one that expires within its margin.
    pub async fn access_token(&self) -> anyhow::Result<String> {
        let mut tokens = self.inner.tokens.lock().await;
        if let Some(current) = tokens.as_ref() {
            if current.expires_at > Instant::now() + current.margin() {
                return Ok(current.access.clone());
            }
        }
        let refreshed = match tokens.as_ref() {
            Some(current) => {
                let body = json!({"refreshToken": current.refresh});
                self.call::<TokenResponse>(Method::POST, "/api/auth/refresh", None, Some(&body))
                    .await
                    .ok()
            }
            None => None,
        };
        let fresh = match refreshed {
            Some(fresh) => fresh,
            None => {
                let config = &self.inner.config;
                let body = json!({"username": config.username, "password": config.password});
                self.call(Method::POST, "/api/auth/login", None, Some(&body))
                    .await?
            }
        };
        let access = fresh.access_token.clone();
        // At least a second: a server answering 0 must not make the socket refresh nonstop.
        let lifetime = Duration::from_secs(fresh.expires_in.max(1));
        *tokens = Some(Tokens {
            access: fresh.access_token,
            refresh: fresh.refresh_token,
            expires_at: Instant::now() + lifetime,
            lifetime,
        });
        Ok(access)
    }

    pub(crate) async fn call<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&(impl serde::Serialize + Sync)>,
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.inner.config.api_url);
        let result = http::call(
            &self.inner.http,
            &self.inner.config.retry,
            method,
            &url,
            token,
            body,
        )
        .await;
        self.set_online(!matches!(result, Err(CallError::Offline(_))));
        Ok(result?)
    }

    /// A call with the access token; a 401 (token revoked) logs in again once.
    pub(crate) async fn authed<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl serde::Serialize + Sync)>,
    ) -> anyhow::Result<T> {
        let token = self.access_token().await?;
        match self.call(method.clone(), path, Some(&token), body).await {
            Err(err)
                if err.downcast_ref::<CallError>().and_then(CallError::status)
                    == Some(StatusCode::UNAUTHORIZED) =>
            {
                *self.inner.tokens.lock().await = None;
                let token = self.access_token().await?;
                self.call(method, path, Some(&token), body).await
            }
            other => other,
        }
    }
}
