//! ingest running on port 0 over a fresh database, with its own NATS names.

use std::net::SocketAddr;

use ingest::config::{Config, LoginLimitConfig};
use ingest::Application;
use reqwest::{RequestBuilder, Response};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{json, Value};
use shared::config::{HttpConfig, JwtConfig, LogConfig, NatsConfig};
use shared::token::TokenKeys;
use tokio_util::sync::CancellationToken;

use crate::{nats_url, unique_name, TestDb, TestNats};

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
            nats_stream_replicas: 1,
            nats_stream_max_age_secs: 600,
            // Every test makes its own stream on one server: small, so they all fit.
            nats_stream_max_bytes: 16 << 20,
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
            log_spans: false,
        },
        login: LoginLimitConfig {
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_lockout_secs: 900,
        },
        entity_requests_per_minute: 100,
        trust_forwarded_for: false,
        cors_allowed_origins: Vec::new(),
        web_root: None,
    }
}

impl TestIngest {
    /// ingest with the default test settings over a fresh database.
    pub async fn spawn() -> TestIngest {
        Self::spawn_with(|_| {}).await
    }

    /// ingest on a NATS server of its own (returned first), for tests that stop NATS.
    pub async fn spawn_on_own_nats() -> (TestNats, TestIngest) {
        let nats = TestNats::start().await;
        let url = nats.url();
        let app = Self::spawn_with(|c| c.nats.nats_url = url).await;
        (nats, app)
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

    /// `POST path` with a bearer token; the status and the JSON body.
    pub async fn post_as(&self, token: &str, path: &str, body: &impl Serialize) -> (u16, Value) {
        let response = self
            .post(path)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request reaches ingest");
        status_and_json(response).await
    }

    /// `GET path` with a bearer token; the status and the JSON body.
    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        let response = self
            .get(path)
            .bearer_auth(token)
            .send()
            .await
            .expect("request reaches ingest");
        status_and_json(response).await
    }

    /// Pushes `records` from `device`; panics unless the push is accepted.
    pub async fn push(&self, token: &str, device: &str, records: Value) -> Value {
        let body = json!({"device_id": device, "records": records});
        let (status, body) = self.post_as(token, "/api/sync/batch-push", &body).await;
        assert_eq!(status, 200, "push accepted: {body}");
        body
    }

    /// Pulls every page from `cursor` on (`None`: from the start); the changes and the last cursor.
    pub async fn pull_all(
        &self,
        token: &str,
        mut cursor: Option<String>,
        limit: u32,
    ) -> (Vec<Value>, Option<String>) {
        let mut changes = Vec::new();
        loop {
            let mut path = format!("/api/sync/pull-changes?limit={limit}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let (status, page) = self.get_as(token, &path).await;
            assert_eq!(status, 200, "pull accepted: {page}");
            changes.extend(page["changes"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].as_str().map(str::to_owned).or(cursor);
            if page["has_more"] == false {
                return (changes, cursor);
            }
        }
    }

    /// A JetStream context on the test NATS, for reading this ingest's stream.
    pub async fn jetstream(&self) -> async_nats::jetstream::Context {
        let client = async_nats::connect(nats_url())
            .await
            .expect("test NATS reachable");
        async_nats::jetstream::new(client)
    }

    /// Waits until no group is left unpublished (up to 10 s).
    pub async fn wait_published(&self) {
        for _ in 0..200 {
            let pending: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM sync_groups WHERE published_at IS NULL")
                    .fetch_one(&self.db.pool)
                    .await
                    .unwrap();
            if pending == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("groups stayed unpublished");
    }
}

async fn status_and_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body readable");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body expected, got {text:?}"));
    (status, body)
}

impl Drop for TestIngest {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let streams = [
            self.config.nats.nats_stream.clone(),
            shared::stranded::Probe::of(&self.config.nats)
                .stream()
                .to_owned(),
        ];
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let client = async_nats::connect(nats_url()).await.ok()?;
                let js = async_nats::jetstream::new(client);
                for stream in &streams {
                    let _ = js.delete_stream(stream).await;
                }
                Some(())
            })
        })
        .join();
    }
}
