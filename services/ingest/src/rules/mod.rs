//! The conflict rules of a write, as pure functions: what becomes of each edit given the
//! records as the server holds them. The store reads and writes; everything it decides in
//! between is here, with unit tests that need no database.
//!
//! - [`decide`]: the six rules of a push over one record, and the clock clamp.
//! - [`plan`]: what an edit does in each write mode (push, force, `If-Match`, create only),
//!   increments included: they never conflict and need a record to add to.
//! - [`version`]: the version an accepted edit writes.
//! - [`retry`]: edits pushed again after a lost answer, recognised from what their device
//!   made before.
//! - [`batch`]: the edits of a write in order, job after job, so a record edited twice chains.

pub mod batch;
pub mod decide;
pub mod plan;
pub mod retry;
pub mod version;

#[cfg(test)]
mod tests;
