//! Push, pull, conflicts, conflict resolution and stats.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most records a push may carry.
pub const MAX_PUSH_RECORDS: usize = 50;

/// `POST /api/sync/batch-push`
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub device_id: String,
    pub records: Vec<PushRecord>,
}

/// One change made on a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRecord {
    pub table_name: String,
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub record_id: String,
    /// The record's fields: an object checked against its table (the `<table>.data`
    /// schemas). A delete (`is_deleted: true`) may leave it out or send `null`; its
    /// tombstone then keeps the record's last data.
    #[schema(value_type = Option<Object>, required = false)]
    pub data: Value,
    pub local_updated_at: DateTime<Utc>,
    #[serde(default)]
    pub is_deleted: bool,
    /// The `sync_version` the device last saw of this record, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    /// Amounts to add to counter fields (`{"quantity": -1}`), on top of the value each has
    /// when the edit applies: increments never conflict. With `data` left out (or `null`)
    /// the edit changes only these counters. Needs `edit_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<HashMap<String, f64>>)]
    pub increments: Option<Map<String, Value>>,
    /// An id the device makes once per edit (a UUID): the server applies an edit with an id
    /// at most once, however often it is pushed, for 30 days (`JANITOR_EDIT_RETENTION_SECS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub edit_id: Option<String>,
}

/// What a push answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    pub success: bool,
    pub synced_count: usize,
    pub conflicts: Vec<Conflict>,
    pub errors: Vec<RecordError>,
    /// For each synced record that carried an `edit_id`: the `sync_version` that holds its
    /// edit. A device adds its increments to any copy of the record older than that
    /// version, and to no copy as new or newer. Left out when no record carried an id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<SyncedVersion>,
}

/// The server version that holds a pushed record's edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncedVersion {
    pub index: usize,
    pub sync_version: u64,
}

/// A record the server kept its own version of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conflict {
    pub table_name: String,
    pub record_id: String,
    /// `null` for a delete that sent no data.
    #[schema(value_type = Object, nullable = true)]
    pub local_data: Value,
    #[schema(value_type = Object)]
    pub server_data: Value,
    pub local_updated_at: DateTime<Utc>,
    pub server_updated_at: DateTime<Utc>,
    pub sync_version: u64,
    pub server_is_deleted: bool,
}

/// A record refused for what it holds; the rest of its batch still applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordError {
    pub index: usize,
    pub table_name: Option<String>,
    pub record_id: Option<String>,
    pub message: String,
}

/// `GET /api/sync/pull-changes` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

/// The latest state of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub table_name: String,
    pub record_id: String,
    /// The branch the record lives in; `null` for tables shared by every branch of the
    /// client. Absent in answers of servers from before it was added.
    #[serde(default)]
    pub branch_id: Option<u64>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub server_updated_at: DateTime<Utc>,
    pub is_deleted: bool,
    pub sync_version: u64,
}

/// Which side of a conflict wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    AcceptClient,
    AcceptServer,
}

/// `POST /api/sync/resolve-conflict`
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResolveRequest {
    pub table_name: String,
    pub record_id: String,
    pub resolution: Resolution,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub client_data: Option<Value>,
    /// The server's `sync_version` the conflict showed; required with `accept_client`, which
    /// writes only over that version and otherwise answers 409 with the new conflict.
    #[serde(default)]
    pub sync_version: Option<u64>,
    /// The resolving device: its own change is not sent back to it, and it counts as the
    /// author of the version written.
    #[serde(default)]
    pub device_id: Option<String>,
}

/// `409` of `accept_client` when the record moved on after the conflict was reported: the
/// contract's error and the conflict with the version now on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResolveMovedOn {
    pub error: super::ErrorDetail,
    pub conflict: Conflict,
}

/// What resolving answers: the record as the server now holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResolveResponse {
    pub success: bool,
    pub record: Change,
}

/// `GET /api/sync/stats`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatsResponse {
    pub pending_queue_count: u64,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub tables_stats: Vec<TableStat>,
}

/// Live records of one table in the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TableStat {
    pub table_name: String,
    pub record_count: u64,
}

/// `GET /api/{table}`: one page of records in `record_id` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityPage {
    pub items: Vec<Change>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// `PATCH /api/{table}/{id}`: fields to set, counters to change, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityPatch {
    /// Fields to set; the others keep their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// Amounts to add to counter fields, as in a push; needs an `Idempotency-Key` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<HashMap<String, f64>>)]
    pub increments: Option<Map<String, Value>>,
}

/// `POST /api/{table}` and `PUT /api/{table}/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityWrite {
    /// For `POST` only: the id to create; a UUID is made when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub record_id: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
}
