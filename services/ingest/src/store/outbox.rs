//! The outbox side of a write: outbox rows and the events to publish.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use shared::registry::Table;
use shared::storage::Text;
use shared::subject::Subjects;
use shared::wire::socket::{ChangeEvent, Operation};
use sqlx::{MySql, MySqlConnection, MySqlPool, QueryBuilder};

use super::write::{Applied, Author, Outcome};
use super::{Edit, Key, StoredRecord};

/// How the ids of a multi-row outbox insert are learnt back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdAllocation {
    /// One statement's ids are consecutive from `LAST_INSERT_ID()` (InnoDB's auto-increment
    /// lock modes 0 and 1 with an increment of 1; MariaDB's default).
    Consecutive,
    /// Anything else (MySQL 8's default interleaved mode 2): read them back from the first.
    ReadBack,
}

impl IdAllocation {
    pub async fn of_server(pool: &MySqlPool) -> sqlx::Result<IdAllocation> {
        let (lock_mode, increment): (i64, i64) = sqlx::query_as(
            "SELECT CAST(@@innodb_autoinc_lock_mode AS SIGNED), \
                 CAST(@@auto_increment_increment AS SIGNED)",
        )
        .fetch_one(pool)
        .await?;
        Ok(if lock_mode <= 1 && increment == 1 {
            IdAllocation::Consecutive
        } else {
            IdAllocation::ReadBack
        })
    }
}

/// What an edit wrote: its data but for counters (which other edits move), or that it
/// deleted (a delete stores none of what it sent).
pub fn edit_digest(table: &Table, is_deleted: bool, data: Option<&Value>) -> [u8; 32] {
    let mut digest = Sha256::new();
    match (is_deleted, data) {
        (false, Some(Value::Object(fields))) => {
            let mut fields = fields.clone();
            table
                .counters()
                .for_each(|counter| drop(fields.remove(counter)));
            digest.update(format!("write {}", Value::Object(fields)))
        }
        (false, Some(data)) => digest.update(format!("write {data}")),
        _ => digest.update("delete"),
    }
    digest.finalize().into()
}

/// An edit as a retry is recognised: table, record, edit time and [`edit_digest`].
pub type EditKey = (String, String, DateTime<Utc>, [u8; 32]);

/// Which of `edits` `device` already made: their outbox rows exist. A retry of one of them
/// is no conflict, whatever was written since.
pub async fn already_applied(
    tx: &mut MySqlConnection,
    client_id: u64,
    device: &str,
    edits: &[(&'static str, &str)],
) -> sqlx::Result<HashSet<EditKey>> {
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT table_name, record_id, local_updated_at, edit_digest FROM sync_queue WHERE client_id = ",
    );
    query
        .push_bind(client_id)
        .push(" AND source_device_id = ")
        .push_bind(device);
    query.push(" AND (table_name, record_id) IN ");
    query.push_tuples(edits, |mut row, (table, id)| {
        row.push_bind(*table).push_bind(*id);
    });
    type Row = (Text, Text, Option<DateTime<Utc>>, Option<Vec<u8>>);
    let rows: Vec<Row> = query.build_query_as().fetch_all(&mut *tx).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(table, id, time, digest)| {
            Some((table.0, id.0, time?, digest?.try_into().ok()?))
        })
        .collect())
}

/// A conflict of an edit its device made before (a retry after a lost answer, with another
/// device's edit in between) is answered as synced: the edit is in the outbox.
pub async fn retries_are_no_conflicts(
    tx: &mut MySqlConnection,
    author: &Author<'_>,
    edits: &[Edit],
    outcomes: &mut [Outcome],
) -> sqlx::Result<()> {
    let Some(device) = author.device else {
        return Ok(());
    };
    let conflicted: Vec<_> = edits
        .iter()
        .zip(outcomes.iter())
        .filter(|(_, outcome)| matches!(outcome, Outcome::Conflict(_)))
        .map(|(edit, _)| (edit.table.name, edit.record_id.as_str()))
        .collect();
    if conflicted.is_empty() {
        return Ok(());
    }
    let made = already_applied(tx, author.scope.client_id, device, &conflicted).await?;
    for (edit, outcome) in edits.iter().zip(outcomes.iter_mut()) {
        if let Outcome::Conflict(current) = outcome {
            if made.contains(&edit_key(edit)) {
                *outcome = Outcome::Unchanged(current.clone());
            }
        }
    }
    Ok(())
}

/// The indices of `edits` that are retries of edits their device made with a time ahead of
/// the server's clock, over a record another device wrote since. Such an edit counts as made
/// when it first arrived (its time is clamped to its arrival); a retry arrives later, so the
/// rules would see it as newer than the other device's edit and apply it again.
pub async fn ahead_of_time_retries(
    tx: &mut MySqlConnection,
    author: &Author<'_>,
    edits: &[Edit],
    current: &HashMap<Key, StoredRecord>,
    now: DateTime<Utc>,
) -> sqlx::Result<HashSet<usize>> {
    let Some(device) = author.device else {
        return Ok(HashSet::new());
    };
    let candidates: Vec<(usize, &Edit)> = edits
        .iter()
        .enumerate()
        .filter(|(_, edit)| {
            let key = (edit.table.name, edit.record_id.to_string());
            edit.local_updated_at > now
                && current
                    .get(&key)
                    .is_some_and(|record| record.updated_by_device.as_deref() != Some(device))
        })
        .collect();
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let records: Vec<_> = candidates
        .iter()
        .map(|(_, edit)| (edit.table.name, edit.record_id.as_str()))
        .collect();
    let made = already_applied(tx, author.scope.client_id, device, &records).await?;
    Ok(candidates
        .into_iter()
        .filter(|(_, edit)| made.contains(&edit_key(edit)))
        .map(|(index, _)| index)
        .collect())
}

/// How [`already_applied`] names `edit`.
fn edit_key(edit: &Edit) -> EditKey {
    (
        edit.table.name.to_owned(),
        edit.record_id.to_string(),
        edit.local_updated_at,
        edit_digest(edit.table, edit.is_deleted, edit.data.as_ref()),
    )
}

/// The subject group of each applied edit, in order: the smallest position of the edits
/// that share its scope and table, and how many they are.
fn groups_of(applied: &[Applied<'_>]) -> Vec<(u64, u16)> {
    let mut groups: HashMap<(u64, &str), (u64, u16)> = HashMap::new();
    for version in applied {
        let record = &version.record;
        let group = groups
            .entry((record.branch_scope, record.table.name))
            .or_insert((record.position, 0));
        group.0 = group.0.min(record.position);
        group.1 += 1;
    }
    applied
        .iter()
        .map(|version| groups[&(version.record.branch_scope, version.record.table.name)])
        .collect()
}

/// Inserts one outbox row per applied edit (with its scope number from `seqs` and its
/// subject group) and returns their ids, in the same order.
pub async fn insert_outbox(
    tx: &mut MySqlConnection,
    ids: IdAllocation,
    client_id: u64,
    applied: &[Applied<'_>],
    seqs: &[u64],
) -> sqlx::Result<Vec<u64>> {
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO sync_queue (client_id, branch_id, branch_scope, table_name, record_id, operation, \
         source_device_id, local_updated_at, edit_digest, sync_version, position, scope_seq, group_position, \
         group_size, created_at) ",
    );
    query.push_values(
        applied.iter().zip(seqs).zip(groups_of(applied)),
        |mut row, ((version, seq), (group_position, group_size))| {
            let record = &version.record;
            row.push_bind(client_id)
                .push_bind(version.author.scope.branch_id)
                .push_bind(record.branch_scope)
                .push_bind(record.table.name)
                .push_bind(&record.record_id)
                .push_bind(operation_name(version.operation))
                .push_bind(version.author.device)
                .push_bind(record.local_updated_at)
                .push_bind(
                    edit_digest(record.table, record.is_deleted, Some(&record.data)).to_vec(),
                )
                .push_bind(record.sync_version)
                .push_bind(record.position)
                .push_bind(*seq)
                .push_bind(group_position)
                .push_bind(group_size)
                .push_bind(record.server_updated_at);
        },
    );
    let inserted = query.build().execute(&mut *tx).await?;
    let first = inserted.last_insert_id();
    if ids == IdAllocation::Consecutive {
        return Ok((first..first + applied.len() as u64).collect());
    }
    // Interleaved ids all come after the statement's first one, among few others.
    let positions = applied.iter().map(|version| version.record.position);
    let (from, to) = (
        positions.clone().min().unwrap_or(0),
        positions.max().unwrap_or(0),
    );
    let rows: Vec<(u64, u64)> = sqlx::query_as(
        "SELECT position, id FROM sync_queue FORCE INDEX (PRIMARY) \
         WHERE id >= ? AND client_id = ? AND position BETWEEN ? AND ?",
    )
    .bind(first)
    .bind(client_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    let ids: HashMap<u64, u64> = rows.into_iter().collect();
    applied
        .iter()
        .map(|version| {
            let position = version.record.position;
            ids.get(&position).copied().ok_or_else(|| {
                sqlx::Error::Protocol(format!("outbox row at {position} not read back"))
            })
        })
        .collect()
}

pub fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
    }
}

/// The change event of an applied edit and the subject it is published on.
pub fn event_for(
    subjects: &Subjects,
    version: &Applied<'_>,
    scope_seq: u64,
) -> (String, ChangeEvent) {
    let record = &version.record;
    let client_id = version.author.scope.client_id;
    let event = ChangeEvent {
        table_name: record.table.name.to_owned(),
        record_id: record.record_id.clone(),
        operation: version.operation,
        data: record.data.clone(),
        is_deleted: record.is_deleted,
        sync_version: record.sync_version,
        server_updated_at: record.server_updated_at,
        client_id,
        branch_id: record.branch_scope,
        position: record.position,
        scope_seq,
        source_device_id: version.author.device.map(str::to_owned),
    };
    let subject = subjects.change(client_id, record.branch_scope, record.table);
    (subject, event)
}
