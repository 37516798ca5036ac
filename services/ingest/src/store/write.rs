//! The write path: a batch of edits (or a group of batches of one client, see
//! [`super::group`]) in one transaction with its sync queue rows.
//!
//! 1. The devices are bound (or refused) and marked synced; then the client's counter row is
//!    bumped, and its lock is held to commit, so the positions taken here become visible
//!    in commit order (the pull cursor relies on it).
//! 2. The current versions are read with `FOR UPDATE` and the rules (`crate::rules`) decide
//!    per edit, in batch order, batch after batch; what a device made before is looked up
//!    for the edits that may be retries.
//! 3. The accepted edits are written as new versions, one sync queue row each, with the live
//!    counts and the scopes' event numbers bumped.
//! 4. After commit the caller publishes the returned messages.
//!
//! Each step runs in a span named after it, inside the caller's `group_commit` span, so a
//! slow push can be read in the logs (`LOG_SPANS`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};
use shared::stream::Outgoing;
use shared::sync_queue::{self, made::MadeEdit};
use sqlx::MySqlConnection;
use tracing::{info_span, Instrument};

use super::counters::{mark_positions, take_positions, take_scope_seqs, update_counts, Prior};
use super::{announce, edits, read, records, Store, StoreError};
use crate::devices;
use crate::record::{key_of, Applied, Author, Edit, Job, Key, Mode, Outcome, StoredRecord};
use crate::rules::batch::Batch;
use crate::rules::retry;

/// The outcomes in edit order, and the messages to publish once committed.
#[derive(Debug)]
pub struct Written {
    pub outcomes: Vec<Outcome>,
    pub events: Vec<Outgoing>,
}

/// The outcomes of each job of a group, in job and edit order (or why the job was refused
/// as a whole: its device is bound elsewhere), and the messages to publish.
#[derive(Debug)]
pub struct GroupWritten {
    pub outcomes: Vec<Result<Vec<Outcome>, StoreError>>,
    pub events: Vec<Outgoing>,
}

/// Attempts of a write that lost a deadlock or a lock wait to another transaction.
const ATTEMPTS: u32 = 3;

/// Writes `edits` in one transaction, retried when the database picks it as a deadlock victim.
pub async fn write(
    store: &Store,
    author: Author<'_>,
    edits: &[Edit],
    mode: Mode,
) -> Result<Written, StoreError> {
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
pub async fn write_group(store: &Store, jobs: &[Job<'_>]) -> Result<GroupWritten, StoreError> {
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
            Err(err) if attempt < ATTEMPTS && is_lock_conflict(&err) => {
                tracing::warn!(attempt, error = %err, "write retried after a lock conflict");
                attempt += 1;
            }
            result => return result.map_err(StoreError::from),
        }
    }
}

/// MySQL's deadlock (1213) and lock wait timeout (1205).
fn is_lock_conflict(err: &sqlx::Error) -> bool {
    matches!(shared::storage::error_number(err), Some(1213 | 1205))
}

async fn write_once(store: &Store, jobs: &[Job<'_>]) -> sqlx::Result<GroupWritten> {
    let started = Instant::now();
    let client_id = jobs[0].author.scope.client_id;
    let now = shared::clock::now().trunc_subsecs(6);
    let all_edits: Vec<&Edit> = jobs.iter().flat_map(|job| job.edits).collect();
    let mut tx = store.pool.begin().await?;
    let refusals = bind_devices(&mut tx, jobs, now)
        .instrument(info_span!("bind_devices"))
        .await?;
    let first_position = take_positions(&mut tx, client_id, all_edits.len(), now)
        .instrument(info_span!("take_positions"))
        .await?;
    mark_positions(&mut tx, client_id, first_position)
        .instrument(info_span!("mark_positions"))
        .await?;
    let counter_taken = Instant::now();
    let current = read::for_update(&mut tx, client_id, &all_edits)
        .instrument(info_span!("read_current", records = all_edits.len()))
        .await?;
    let applied_before = edits::applied_before(&mut tx, client_id, &all_edits)
        .instrument(info_span!("applied_before"))
        .await?;
    let prior: HashMap<Key, Prior> = current
        .iter()
        .map(|(key, record)| {
            let prior = Prior {
                is_deleted: record.is_deleted,
                sync_version: record.sync_version,
            };
            (key.clone(), prior)
        })
        .collect();
    let mut batch = Batch::new(current, applied_before, first_position, now);
    let outcomes = decide_jobs(&mut tx, &mut batch, jobs, refusals, now)
        .instrument(info_span!("decide"))
        .await?;
    let events = save(&mut tx, store, client_id, &prior, batch, now).await?;
    tx.commit().instrument(info_span!("commit")).await?;
    // How long the client's other writes waited on this one: the serialised part of a push.
    metrics::histogram!("possync_write_counter_held_seconds")
        .record(counter_taken.elapsed().as_secs_f64());
    metrics::histogram!("possync_write_seconds").record(started.elapsed().as_secs_f64());
    metrics::histogram!("possync_write_group_jobs").record(jobs.len() as f64);
    Ok(GroupWritten { outcomes, events })
}

/// Binds each job's device (in id order, so two groups of one client cannot deadlock on the
/// device rows); a job whose device is bound elsewhere gets its refusal, and writes nothing.
/// Devices already bound to the jobs' one branch (a shop's tills, nearly always) are marked
/// in one statement; otherwise each is bound on its own.
async fn bind_devices(
    tx: &mut MySqlConnection,
    jobs: &[Job<'_>],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Option<StoreError>>> {
    let mut refusals: Vec<Option<StoreError>> = jobs.iter().map(|_| None).collect();
    if devices::mark_synced(tx, jobs.iter().map(|job| &job.author), now).await? {
        return Ok(refusals);
    }
    let mut by_device: Vec<usize> = (0..jobs.len()).collect();
    by_device.sort_by_key(|&index| jobs[index].author.device);
    for index in by_device {
        let author = &jobs[index].author;
        let Some(device) = author.device else {
            continue;
        };
        match devices::bind(tx, &author.scope, device, now, true).await {
            Err(devices::DeviceError::Database(err)) => return Err(err),
            bound => refusals[index] = bound.err().map(StoreError::from),
        }
    }
    Ok(refusals)
}

/// Decides each job not refused, looking up what its device made before where an edit may
/// be a retry (`rules::retry`).
async fn decide_jobs<'a>(
    tx: &mut MySqlConnection,
    batch: &mut Batch<'a>,
    jobs: &[Job<'a>],
    refusals: Vec<Option<StoreError>>,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Result<Vec<Outcome>, StoreError>>> {
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (job, refusal) in jobs.iter().zip(refusals) {
        if let Some(refusal) = refusal {
            outcomes.push(Err(refusal));
            continue;
        }
        let repeats = retry::may_repeat(job, &batch.current, now);
        let made = made_before(tx, job, &repeats).await?;
        let mut decided = batch.decide(job, &retry::made_again(job.edits, &repeats, &made));
        let conflicted = retry::conflicted(job, &decided);
        let made = made_before(tx, job, &conflicted).await?;
        retry::settle_conflicts(job.edits, &mut decided, &made);
        outcomes.push(Ok(decided));
    }
    Ok(outcomes)
}

/// What the job's device made of the records of the edits at `indices`.
async fn made_before(
    tx: &mut MySqlConnection,
    job: &Job<'_>,
    indices: &[usize],
) -> sqlx::Result<HashSet<MadeEdit>> {
    let (Some(device), false) = (retry::device_of(job), indices.is_empty()) else {
        return Ok(HashSet::new());
    };
    let records = retry::records_of(job.edits, indices);
    sync_queue::made::made_by(tx, job.author.scope.client_id, device, &records).await
}

/// Writes what `batch` decided: the records, the live counts, the scopes' event numbers,
/// the sync queue rows and the edit ids. Returns the messages to publish after commit.
async fn save(
    tx: &mut MySqlConnection,
    store: &Store,
    client_id: u64,
    prior: &HashMap<Key, Prior>,
    mut batch: Batch<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Outgoing>> {
    if batch.applied.is_empty() {
        return Ok(Vec::new());
    }
    // A record edited twice is written once, in its final state (its last version).
    let mut keys = HashSet::new();
    let latest: Vec<&Applied> = batch
        .applied
        .iter()
        .rev()
        .filter(|version| keys.insert(key_of(&version.record)))
        .collect();
    records::upsert(tx, client_id, &latest)
        .instrument(info_span!("upsert_records", records = latest.len()))
        .await?;
    let latest: Vec<&StoredRecord> = latest.iter().map(|version| &version.record).collect();
    update_counts(tx, client_id, prior, &latest)
        .instrument(info_span!("update_counts"))
        .await?;
    // The changes of one scope and table together: each subject's group then has
    // consecutive scope numbers, and groups go out in the order of those numbers.
    let applied = &mut batch.applied;
    applied.sort_by_key(|version| (version.record.branch_scope, version.record.table.name));
    let seqs = take_scope_seqs(tx, client_id, applied)
        .instrument(info_span!("scope_seqs"))
        .await?;
    let changes = announce::queued(applied, &seqs);
    let ids = sync_queue::insert::insert(tx, store.queue_ids, client_id, &changes)
        .instrument(info_span!("insert_queue", rows = changes.len()))
        .await?;
    edits::remember(tx, client_id, &batch.remembered, now)
        .instrument(info_span!("remember_edits"))
        .await?;
    Ok(announce::events(&store.subjects, applied, &ids, &seqs))
}
