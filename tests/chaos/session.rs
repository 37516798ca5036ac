//! A user logged in through the balancer, for the probe and the watchers: logs in again
//! before the access token expires, and keeps trying while the balancer or ingest is down.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

pub struct Session {
    http: reqwest::Client,
    api_url: String,
    username: String,
    password: String,
    token: RwLock<String>,
}

impl Session {
    pub async fn login(
        http: reqwest::Client,
        api_url: &str,
        username: &str,
        password: &str,
    ) -> anyhow::Result<Arc<Session>> {
        let session = Session {
            http,
            api_url: api_url.to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            token: RwLock::default(),
        };
        let expires_in = session.renew().await?;
        let session = Arc::new(session);
        tokio::spawn(session.clone().keep_fresh(expires_in));
        Ok(session)
    }

    pub fn token(&self) -> String {
        self.token.read().expect("token lock").clone()
    }

    /// Logs in; returns the token's lifetime.
    async fn renew(&self) -> anyhow::Result<Duration> {
        let answer: Value = self
            .http
            .post(format!("{}/api/auth/login", self.api_url))
            .json(&json!({"username": self.username, "password": self.password}))
            .timeout(Duration::from_secs(5))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = answer["accessToken"].as_str().context("no accessToken")?;
        *self.token.write().expect("token lock") = token.to_owned();
        Ok(Duration::from_secs(
            answer["expiresIn"].as_u64().unwrap_or(900),
        ))
    }

    /// Logs in again at half of each token's lifetime, for as long as the run lasts.
    async fn keep_fresh(self: Arc<Session>, mut lifetime: Duration) {
        loop {
            tokio::time::sleep(lifetime / 2).await;
            // While the balancer or ingest is down, the login is tried again.
            lifetime = loop {
                if let Ok(lifetime) = self.renew().await {
                    break lifetime;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            };
        }
    }
}
