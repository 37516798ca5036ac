//! What the local store hands out: records as the app sees them, queued and refused edits,
//! what replacing a table changed and what a reconcile started with.

use possync_wire::sync::PushRecord;
use serde_json::Value;

/// A record as the device holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalRecord {
    pub table_name: String,
    pub record_id: String,
    pub data: Value,
    pub is_deleted: bool,
    /// The last server version this copy is based on (0: never synced).
    pub sync_version: u64,
}

#[derive(sqlx::FromRow)]
pub(super) struct RecordRow {
    pub table_name: String,
    pub record_id: String,
    pub data: String,
    pub is_deleted: bool,
    pub sync_version: i64,
}

impl From<RecordRow> for LocalRecord {
    fn from(row: RecordRow) -> Self {
        LocalRecord {
            table_name: row.table_name,
            record_id: row.record_id,
            data: serde_json::from_str(&row.data).unwrap_or(Value::Null),
            is_deleted: row.is_deleted,
            sync_version: row.sync_version as u64,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct QueuedRow {
    pub seq: i64,
    pub table_name: String,
    pub record_id: String,
    pub data: String,
    pub is_deleted: bool,
    pub local_updated_at: String,
    pub base_version: Option<i64>,
    pub increments: Option<String>,
    pub edit_id: Option<String>,
}

/// An edit waiting in the queue.
#[derive(Debug, Clone)]
pub struct Queued {
    pub seq: i64,
    pub record: PushRecord,
}

/// An edit the server refused, kept for the app to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub table_name: String,
    pub record_id: String,
    pub message: String,
}

/// What replacing a table changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replaced {
    /// Records written from the server's copy (those that differed from it).
    pub written: u64,
    /// Records the server does not hold, dropped.
    pub dropped: u64,
}

/// What a reconcile started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reconcile {
    /// Acknowledged edits queued again.
    pub requeued: u64,
    /// Records the resync is to see again or drop.
    pub held: u64,
}
