//! The rules of a write without a database, decided through [`Batch`] as the store decides
//! them: each of the six push rules, the clock clamp and the other write modes ([`push`]),
//! retries ([`retries`]) and increments ([`increments`]).

mod increments;
mod push;
mod retries;

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use shared::counters::Increment;
use shared::ids::RecordId;
use shared::registry::{self, Table};
use shared::sync_queue::made::MadeEdit;

use super::batch::Batch;
use super::retry;
use crate::record::{Author, Edit, Job, Mode, Outcome, StoredRecord};
use crate::scope::CallerScope;

/// The server's clock when the write arrives, in minutes after 10:00.
const NOW: i64 = 60;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minutes)
}

fn table(name: &str) -> &'static Table {
    registry::lookup(name).expect("a registered table")
}

fn till(device: &str) -> Author<'_> {
    Author {
        scope: CallerScope {
            client_id: 1,
            branch_id: 1,
            whole_client: false,
            can_administer: false,
        },
        device: Some(device),
        placed_in: None,
    }
}

fn product_edit(data: Value, minutes: i64, base_version: Option<u64>) -> Edit {
    Edit {
        table: table("products"),
        record_id: RecordId::parse("p-1").unwrap(),
        data: Some(data),
        is_deleted: false,
        local_updated_at: at(minutes),
        base_version,
        increments: Vec::new(),
        edit_id: None,
    }
}

fn stock_edit(data: Option<Value>, by: i64, minutes: i64) -> Edit {
    Edit {
        table: table("product_stock"),
        record_id: RecordId::parse("s-1").unwrap(),
        data,
        is_deleted: false,
        local_updated_at: at(minutes),
        base_version: None,
        increments: vec![Increment {
            field: "quantity",
            by: by.into(),
        }],
        edit_id: None,
    }
}

/// The record `edit` names as `device` wrote it at `minutes` (received a minute later).
fn stored(edit: &Edit, data: Value, version: u64, minutes: i64, device: &str) -> StoredRecord {
    StoredRecord {
        table: edit.table,
        record_id: edit.record_id.to_string(),
        branch_scope: 1,
        data,
        is_deleted: false,
        sync_version: version,
        position: version,
        local_updated_at: at(minutes),
        server_updated_at: at(minutes + 1),
        updated_by_device: Some(device.to_owned()),
    }
}

/// Decides `jobs` over `records` with no known retries; returns each job's outcomes and
/// the versions to write.
fn decide(records: &[StoredRecord], jobs: &[Job<'_>]) -> (Vec<Vec<Outcome>>, Vec<StoredRecord>) {
    let current = records
        .iter()
        .map(|r| (crate::record::key_of(r), r.clone()));
    let mut batch = Batch::new(current.collect(), HashSet::new(), 100, at(NOW));
    let outcomes = jobs
        .iter()
        .map(|job| batch.decide(job, &HashSet::new()))
        .collect();
    let applied = batch.applied.into_iter().map(|a| a.record).collect();
    (outcomes, applied)
}

fn push<'a>(author: Author<'a>, edits: &'a [Edit]) -> Job<'a> {
    Job {
        author,
        edits,
        mode: Mode::Sync,
    }
}

/// The one outcome of a one-edit write, and its versions.
fn decide_one(records: &[StoredRecord], job: Job<'_>) -> (Outcome, Vec<StoredRecord>) {
    let (mut outcomes, applied) = decide(records, &[job]);
    (outcomes.remove(0).remove(0), applied)
}

fn name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Applied { .. } => "applied",
        Outcome::Unchanged(_) => "unchanged",
        Outcome::Conflict(_) => "conflict",
        Outcome::OtherBranch => "other branch",
        Outcome::Missing => "missing",
        Outcome::Refused(_) => "refused",
    }
}
