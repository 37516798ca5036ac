//! ingest running on port 0 over a fresh database, with its own NATS names.

use std::net::SocketAddr;

use ingest::config::{Config, LoginLimitConfig};
use ingest::Application;
use reqwest::{RequestBuilder, Response};
use secrecy::SecretString;
use serde::Serialize;
use shared::config::{HttpConfig, JwtConfig, LogConfig, NatsConfig};
use shared::token::TokenKeys;
use tokio_util::sync::CancellationToken;

use crate::{nats_url, unique_name, TestDb};

/// A running ingest; stopped (and its database dropped) when dropped.
pub struct TestIngest {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub keys: TokenKeys,
    pub config: Config,
    shutdown: CancellationToken,
    pub db: TestDb,
}

/// Settings for a test ingest over `db`: port 0, its own subject prefix and stream.
pub fn config(db: &TestDb) -> Config {
    Config {
        http: HttpConfig {
            bind_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        },
        database: db.config(),
        nats: NatsConfig {
            nats_url: nats_url(),
            nats_subject_prefix: unique_name("t"),
            nats_stream: unique_name("T").to_uppercase(),
        },
        jwt: JwtConfig {
            jwt_secret: SecretString::from(unique_name("secret-").repeat(2)),
            jwt_issuer: "possync-test".into(),
            jwt_audience: "possync-test-devices".into(),
            jwt_access_ttl_secs: 600,
            jwt_refresh_ttl_secs: 3600,
        },
        log: LogConfig {
            log_format: "text".into(),
        },
        login: LoginLimitConfig {
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_lockout_secs: 900,
        },
        trust_forwarded_for: false,
    }
}

impl TestIngest {
    /// ingest with the default test settings over a fresh database.
    pub async fn spawn() -> TestIngest {
        Self::spawn_with(|_| {}).await
    }

    /// ingest over a fresh database, with settings adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestIngest {
        let db = TestDb::empty().await;
        let mut config = config(&db);
        adjust(&mut config);
        let keys = TokenKeys::new(&config.jwt).expect("test secret is long enough");
        let app = Application::build(config.clone())
            .await
            .expect("ingest starts");
        let addr = app.local_addr();
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run_until_stopped(shutdown.clone()));
        TestIngest {
            addr,
            http: reqwest::Client::new(),
            keys,
            config,
            shutdown,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(self.url(path))
    }

    pub async fn post_json(&self, path: &str, body: &impl Serialize) -> Response {
        self.post(path)
            .json(body)
            .send()
            .await
            .expect("request reaches ingest")
    }
}

impl Drop for TestIngest {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
