//! Everything fanout reads from flags and environment.

use std::time::Duration;

use clap::{Args, Parser};
use shared::config::{DatabaseConfig, HttpConfig, JwtConfig, LogConfig, NatsConfig};

/// Port fanout listens on unless `BIND_ADDR` says otherwise.
pub const DEFAULT_PORT: u16 = 3001;

#[derive(Debug, Clone, Parser)]
#[command(name = "fanout", about = "possync WebSocket fan-out")]
pub struct Config {
    #[command(flatten)]
    pub http: HttpConfig,
    /// Read at upgrade, to hold device ids to the client and branch they are bound to.
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub nats: NatsConfig,
    #[command(flatten)]
    pub jwt: JwtConfig,
    #[command(flatten)]
    pub log: LogConfig,
    #[command(flatten)]
    pub socket: SocketConfig,
}

/// Heartbeat, limits and drain pacing of the WebSocket connections.
#[derive(Debug, Clone, Args)]
pub struct SocketConfig {
    /// Seconds between the server's pings.
    #[arg(long, env = "WS_PING_INTERVAL_SECS", default_value_t = 30.0)]
    pub ws_ping_interval_secs: f64,
    /// Seconds a device has to answer a ping before it is disconnected.
    #[arg(long, env = "WS_PONG_TIMEOUT_SECS", default_value_t = 10.0)]
    pub ws_pong_timeout_secs: f64,
    /// Messages waiting to be sent to one device before it is disconnected as slow.
    #[arg(long, env = "WS_QUEUE_MESSAGES", default_value_t = 512)]
    pub ws_queue_messages: usize,
    /// Largest message a device may send, in bytes (devices send only control messages).
    #[arg(long, env = "WS_MAX_INBOUND_BYTES", default_value_t = 4096)]
    pub ws_max_inbound_bytes: usize,
    /// Messages per second a device may send (bursts of twice that).
    #[arg(long, env = "WS_MESSAGES_PER_SECOND", default_value_t = 10)]
    pub ws_messages_per_second: u32,
    /// Browser origins allowed to connect, comma-separated; empty allows any (non-browser devices send none).
    #[arg(long, env = "WS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub ws_allowed_origins: Vec<String>,
    /// Most connections this replica holds; more are refused with 503.
    #[arg(long, env = "WS_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub ws_max_connections: usize,
    /// Milliseconds between SIGTERM and the first connection closed: readiness is already
    /// false and upgrades are still let in, so a balancer that learns readiness from its own
    /// checks stops sending devices here before the drain sends them back to it (the checks'
    /// interval times their failures; 0 where the platform stops routing before SIGTERM,
    /// as Kubernetes does).
    #[arg(long, env = "WS_DRAIN_DELAY_MS", default_value_t = 0)]
    pub ws_drain_delay_ms: u64,
    /// Connections closed per step when draining on SIGTERM.
    #[arg(long, env = "WS_DRAIN_BATCH", default_value_t = 500)]
    pub ws_drain_batch: usize,
    /// Pause between drain steps, in milliseconds.
    #[arg(long, env = "WS_DRAIN_PAUSE_MS", default_value_t = 100)]
    pub ws_drain_pause_ms: u64,
}

impl SocketConfig {
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs_f64(self.ws_ping_interval_secs)
    }

    pub fn pong_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.ws_pong_timeout_secs)
    }
}
