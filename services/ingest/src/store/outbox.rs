//! The outbox side of a write: outbox rows and the events to publish.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use shared::registry::Table;
use shared::storage::Text;
use shared::stream::Outgoing;
use shared::subject::Subjects;
use shared::wire::socket::{ChangeEvent, Operation};
use sqlx::{MySql, MySqlConnection, MySqlPool, QueryBuilder};

use super::write::{Author, Outcome};
use super::{Edit, StoredRecord};

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
        let key = (
            edit.table.name.to_owned(),
            edit.record_id.to_string(),
            edit.local_updated_at,
            edit_digest(edit.table, edit.is_deleted, edit.data.as_ref()),
        );
        if let Outcome::Conflict(current) = outcome {
            if made.contains(&key) {
                *outcome = Outcome::Unchanged(current.clone());
            }
        }
    }
    Ok(())
}

/// Inserts one outbox row per applied edit (with its scope number from `seqs`) and returns
/// their ids, in the same order.
pub async fn insert_outbox(
    tx: &mut MySqlConnection,
    ids: IdAllocation,
    author: &Author<'_>,
    applied: &[(StoredRecord, Operation)],
    seqs: &[u64],
) -> sqlx::Result<Vec<u64>> {
    let client_id = author.scope.client_id;
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO sync_queue (client_id, branch_id, branch_scope, table_name, record_id, operation, \
         source_device_id, local_updated_at, edit_digest, sync_version, position, scope_seq, created_at) ",
    );
    query.push_values(
        applied.iter().zip(seqs),
        |mut row, ((record, operation), seq)| {
            row.push_bind(client_id)
                .push_bind(author.scope.branch_id)
                .push_bind(record.branch_scope)
                .push_bind(record.table.name)
                .push_bind(&record.record_id)
                .push_bind(operation_name(*operation))
                .push_bind(author.device)
                .push_bind(record.local_updated_at)
                .push_bind(
                    edit_digest(record.table, record.is_deleted, Some(&record.data)).to_vec(),
                )
                .push_bind(record.sync_version)
                .push_bind(record.position)
                .push_bind(*seq)
                .push_bind(record.server_updated_at);
        },
    );
    let inserted = query.build().execute(&mut *tx).await?;
    let first = inserted.last_insert_id();
    if ids == IdAllocation::Consecutive {
        return Ok((first..first + applied.len() as u64).collect());
    }
    // Interleaved ids all come after the statement's first one, among few others.
    let (from, to) = (applied[0].0.position, applied[applied.len() - 1].0.position);
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
        .map(|(record, _)| {
            ids.get(&record.position).copied().ok_or_else(|| {
                sqlx::Error::Protocol(format!("outbox row at {} not read back", record.position))
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

pub fn event_for(
    subjects: &Subjects,
    author: &Author<'_>,
    record: &StoredRecord,
    operation: Operation,
    outbox_id: u64,
    scope_seq: u64,
) -> Outgoing {
    let client_id = author.scope.client_id;
    let event = ChangeEvent {
        table_name: record.table.name.to_owned(),
        record_id: record.record_id.clone(),
        operation,
        data: record.data.clone(),
        is_deleted: record.is_deleted,
        sync_version: record.sync_version,
        server_updated_at: record.server_updated_at,
        client_id,
        branch_id: record.branch_scope,
        position: record.position,
        scope_seq,
        source_device_id: author.device.map(str::to_owned),
    };
    let subject = subjects.change(client_id, record.branch_scope, record.table);
    Outgoing::event(outbox_id, subject, &event)
}
