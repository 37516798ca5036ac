//! The record store: the one write path every accepted change goes through, and the reads.
//! What a write decides is `crate::rules`'; the store reads what the rules need, and writes
//! what they decided.
//!
//! - [`write`]: a write of one or more callers' edits in one transaction: devices, change
//!   positions, current records, the rules, then everything the write changes.
//! - [`group`]: group commit of a client's concurrent pushes.
//! - [`records`]: the new versions into `records`.
//! - [`counters`]: the client's change positions, the scopes' event numbers and the live
//!   record counts, each bumped in the write transaction.
//! - [`announce`]: a write's sync queue rows and the events published once it commits.
//! - [`edits`]: the ids of edits applied, so that each is applied once.
//! - [`read`]: current versions for the write path, and single records.
//! - [`error`]: why a write failed.

pub mod announce;
pub mod counters;
pub mod edits;
pub mod error;
pub mod group;
pub mod read;
pub mod records;
pub mod write;

pub use error::StoreError;

use shared::subject::Subjects;
use shared::sync_queue::insert::IdAllocation;
use sqlx::MySqlPool;

/// What the write path needs: the pool, the subjects events go to, and how the ids of sync
/// queue rows are learnt back.
#[derive(Clone)]
pub struct Store {
    pub pool: MySqlPool,
    pub subjects: Subjects,
    pub queue_ids: IdAllocation,
}

impl Store {
    /// Reads how the server allocates auto-increment ids.
    pub async fn new(pool: MySqlPool, subjects: Subjects) -> sqlx::Result<Store> {
        let queue_ids = IdAllocation::of_server(&pool).await?;
        Ok(Store {
            pool,
            subjects,
            queue_ids,
        })
    }
}
