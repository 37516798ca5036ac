//! `AppState`: what every handler shares, and how it is built from the config.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::FromRef;
use shared::config::NatsConfig;
use shared::subject::Subjects;
use shared::token::TokenKeys;
use sqlx::MySqlPool;
use tokio::task::JoinHandle;

use crate::auth::limiter::FailureLimiter;
use crate::config::Config;
use crate::entities::limit::UserLimit;
use crate::publish::Publisher;
use crate::store::group::Committer;
use crate::store::Store;

/// Failed-login counters, one per kind of key.
pub struct LoginLimits {
    pub per_account: FailureLimiter,
    pub per_address: FailureLimiter,
}

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub nats: async_nats::Client,
    pub keys: TokenKeys,
    pub login_limits: Arc<LoginLimits>,
    pub refresh_ttl: Duration,
    pub trust_forwarded_for: bool,
    pub store: Store,
    pub publisher: Publisher,
    /// Pushes go through it: a client's concurrent pushes commit together.
    pub committer: Arc<Committer>,
    pub entity_limit: UserLimit,
}

impl AppState {
    /// Connects to MySQL (migrating) and NATS and starts the publisher, whose task ends once
    /// every handle of the state is dropped and its queue is drained.
    pub async fn connect(config: &Config) -> anyhow::Result<(Self, JoinHandle<()>)> {
        let keys = TokenKeys::new(&config.jwt)?;
        let pool =
            shared::storage::connect(&config.database, shared::storage::Traffic::Busy).await?;
        let nats = NatsConfig::connect_options()
            .connect(config.nats.servers())
            .await
            .context("invalid NATS_URL")?;
        let subjects = Subjects::new(&config.nats.nats_subject_prefix)?;
        let (publisher, publisher_task) =
            Publisher::spawn(nats.clone(), pool.clone(), config.nats.clone());
        let store = Store::new(pool, subjects).await?;
        let login = &config.login;
        let limiter = |max_failures| FailureLimiter::new(max_failures, login.lockout());
        let state = AppState {
            nats,
            login_limits: Arc::new(LoginLimits {
                per_account: limiter(login.login_max_failures_per_account),
                per_address: limiter(login.login_max_failures_per_address),
            }),
            refresh_ttl: config.jwt.refresh_ttl(),
            trust_forwarded_for: config.trust_forwarded_for,
            committer: Committer::new(store.clone(), publisher.clone()),
            store,
            publisher,
            entity_limit: UserLimit::per_minute(config.entity_requests_per_minute, keys.clone()),
            keys,
        };
        Ok((state, publisher_task))
    }

    /// The database pool (the one the write path's [`Store`] holds).
    pub fn pool(&self) -> &MySqlPool {
        &self.store.pool
    }
}

impl FromRef<AppState> for TokenKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}
