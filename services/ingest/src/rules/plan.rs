//! What the rules make of one edit over the current record, in each write mode.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::decide::{self, Decision};
use crate::record::{Author, Edit, Mode, StoredRecord};

/// What the rules make of one edit.
#[derive(Debug)]
pub enum Plan<'r> {
    /// Write a new version, reported as applied, unchanged (still written for its
    /// increments) or a conflict of its data (likewise).
    Write {
        version: Version<'r>,
        reported_as: Decision,
    },
    /// Write nothing.
    Keep(Decision),
    Refuse(String),
}

/// The data of the version to write, before the edit's increments are added.
#[derive(Debug)]
pub enum Version<'r> {
    /// The edit's data with the counters it leaves out (`None`: the current data, a delete).
    Edit(Option<Value>),
    /// The current record, whose data and authorship stay: only counters move.
    CountersOnly(&'r StoredRecord),
}

/// Decides `edit` over `existing` (`None`: no such record yet) as `mode` says.
pub fn plan<'r>(
    edit: &Edit,
    existing: Option<&'r StoredRecord>,
    author: &Author<'_>,
    mode: Mode,
    now: DateTime<Utc>,
) -> Plan<'r> {
    if edit.increments_only() {
        return plan_increments(edit, existing, mode);
    }
    let data = edit.data.clone().map(|mut data| {
        if let Some(record) = existing {
            edit.table.keep_counters(&mut data, &record.data);
        }
        data
    });
    let decision = match mode {
        Mode::Force => Decision::Apply,
        Mode::Sync => decide::decide(
            existing.map(current_of).as_ref(),
            &edit_of(edit, data.as_ref(), existing, author, now),
        ),
        Mode::Expect(version) if existing.map(|r| r.sync_version) == Some(version) => {
            Decision::Apply
        }
        Mode::CreateOnly if existing.is_none() => Decision::Apply,
        Mode::Expect(_) | Mode::CreateOnly => Decision::Conflict,
    };
    match (decision, existing) {
        (Decision::Apply, _) => Plan::Write {
            version: Version::Edit(data),
            reported_as: Decision::Apply,
        },
        // Increments never conflict: they apply even when the data beside them does not.
        (kept, Some(record)) if mode == Mode::Sync && !edit.increments.is_empty() => Plan::Write {
            version: Version::CountersOnly(record),
            reported_as: kept,
        },
        (kept, _) => Plan::Keep(kept),
    }
}

/// An edit of counters only: it adds to an existing record (over the expected version,
/// with `If-Match`), and there is nothing to add to without one.
fn plan_increments<'r>(edit: &Edit, existing: Option<&'r StoredRecord>, mode: Mode) -> Plan<'r> {
    match (existing, mode) {
        (None, _) => Plan::Refuse(format!(
            "no {} record {} to add to; the edit that creates it sends data",
            edit.table.name, edit.record_id
        )),
        (Some(record), Mode::Expect(version)) if record.sync_version != version => {
            Plan::Keep(Decision::Conflict)
        }
        (Some(record), _) => Plan::Write {
            version: Version::CountersOnly(record),
            reported_as: Decision::Apply,
        },
    }
}

fn current_of(record: &StoredRecord) -> decide::Current {
    decide::Current {
        sync_version: record.sync_version,
        claimed_time: record.local_updated_at,
        received_at: record.server_updated_at,
        device: record.updated_by_device.clone(),
    }
}

fn edit_of<'a>(
    edit: &Edit,
    data: Option<&Value>,
    existing: Option<&StoredRecord>,
    author: &Author<'a>,
    now: DateTime<Utc>,
) -> decide::Edit<'a> {
    let same_content = existing.is_some_and(|record| {
        record.is_deleted == edit.is_deleted && data.is_none_or(|data| *data == record.data)
    });
    decide::Edit {
        device: author.device,
        base_version: edit.base_version,
        claimed_time: edit.local_updated_at,
        received_at: now,
        same_content,
    }
}
