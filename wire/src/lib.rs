//! possync-wire: the contract's JSON shapes and the table registry, with serde-level
//! dependencies only, shared by the services, the Rust client and the tests. The TypeScript
//! client's types come from the OpenAPI document these shapes describe.
//!
//! - [`auth`], [`sync`], [`socket`], [`error`]: requests, responses, events and errors.
//! - [`checksums`]: per-table sums a device compares with the server's.
//! - [`registry`]: the 31 synced tables, their scope and the validation of their `data`.
//! - [`counters`]: increments of counter fields, which add up instead of overwriting.
//! - [`ids`]: validated record and device ids.
//! - [`times`]: the range of edit times a device may send, and filter times.

pub mod auth;
pub mod checksums;
pub mod counters;
pub mod error;
pub mod ids;
pub mod registry;
pub mod socket;
pub mod sync;
pub mod times;

pub use error::{ErrorBody, ErrorDetail};
