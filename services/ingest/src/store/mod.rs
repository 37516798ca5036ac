//! The record store: the one write path every accepted change goes through, and the reads.
//!
//! - [`write`]: a batch of edits, the conflict rules, the records, the outbox and the counts
//!   in one transaction that takes the client's next change positions.
//! - [`group`]: group commit of a client's concurrent pushes.
//! - [`counters`]: the client's change positions, the scopes' event numbers and the live
//!   record counts, each bumped in the write transaction.
//! - [`outbox`]: outbox rows and the events of a write.
//! - [`edits`]: the ids of edits applied, so that each is applied once.
//! - [`read`]: current versions for the write path, and single records.

pub mod counters;
pub mod edits;
pub mod group;
pub mod outbox;
pub mod read;
pub mod write;

use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::counters::Increment;
use shared::ids::RecordId;
use shared::registry::Table;
use shared::subject::Subjects;
use sqlx::MySqlPool;

/// What the write path needs: the pool, the subjects events go to, and how outbox ids are
/// learnt back.
#[derive(Clone)]
pub struct Store {
    pub pool: MySqlPool,
    pub subjects: Subjects,
    pub outbox_ids: outbox::IdAllocation,
}

impl Store {
    /// Reads how the server allocates auto-increment ids.
    pub async fn new(pool: MySqlPool, subjects: Subjects) -> sqlx::Result<Store> {
        let outbox_ids = outbox::IdAllocation::of_server(&pool).await?;
        Ok(Store {
            pool,
            subjects,
            outbox_ids,
        })
    }
}

/// A record's identity within its client: table and record id.
pub type Key = (&'static str, String);

pub fn key_of(record: &StoredRecord) -> Key {
    (record.table.name, record.record_id.clone())
}

/// An edit of one record, checked and ready for the rules.
#[derive(Debug, Clone)]
pub struct Edit {
    pub table: &'static Table,
    pub record_id: RecordId,
    /// `None` for a delete that did not send data: the tombstone keeps the last data.
    pub data: Option<Value>,
    pub is_deleted: bool,
    pub local_updated_at: DateTime<Utc>,
    pub base_version: Option<u64>,
    /// Counter changes applied on top of the current value; they never conflict.
    pub increments: Vec<Increment>,
    /// The device's id of this edit: an edit with an id is applied at most once.
    pub edit_id: Option<RecordId>,
}

impl Edit {
    /// An edit that sends no data and changes counters only.
    pub fn increments_only(&self) -> bool {
        self.data.is_none() && !self.is_deleted && !self.increments.is_empty()
    }
}

/// A record as the server holds it now.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub table: &'static Table,
    pub record_id: String,
    pub branch_scope: u64,
    pub data: Value,
    pub is_deleted: bool,
    pub sync_version: u64,
    pub position: u64,
    pub local_updated_at: DateTime<Utc>,
    pub server_updated_at: DateTime<Utc>,
    pub updated_by_device: Option<String>,
}

/// The branch a record lives in, for the wire: `None` for records shared by every branch.
pub fn branch_of(branch_scope: u64) -> Option<u64> {
    (branch_scope != crate::scope::SHARED_SCOPE).then_some(branch_scope)
}

impl StoredRecord {
    pub fn to_change(&self) -> shared::wire::sync::Change {
        shared::wire::sync::Change {
            table_name: self.table.name.to_owned(),
            record_id: self.record_id.clone(),
            branch_id: branch_of(self.branch_scope),
            data: self.data.clone(),
            server_updated_at: self.server_updated_at,
            is_deleted: self.is_deleted,
            sync_version: self.sync_version,
        }
    }
}
