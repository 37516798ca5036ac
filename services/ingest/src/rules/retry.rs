//! Retries: a push sent again after its answer was lost. Its edits are in the sync queue
//! under their device (see `shared::sync_queue::made`); the store looks them up for the edits
//! named here and these functions settle what the rules alone would get wrong.
//!
//! - An edit whose device clock ran ahead counted as made when it first arrived (its time is
//!   clamped to its arrival); its retry arrives later, so over another device's edit made
//!   since, the rules would see the retry as newer and apply it again.
//! - An edit whose record its device still holds the last version of, at the same time, but
//!   with other content (another device's increments moved a counter since, or a restore
//!   brought back the edit and its device replays it): rule 2 sees other content and the
//!   rules would apply it again, setting the counters back.
//! - An edit that conflicts with another device's edit made after it first applied was
//!   already synced: answered unchanged, never a conflict.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use shared::sync_queue::made::{edit_digest, MadeEdit};

use crate::record::{Edit, Job, Key, Mode, Outcome, StoredRecord};

/// The device whose earlier edits count: a push's (the other modes have no retries).
pub fn device_of<'a>(job: &Job<'a>) -> Option<&'a str> {
    job.author.device.filter(|_| job.mode == Mode::Sync)
}

/// The indices of the job's edits the rules alone could apply again: made ahead of the
/// server's clock (their time is after `now`) over a record another device wrote last, or
/// of the same time as the record's last version by this device.
pub fn may_repeat(
    job: &Job<'_>,
    current: &HashMap<Key, StoredRecord>,
    now: DateTime<Utc>,
) -> Vec<usize> {
    let Some(device) = device_of(job) else {
        return Vec::new();
    };
    job.edits
        .iter()
        .enumerate()
        .filter(|(_, edit)| {
            current.get(&edit.key()).is_some_and(|record| {
                let by_this_device = record.updated_by_device.as_deref() == Some(device);
                if by_this_device {
                    record.local_updated_at == edit.local_updated_at
                } else {
                    edit.local_updated_at > now
                }
            })
        })
        .map(|(index, _)| index)
        .collect()
}

/// The indices of the job's edits that came back as conflicts.
pub fn conflicted(job: &Job<'_>, outcomes: &[Outcome]) -> Vec<usize> {
    if device_of(job).is_none() {
        return Vec::new();
    }
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, outcome)| matches!(outcome, Outcome::Conflict(_)))
        .map(|(index, _)| index)
        .collect()
}

/// The records of the edits at `indices`, to look up what their device made.
pub fn records_of<'e>(edits: &'e [Edit], indices: &[usize]) -> Vec<(&'static str, &'e str)> {
    indices
        .iter()
        .map(|&index| (edits[index].table.name, edits[index].record_id.as_str()))
        .collect()
}

/// Which of the edits at `indices` their device made before.
pub fn made_again(edits: &[Edit], indices: &[usize], made: &HashSet<MadeEdit>) -> HashSet<usize> {
    indices
        .iter()
        .copied()
        .filter(|&index| made.contains(&made_edit(&edits[index])))
        .collect()
}

/// Turns the conflicts of edits their device made before into unchanged answers.
pub fn settle_conflicts(edits: &[Edit], outcomes: &mut [Outcome], made: &HashSet<MadeEdit>) {
    for (edit, outcome) in edits.iter().zip(outcomes.iter_mut()) {
        if let Outcome::Conflict(current) = outcome {
            if made.contains(&made_edit(edit)) {
                *outcome = Outcome::Unchanged(current.clone());
            }
        }
    }
}

/// How the sync queue names the edit once made.
pub fn made_edit(edit: &Edit) -> MadeEdit {
    (
        edit.table.name.to_owned(),
        edit.record_id.to_string(),
        edit.local_updated_at,
        edit_digest(edit.table, edit.is_deleted, edit.data.as_ref()),
    )
}
