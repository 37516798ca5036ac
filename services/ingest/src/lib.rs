//! ingest: possync's REST API.
//!
//! Layout:
//! - [`config`]: flags and environment; [`state`]: what every handler shares, built from it.
//! - [`auth`]: login, refresh, failed-login limits, refresh tokens; [`password`]: argon2id
//!   hashes.
//! - [`accounts`]: clients, branches and users (lookups and operator creation).
//! - [`demo`]: the demo tenant of the local stack; [`epoch`]: the database's epoch, renewed
//!   after a restore or a promotion; [`backup`]: dumps and restores with MariaDB's tools;
//!   [`promote`]: a replica made the primary.
//! - [`sync`]: push, pull, conflict resolution and stats.
//! - [`record`]: edits, records, authors and outcomes, what the write path works on;
//!   [`rules`]: what a write decides for each edit, pure; [`store`]: the record store and
//!   its single write path; [`publish`]: events to JetStream after commit, and their
//!   groups marked published (the queue's statements are `shared::sync_queue`'s);
//!   [`devices`]; [`scope`]: what a caller may see.
//! - [`entities`]: list/get/create/replace/patch/delete for every table, rate limited.
//! - [`health`]: liveness, readiness and metrics; [`openapi`]: the OpenAPI document, whose
//!   error rows are written once in [`responses`].
//! - [`extract`], [`error`]: request extractors and the error shape; [`cors`]: browsers on
//!   another origin.
//!
//! Imports go one way: handlers (`auth`, `sync`, `entities`, `health`, `openapi`) use
//! [`state`] and the domain (`store`, `rules`, `record`, `publish`, `accounts`, `devices`,
//! `scope`), which never uses a handler; `rules` uses only `record` (and `scope`); no module
//! imports one that imports it back.
//!
//! [`Application::build`] binds the listener (tests bind port 0) and
//! [`Application::run_until_stopped`] serves until the shutdown token is cancelled.

pub mod accounts;
pub mod auth;
pub mod backup;
pub mod config;
pub mod cors;
pub mod demo;
pub mod devices;
pub mod entities;
pub mod epoch;
pub mod error;
pub mod extract;
pub mod health;
pub mod openapi;
pub mod password;
pub mod promote;
pub mod publish;
pub mod record;
pub mod responses;
pub mod rules;
pub mod scope;
pub mod site;
pub mod state;
pub mod store;
pub mod sync;

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use shared::stranded::Probe;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, DEFAULT_PORT};
use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::state::AppState;

/// The whole REST API, without a socket; with the web app in `web_root` at `/` when set.
pub fn app_with_site(state: AppState, web_root: Option<&std::path::Path>) -> Router {
    match web_root {
        Some(root) => site::serve(app(state), root),
        None => app(state),
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
    web_root: Option<std::path::PathBuf>,
    publisher_task: tokio::task::JoinHandle<()>,
    probe: Probe,
}

impl Application {
    /// Checks the config, connects to MySQL (migrating) and NATS, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        shared::metrics::install();
        let cors = cors::layer(&config.cors_allowed_origins)?;
        if let Some(root) = &config.web_root {
            site::check(root)?;
        }
        let (state, publisher_task) = AppState::connect(&config).await?;
        tokio::task::spawn_blocking(password::warm_up);
        let addr = config.http.addr_or(DEFAULT_PORT);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        Ok(Self {
            listener,
            state,
            cors,
            web_root: config.web_root,
            publisher_task,
            probe: Probe::of(&config.nats),
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
        tokio::spawn(shared::clock::follow_database(
            self.state.pool().clone(),
            shutdown.clone(),
        ));
        tokio::spawn(shared::stranded::watch(
            nats.clone(),
            self.probe,
            self.state.pool().clone(),
            shutdown.clone(),
        ));
        let service = cors::wrap(
            app_with_site(self.state, self.web_root.as_deref()),
            self.cors,
        )
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
