//! Everything the janitor reads from flags and environment.

use std::time::Duration;

use clap::{Args, Parser};
use shared::config::{DatabaseConfig, HttpConfig, LogConfig, NatsConfig};

/// Port the janitor's health and metrics listen on unless `BIND_ADDR` says otherwise.
pub const DEFAULT_PORT: u16 = 3002;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "janitor",
    about = "possync sync queue relay and queue retention"
)]
pub struct Config {
    #[command(flatten)]
    pub http: HttpConfig,
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub nats: NatsConfig,
    #[command(flatten)]
    pub log: LogConfig,
    #[command(flatten)]
    pub sweep: SweepConfig,
    /// Run one sweep, print its report and exit (for operators).
    #[arg(long)]
    pub once: bool,
}

/// What a sweep does and how often.
#[derive(Debug, Clone, Args)]
pub struct SweepConfig {
    /// Seconds between sweeps.
    #[arg(long, env = "JANITOR_INTERVAL_SECS", default_value_t = 5.0)]
    pub janitor_interval_secs: f64,
    /// Published sync queue rows older than this many seconds are deleted (default 7 days).
    #[arg(long, env = "JANITOR_RETENTION_SECS", default_value_t = 7 * 24 * 3600)]
    pub janitor_retention_secs: u64,
    /// Ids of applied edits (`edit_id`, `Idempotency-Key`) older than this many seconds are
    /// forgotten (default 30 days): an edit pushed again after that is applied again.
    #[arg(long, env = "JANITOR_EDIT_RETENTION_SECS", default_value_t = 30 * 24 * 3600)]
    pub janitor_edit_retention_secs: u64,
    /// Groups unpublished for longer than this many seconds are relayed.
    #[arg(long, env = "JANITOR_GRACE_SECS", default_value_t = 10.0)]
    pub janitor_grace_secs: f64,
    /// Sync queue rows handled per statement (and per short transaction), in whole groups (at
    /// least one).
    #[arg(long, env = "JANITOR_BATCH", default_value_t = 500)]
    pub janitor_batch: u32,
}

impl SweepConfig {
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.janitor_interval_secs)
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.janitor_retention_secs)
    }

    pub fn edit_retention(&self) -> Duration {
        Duration::from_secs(self.janitor_edit_retention_secs)
    }

    pub fn grace(&self) -> Duration {
        Duration::from_secs_f64(self.janitor_grace_secs)
    }
}
