//! ingest: possync's REST API.
//!
//! Layout:
//! - [`config`]: flags and environment.
//! - [`auth`]: login, refresh, password hashes, failed-login limits, refresh tokens.
//! - [`accounts`]: clients, branches and users (lookups and operator creation).
//! - [`demo`]: the demo tenant of the local stack.
//! - [`sync`]: push, pull, conflict resolution and stats; [`store`]: the record store and
//!   its single write path; [`publish`]: events to JetStream after commit; [`devices`];
//!   [`scope`]: what a caller may see.
//! - [`entities`]: list/get/create/replace/patch/delete for every table, rate limited.
//! - [`health`]: liveness, readiness and metrics; [`openapi`]: the OpenAPI document.
//! - [`extract`], [`error`]: request extractors and the error shape; [`cors`]: browsers on
//!   another origin.
//!
//! [`Application::build`] binds the listener (tests bind port 0) and
//! [`Application::run_until_stopped`] serves until the shutdown token is cancelled.

pub mod accounts;
pub mod auth;
pub mod config;
pub mod cors;
pub mod demo;
pub mod devices;
pub mod entities;
pub mod error;
pub mod extract;
pub mod health;
pub mod openapi;
pub mod publish;
pub mod scope;
pub mod store;
pub mod sync;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::Router;
use shared::subject::Subjects;
use shared::token::TokenKeys;
use sqlx::MySqlPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::limiter::FailureLimiter;
use crate::config::{Config, DEFAULT_PORT};
use crate::error::ApiError;
use crate::publish::Publisher;
use crate::store::group::Committer;
use crate::store::Store;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
    pub entity_limit: entities::limit::UserLimit,
}

impl AppState {
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

/// The whole REST API, without a socket.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .merge(auth::router())
        .merge(health::router())
        .merge(sync::router())
        .merge(openapi::router())
        .merge(
            entities::router().route_layer(axum::middleware::from_fn_with_state(
                state.entity_limit.clone(),
                entities::limit::enforce,
            )),
        )
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    shared::telemetry::with_http_layers(routes)
}

/// A bound, ready-to-serve ingest.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    cors: Option<tower_http::cors::CorsLayer>,
    publisher_task: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Checks the secret, connects to MySQL (migrating) and NATS, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let keys = TokenKeys::new(&config.jwt)?;
        let cors = cors::layer(&config.cors_allowed_origins)?;
        let pool =
            shared::storage::connect(&config.database, shared::storage::Traffic::Busy).await?;
        let nats = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(config.nats.servers())
            .await
            .context("invalid NATS_URL")?;
        tokio::task::spawn_blocking(auth::password::warm_up);
        let addr = config.http.addr_or(DEFAULT_PORT);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let subjects = Subjects::new(&config.nats.nats_subject_prefix)?;
        let (publisher, publisher_task) =
            Publisher::spawn(nats.clone(), pool.clone(), config.nats.clone());
        let store = Store::new(pool.clone(), subjects).await?;
        let login = &config.login;
        let state = AppState {
            nats,
            keys: keys.clone(),
            login_limits: Arc::new(LoginLimits {
                per_account: FailureLimiter::new(
                    login.login_max_failures_per_account,
                    login.lockout(),
                ),
                per_address: FailureLimiter::new(
                    login.login_max_failures_per_address,
                    login.lockout(),
                ),
            }),
            refresh_ttl: config.jwt.refresh_ttl(),
            trust_forwarded_for: config.trust_forwarded_for,
            committer: Committer::new(store.clone(), publisher.clone()),
            store,
            publisher,
            entity_limit: entities::limit::UserLimit::per_minute(
                config.entity_requests_per_minute,
                keys.clone(),
            ),
        };
        Ok(Self {
            listener,
            state,
            cors,
            publisher_task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` is cancelled, then drains requests and NATS.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "ingest listening");
        let nats = self.state.nats.clone();
        let service = cors::wrap(app(self.state), self.cors)
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(shared::telemetry::no_delay(self.listener), service)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await?;
        // The router (and with it every Publisher handle) is gone: the queue drains and ends.
        let _ = self.publisher_task.await;
        if let Err(err) = nats.drain().await {
            tracing::warn!(error = %err, "NATS drain failed");
        }
        Ok(())
    }
}
