//! The crate every possync service uses.
//!
//! Layout:
//! - [`config`]: clap groups for HTTP, database, NATS, JWT and logs, read from flags and env.
//! - [`telemetry`]: `tracing` setup (human or JSON) and the HTTP trace/request-id layers.
//! - [`token`]: HS256 access tokens: claims, roles, issue and verify.
//! - [`wire`]: the contract's JSON shapes (auth, push, pull, conflicts, errors, WebSocket).
//! - [`registry`]: the 31 synced tables, their scope and the validation of their `data`.
//! - [`ids`]: validated record and device ids.
//! - [`times`]: the range of edit times a device may send, and filter times.
//! - [`metrics`]: the Prometheus recorder and the per-request metrics.
//! - [`subject`]: NATS subjects and WebSocket rooms, with validated ids.
//! - [`storage`]: the MySQL pool and the embedded migrations.
//! - [`stream`]: the JetStream stream of change events and publishing into it.
//! - [`shutdown`]: one cancellation token fed by Ctrl-C and SIGTERM.

pub mod config;
pub mod ids;
pub mod metrics;
pub mod registry;
pub mod shutdown;
pub mod storage;
pub mod stream;
pub mod subject;
pub mod telemetry;
pub mod times;
pub mod token;
pub mod wire;
