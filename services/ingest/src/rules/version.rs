//! The version an accepted edit writes: its data (or the current data) plus its
//! increments, its branch, its number and its times.

use chrono::{DateTime, SubsecRound, Utc};
use shared::counters::apply_increments;
use shared::wire::socket::Operation;

use super::plan::Version;
use crate::record::{Author, Edit, StoredRecord};

/// The version `edit` writes over `existing` at change `position`, or why its increments
/// cannot apply.
pub fn next_version(
    existing: Option<&StoredRecord>,
    edit: &Edit,
    version: Version<'_>,
    author: &Author<'_>,
    now: DateTime<Utc>,
    position: u64,
) -> Result<(StoredRecord, Operation), String> {
    let (mut data, is_deleted, operation, claimed_time, device) = match version {
        Version::Edit(data) => {
            let operation = match (existing, edit.is_deleted) {
                (_, true) => Operation::Delete,
                (None, false) => Operation::Create,
                (Some(_), false) => Operation::Update,
            };
            let data = data
                .or_else(|| existing.map(|record| record.data.clone()))
                .unwrap_or_else(|| serde_json::json!({}));
            let device = author.device.map(str::to_owned);
            let claimed_time = edit.local_updated_at.trunc_subsecs(6);
            (data, edit.is_deleted, operation, claimed_time, device)
        }
        Version::CountersOnly(record) => (
            record.data.clone(),
            record.is_deleted,
            Operation::Update,
            record.local_updated_at,
            record.updated_by_device.clone(),
        ),
    };
    apply_increments(&mut data, &edit.increments).map_err(|err| err.0)?;
    let record = StoredRecord {
        table: edit.table,
        record_id: edit.record_id.as_str().to_owned(),
        branch_scope: existing.map_or_else(
            || {
                author
                    .placed_in
                    .unwrap_or_else(|| author.scope.scope_for(edit.table))
            },
            |record| record.branch_scope,
        ),
        data,
        is_deleted,
        sync_version: existing.map_or(1, |record| record.sync_version + 1),
        position,
        local_updated_at: claimed_time,
        server_updated_at: now,
        updated_by_device: device,
    };
    Ok((record, operation))
}
