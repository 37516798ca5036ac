//! Everything ingest reads from flags and environment.

use std::time::Duration;

use clap::{Args, Parser};
use shared::config::{DatabaseConfig, HttpConfig, JwtConfig, LogConfig, NatsConfig};

/// Port ingest listens on unless `BIND_ADDR` says otherwise.
pub const DEFAULT_PORT: u16 = 3000;

#[derive(Debug, Clone, Parser)]
#[command(name = "ingest", about = "possync REST API")]
pub struct Config {
    #[command(flatten)]
    pub http: HttpConfig,
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub nats: NatsConfig,
    #[command(flatten)]
    pub jwt: JwtConfig,
    #[command(flatten)]
    pub log: LogConfig,
    #[command(flatten)]
    pub login: LoginLimitConfig,
    /// Requests per minute per user on the entity routes (`/api/{table}`).
    #[arg(long, env = "ENTITY_REQUESTS_PER_MINUTE", default_value_t = 100)]
    pub entity_requests_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,
    /// Browser origins allowed to call the API from another origin, comma-separated
    /// (e.g. `http://127.0.0.1:3003`); empty sends no CORS headers (same origin only).
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,
    /// A built web app (e.g. the POS web demo's `dist/`) served at `/` next to the API, with
    /// the caching a PWA needs (see `site.rs`); unset serves the API alone.
    #[arg(long, env = "WEB_ROOT")]
    pub web_root: Option<std::path::PathBuf>,
}

/// How many failed logins lock an account or an address out, and for how long.
#[derive(Debug, Clone, Args)]
pub struct LoginLimitConfig {
    /// Failed logins per account before a lockout.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_max_failures_per_account: u32,
    /// Failed logins per client address before a lockout.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub login_max_failures_per_address: u32,
    /// Lockout length, counted from the last failure, in seconds.
    #[arg(long, env = "LOGIN_LOCKOUT_SECS", default_value_t = 900)]
    pub login_lockout_secs: u64,
}

impl LoginLimitConfig {
    pub fn lockout(&self) -> Duration {
        Duration::from_secs(self.login_lockout_secs)
    }
}
