//! `AppState`: what every handler of fanout shares.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use shared::token::TokenKeys;
use sqlx::MySqlPool;

use crate::config::SocketConfig;
use crate::devices::KnownDevices;
use crate::hub::Hub;

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub nats: async_nats::Client,
    /// Connects on first use: fanout starts, and keeps its open connections, while MySQL is
    /// down; then only devices in `known_devices` are let in, others get a 503.
    pub pool: MySqlPool,
    pub hub: Arc<Hub>,
    pub known_devices: Arc<KnownDevices>,
    /// Whether MySQL answered the last background check (every second).
    pub mysql_up: Arc<AtomicBool>,
    pub keys: TokenKeys,
    pub config: Arc<SocketConfig>,
    /// Set on SIGTERM: readiness turns false.
    pub draining: Arc<AtomicBool>,
    /// Set `WS_DRAIN_DELAY_MS` later: upgrades are refused and connections closed.
    pub closing: Arc<AtomicBool>,
    pub next_conn: Arc<AtomicU64>,
}
