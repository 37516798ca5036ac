//! What the write path works on: edits as they arrive, records as the server holds them,
//! who writes, how, and what became of each edit.

use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::counters::Increment;
use shared::ids::RecordId;
use shared::registry::Table;
use shared::wire::socket::Operation;

use crate::scope::{CallerScope, SHARED_SCOPE};

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

    pub fn key(&self) -> Key {
        (self.table.name, self.record_id.to_string())
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
    (branch_scope != SHARED_SCOPE).then_some(branch_scope)
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

/// Who writes: the verified scope, and the device when the write comes from one.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub scope: CallerScope,
    pub device: Option<&'a str>,
    /// The branch a new record of a branch table goes to when a super admin chose one;
    /// `None`: the author's own. The device is bound to the author's own branch regardless.
    pub placed_in: Option<u64>,
}

/// Which edits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The push conflict rules (`rules::decide`).
    Sync,
    /// Always, as the newest version.
    Force,
    /// Only over this `sync_version` (`If-Match`); otherwise a conflict.
    Expect(u64),
    /// Only if the record does not exist yet; otherwise a conflict.
    CreateOnly,
}

/// What became of one edit.
#[derive(Debug, Clone)]
pub enum Outcome {
    Applied {
        record: StoredRecord,
        operation: Operation,
    },
    /// A retry or a stale own edit: the server's version stands, nothing was written.
    Unchanged(StoredRecord),
    Conflict(StoredRecord),
    /// The record lives in a branch the author cannot write.
    OtherBranch,
    /// [`Mode::Expect`] of a record that does not exist.
    Missing,
    /// The edit cannot apply as sent (increments of a record nobody created, a sum out of
    /// range); nothing was written.
    Refused(String),
}

/// A version an edit wrote, what it was, and who wrote it.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    pub record: StoredRecord,
    pub operation: Operation,
    pub author: Author<'a>,
}

/// One caller's edits, written with other callers' edits of the same client in one
/// transaction (see `store::group`).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub author: Author<'a>,
    pub edits: &'a [Edit],
    pub mode: Mode,
}
