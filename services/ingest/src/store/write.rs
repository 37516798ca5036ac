//! The write path: a batch of edits (or a group of batches of one client, see
//! [`super::group`]) in one transaction with its outbox rows.
//!
//! 1. The devices are bound (or refused) and marked synced; then the client's counter row is
//!    bumped, and its lock is held to commit, so the positions taken here become visible
//!    in commit order (the pull cursor relies on it).
//! 2. The current versions are read with `FOR UPDATE`, the rules decide per edit (in batch
//!    order, batch after batch, so a record edited twice chains), and the accepted edits are
//!    written as new versions, one outbox row each, with the live counts adjusted.
//! 3. After commit the caller publishes the returned messages.

use std::collections::HashSet;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use shared::counters::apply_increments;
use shared::stream::Outgoing;
use shared::wire::socket::Operation;
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use super::counters::{take_positions, take_scope_seqs, update_counts};
use super::outbox::{ahead_of_time_retries, event_for, insert_outbox, retries_are_no_conflicts};
use super::{edits, key_of, read, Edit, Key, Store, StoredRecord};
use crate::devices::{self, DeviceError};
use crate::scope::CallerScope;
use crate::sync::decide::{self, Decision};

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
    /// The push conflict rules (`sync::decide`).
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

/// The outcomes in edit order, and the messages to publish once committed.
#[derive(Debug)]
pub struct Written {
    pub outcomes: Vec<Outcome>,
    pub events: Vec<Outgoing>,
}

/// One caller's edits, written with other callers' edits of the same client in one
/// transaction (see [`super::group`]).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub author: Author<'a>,
    pub edits: &'a [Edit],
    pub mode: Mode,
}

/// The outcomes of each job of a group, in job and edit order (or why the job was refused
/// as a whole: its device is bound elsewhere), and the messages to publish.
#[derive(Debug)]
pub struct GroupWritten {
    pub outcomes: Vec<Result<Vec<Outcome>, DeviceError>>,
    pub events: Vec<Outgoing>,
}

/// A version an edit wrote, what it was, and who wrote it.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    pub record: StoredRecord,
    pub operation: Operation,
    pub author: Author<'a>,
}

/// Attempts of a write that lost a deadlock or a lock wait to another transaction.
const ATTEMPTS: u32 = 3;

/// Writes `edits` in one transaction, retried when the database picks it as a deadlock victim.
pub async fn write(
    store: &Store,
    author: Author<'_>,
    edits: &[Edit],
    mode: Mode,
) -> Result<Written, DeviceError> {
    let job = Job {
        author,
        edits,
        mode,
    };
    let mut group = write_group(store, &[job]).await?;
    Ok(Written {
        outcomes: group.outcomes.pop().unwrap_or(Ok(Vec::new()))?,
        events: group.events,
    })
}

/// Writes the jobs (all of one client) in one transaction, in order, as if each committed
/// after the one before; retried when the database picks it as a deadlock victim. A job whose
/// device is bound elsewhere is refused alone; a database error fails the whole group.
pub async fn write_group(store: &Store, jobs: &[Job<'_>]) -> Result<GroupWritten, DeviceError> {
    debug_assert!(jobs
        .windows(2)
        .all(|pair| pair[0].author.scope.client_id == pair[1].author.scope.client_id));
    if jobs.iter().all(|job| job.edits.is_empty()) {
        return Ok(GroupWritten {
            outcomes: jobs.iter().map(|_| Ok(Vec::new())).collect(),
            events: Vec::new(),
        });
    }
    let mut attempt = 1;
    loop {
        match write_once(store, jobs).await {
            Err(DeviceError::Database(err)) if attempt < ATTEMPTS && is_lock_conflict(&err) => {
                tracing::warn!(attempt, error = %err, "write retried after a lock conflict");
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// MySQL's deadlock (1213) and lock wait timeout (1205).
fn is_lock_conflict(err: &sqlx::Error) -> bool {
    matches!(shared::storage::error_number(err), Some(1213 | 1205))
}

async fn write_once(store: &Store, jobs: &[Job<'_>]) -> Result<GroupWritten, DeviceError> {
    let started = std::time::Instant::now();
    let client_id = jobs[0].author.scope.client_id;
    let now = Utc::now().trunc_subsecs(6);
    let all_edits: Vec<&Edit> = jobs.iter().flat_map(|job| job.edits).collect();
    let mut tx = store.pool.begin().await?;
    // Device rows are locked in id order, so two groups of one client cannot deadlock on them.
    let mut by_device: Vec<usize> = (0..jobs.len()).collect();
    by_device.sort_by_key(|&index| jobs[index].author.device);
    let mut refusals: Vec<Option<DeviceError>> = jobs.iter().map(|_| None).collect();
    for index in by_device {
        let author = &jobs[index].author;
        let Some(device) = author.device else {
            continue;
        };
        // A refused bind writes nothing: the rest of the group goes on.
        match devices::bind(&mut tx, &author.scope, device, now, true).await {
            Err(DeviceError::Database(err)) => return Err(err.into()),
            bound => refusals[index] = bound.err(),
        }
    }
    let mut position = take_positions(&mut tx, client_id, all_edits.len(), now).await?;
    let counter_taken = std::time::Instant::now();
    let mut current = read::for_update(&mut tx, client_id, &all_edits).await?;
    let was_live: HashSet<Key> = current
        .values()
        .filter(|r| !r.is_deleted)
        .map(key_of)
        .collect();

    let applied_before = edits::applied_before(&mut tx, client_id, &all_edits).await?;
    let mut ids_seen = HashSet::new();
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut applied: Vec<Applied> = Vec::new();
    let mut remembered = Vec::new();
    for (job, refusal) in jobs.iter().zip(refusals) {
        if let Some(refusal) = refusal {
            outcomes.push(Err(refusal));
            continue;
        }
        let author = &job.author;
        let retried = match job.mode {
            Mode::Sync => ahead_of_time_retries(&mut tx, author, job.edits, &current, now).await?,
            _ => HashSet::new(),
        };
        let mut job_outcomes = Vec::with_capacity(job.edits.len());
        for (index, edit) in job.edits.iter().enumerate() {
            let key: Key = (edit.table.name, edit.record_id.to_string());
            let existing = current.get(&key);
            if existing.is_some_and(|record| !author.scope.sees(record.branch_scope)) {
                job_outcomes.push(Outcome::OtherBranch);
                continue;
            }
            let edit_id = edit.edit_id.as_ref().map(|id| id.as_str());
            let repeated = retried.contains(&index)
                || edit_id.is_some_and(|id| applied_before.contains(id) || !ids_seen.insert(id));
            let outcome = match (repeated, existing) {
                (true, Some(record)) => Outcome::Unchanged(record.clone()),
                _ => match plan(edit, existing, author, job.mode, now) {
                    Plan::Write {
                        version,
                        reported_as,
                    } => match next_version(existing, edit, version, author, now, position) {
                        Ok((record, operation)) => {
                            position += 1;
                            current.insert(key, record.clone());
                            applied.push(Applied {
                                record: record.clone(),
                                operation,
                                author: *author,
                            });
                            remembered.extend(edit_id);
                            match reported_as {
                                Decision::Conflict => Outcome::Conflict(record),
                                _ => Outcome::Applied { record, operation },
                            }
                        }
                        Err(message) => Outcome::Refused(message),
                    },
                    Plan::Keep(Decision::Unchanged) => {
                        existing.map_or(Outcome::Missing, |r| Outcome::Unchanged(r.clone()))
                    }
                    Plan::Keep(_) => {
                        existing.map_or(Outcome::Missing, |r| Outcome::Conflict(r.clone()))
                    }
                    Plan::Refuse(message) => Outcome::Refused(message),
                },
            };
            job_outcomes.push(outcome);
        }
        if job.mode == Mode::Sync {
            retries_are_no_conflicts(&mut tx, author, job.edits, &mut job_outcomes).await?;
        }
        outcomes.push(Ok(job_outcomes));
    }

    let mut events = Vec::new();
    if !applied.is_empty() {
        // A record edited twice is written once, in its final state (its last version).
        let mut keys = HashSet::new();
        let latest: Vec<&Applied> = applied
            .iter()
            .rev()
            .filter(|version| keys.insert(key_of(&version.record)))
            .collect();
        upsert_records(&mut tx, client_id, &latest).await?;
        let latest: Vec<&StoredRecord> = latest.iter().map(|version| &version.record).collect();
        update_counts(&mut tx, client_id, &was_live, &latest).await?;
        // The changes of one scope and table together: each subject's group then has
        // consecutive scope numbers, and groups go out in the order of those numbers.
        applied.sort_by_key(|version| (version.record.branch_scope, version.record.table.name));
        let seqs = take_scope_seqs(&mut tx, client_id, &applied).await?;
        let ids = insert_outbox(&mut tx, store.outbox_ids, client_id, &applied, &seqs).await?;
        edits::remember(&mut tx, client_id, &remembered, now).await?;
        events = Outgoing::groups(
            applied
                .iter()
                .zip(ids)
                .zip(seqs)
                .map(|((version, outbox_id), seq)| {
                    let (subject, event) = event_for(&store.subjects, version, seq);
                    (outbox_id, subject, event)
                })
                .collect(),
        );
    }
    tx.commit().await?;
    // How long the client's other writes waited on this one: the serialised part of a push.
    metrics::histogram!("possync_write_counter_held_seconds")
        .record(counter_taken.elapsed().as_secs_f64());
    metrics::histogram!("possync_write_seconds").record(started.elapsed().as_secs_f64());
    metrics::histogram!("possync_write_group_jobs").record(jobs.len() as f64);
    Ok(GroupWritten { outcomes, events })
}

fn current_of(record: &StoredRecord) -> decide::Current {
    decide::Current {
        sync_version: record.sync_version,
        claimed_time: record.local_updated_at,
        received_at: record.server_updated_at,
        device: record.updated_by_device.clone(),
    }
}

/// What the rules make of one edit.
enum Plan<'r> {
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
enum Version<'r> {
    /// The edit's data with the counters it leaves out (`None`: the current data, a delete).
    Edit(Option<Value>),
    /// The current record, whose data and authorship stay: only counters move.
    CountersOnly(&'r StoredRecord),
}

fn plan<'r>(
    edit: &Edit,
    existing: Option<&'r StoredRecord>,
    author: &Author<'_>,
    mode: Mode,
    now: DateTime<Utc>,
) -> Plan<'r> {
    if edit.increments_only() {
        return match (existing, mode) {
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
        };
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

/// The version `edit` writes over `existing`, or why its increments cannot apply.
fn next_version(
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

/// Writes each record's last version; a record is owned by the branch of its last writer and
/// carries the client's time mark (see `migrations/20261202120000_records_time_mark.sql`).
async fn upsert_records(
    tx: &mut MySqlConnection,
    client_id: u64,
    versions: &[&Applied<'_>],
) -> sqlx::Result<()> {
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, data, \
         is_deleted, sync_version, position, local_updated_at, server_updated_at, time_mark, updated_by_device, \
         created_at) ",
    );
    query.push_values(versions, |mut row, version| {
        let record = &version.record;
        row.push_bind(client_id)
            .push_bind(record.table.name)
            .push_bind(&record.record_id)
            .push_bind(record.branch_scope)
            .push_bind(version.author.scope.branch_id)
            .push_bind(record.data.to_string())
            .push_bind(record.is_deleted)
            .push_bind(record.sync_version)
            .push_bind(record.position)
            .push_bind(record.local_updated_at)
            .push_bind(record.server_updated_at)
            // The mark `take_positions` left on the counter row this transaction holds.
            .push("(SELECT time_mark FROM change_counters WHERE client_id = ")
            .push_bind_unseparated(client_id)
            .push_unseparated(")")
            .push_bind(&record.updated_by_device)
            .push_bind(record.server_updated_at);
    });
    query.push(
        " ON DUPLICATE KEY UPDATE origin_branch_id = VALUES(origin_branch_id), data = VALUES(data), \
         is_deleted = VALUES(is_deleted), sync_version = VALUES(sync_version), position = VALUES(position), \
         local_updated_at = VALUES(local_updated_at), server_updated_at = VALUES(server_updated_at), \
         time_mark = VALUES(time_mark), updated_by_device = VALUES(updated_by_device)",
    );
    query.build().execute(&mut *tx).await?;
    Ok(())
}
