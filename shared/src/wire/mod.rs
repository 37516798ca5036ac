//! The contract's JSON shapes, defined once for the services, the tests and the client.

pub mod auth;
pub mod error;
pub mod socket;
pub mod sync;

pub use error::{ErrorBody, ErrorDetail};
