//! The crate every possync service uses.
//!
//! Layout:
//! - [`config`]: clap groups for HTTP, database, NATS, JWT and logs, read from flags and env.
//! - [`telemetry`]: `tracing` setup (human or JSON) and the HTTP trace/request-id layers.
//! - [`token`]: HS256 access tokens: claims, roles, issue and verify.
//! - [`wire`], [`registry`], [`ids`], [`times`]: re-exported from the `possync-wire` crate
//!   (the contract's JSON shapes, the table registry, ids, edit times).
//! - [`metrics`]: the Prometheus recorder and the per-request metrics.
//! - [`subject`]: NATS subjects and WebSocket rooms, with validated ids.
//! - [`storage`]: the MySQL pool and the embedded migrations.
//! - [`stream`]: the JetStream stream of change events and publishing into it.
//! - [`sync_queue`]: every statement on the sync queue (`sync_queue` and its publish groups,
//!   `sync_groups`), the outbox ingest writes and the janitor relays and trims.
//! - [`shutdown`]: one cancellation token fed by Ctrl-C and SIGTERM.
//! - [`clock`]: server times on the database's clock, whatever this host's says.
//! - [`stranded`]: a reconnect away from a NATS node cut from the rest of its cluster.

pub mod clock;
pub mod config;
pub mod metrics;
pub mod shutdown;
pub mod storage;
pub mod stranded;
pub mod stream;
pub mod subject;
pub mod sync_queue;
pub mod telemetry;
pub mod token;

pub use possync_wire as wire;
pub use possync_wire::{counters, ids, registry, times};
