//! Publishes outbox rows that stayed unpublished past the grace period.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so two janitors take different rows;
//! each is published with its outbox id as `Nats-Msg-Id` (JetStream stores a re-publish
//! once) and marked published in the same short transaction. A janitor killed midway rolls
//! back: its rows stay unpublished and the next sweep takes them. The event carries the
//! record's current state; its `scope_seq` is the one the row was given at commit.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use shared::registry;
use shared::storage::Text;
use shared::stream::{self, Outgoing};
use shared::subject::Subjects;
use shared::wire::socket::{ChangeEvent, Operation};
use sqlx::{FromRow, MySql, MySqlConnection, MySqlPool, QueryBuilder};

#[derive(FromRow)]
struct OutboxRow {
    id: u64,
    client_id: u64,
    branch_scope: u64,
    table_name: Text,
    record_id: Text,
    operation: Text,
    source_device_id: Option<Text>,
    scope_seq: u64,
}

#[derive(FromRow)]
struct CurrentRecord {
    client_id: u64,
    table_name: Text,
    record_id: Text,
    data: Text,
    is_deleted: bool,
    sync_version: u64,
    position: u64,
    server_updated_at: DateTime<Utc>,
}

/// Relays overdue rows in batches of `batch` until none is left; returns how many.
pub async fn relay_overdue(
    pool: &MySqlPool,
    js: &jetstream::Context,
    subjects: &Subjects,
    grace: Duration,
    batch: u32,
) -> anyhow::Result<u64> {
    let mut relayed = 0;
    loop {
        let (claimed, published) = relay_batch(pool, js, subjects, grace, batch).await?;
        relayed += published;
        if claimed < u64::from(batch) || published < claimed {
            return Ok(relayed);
        }
    }
}

/// One short transaction: claim, publish, mark. Returns (claimed, published).
async fn relay_batch(
    pool: &MySqlPool,
    js: &jetstream::Context,
    subjects: &Subjects,
    grace: Duration,
    batch: u32,
) -> anyhow::Result<(u64, u64)> {
    let cutoff = Utc::now() - grace;
    let mut tx = pool.begin().await?;
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, client_id, branch_scope, table_name, record_id, CAST(operation AS CHAR) AS operation, \
         source_device_id, scope_seq FROM sync_queue WHERE published_at IS NULL AND created_at < ? \
         ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
    )
    .bind(cutoff)
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let current = current_records(&mut tx, &rows).await?;
    let events: Vec<Outgoing> = rows
        .iter()
        .filter_map(|row| event_for(subjects, row, &current))
        .collect();
    let acked = stream::publish_all(js, &events).await;
    if !acked.is_empty() {
        let mut mark = QueryBuilder::<MySql>::new("UPDATE sync_queue SET published_at = ");
        mark.push_bind(Utc::now()).push(" WHERE id IN (");
        let mut ids = mark.separated(", ");
        for id in &acked {
            ids.push_bind(*id);
        }
        mark.push(")");
        mark.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok((rows.len() as u64, acked.len() as u64))
}

type Key = (u64, String, String);

async fn current_records(
    tx: &mut MySqlConnection,
    rows: &[OutboxRow],
) -> sqlx::Result<HashMap<Key, CurrentRecord>> {
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT client_id, table_name, record_id, data, is_deleted, sync_version, position, server_updated_at \
         FROM records WHERE ",
    );
    let mut keys = query.separated(" OR ");
    for row in rows {
        keys.push("(client_id = ")
            .push_bind_unseparated(row.client_id)
            .push_unseparated(" AND table_name = ")
            .push_bind_unseparated(row.table_name.0.as_str())
            .push_unseparated(" AND record_id = ")
            .push_bind_unseparated(row.record_id.0.as_str())
            .push_unseparated(")");
    }
    let records: Vec<CurrentRecord> = query.build_query_as().fetch_all(&mut *tx).await?;
    Ok(records
        .into_iter()
        .map(|r| {
            (
                (r.client_id, r.table_name.0.clone(), r.record_id.0.clone()),
                r,
            )
        })
        .collect())
}

fn event_for(
    subjects: &Subjects,
    row: &OutboxRow,
    current: &HashMap<Key, CurrentRecord>,
) -> Option<Outgoing> {
    let table = registry::lookup(&row.table_name.0)?;
    let record = current.get(&(
        row.client_id,
        row.table_name.0.clone(),
        row.record_id.0.clone(),
    ))?;
    let operation = match row.operation.0.as_str() {
        "create" => Operation::Create,
        "delete" => Operation::Delete,
        _ => Operation::Update,
    };
    let event = ChangeEvent {
        table_name: table.name.to_owned(),
        record_id: row.record_id.0.clone(),
        operation,
        data: serde_json::from_str(&record.data.0).ok()?,
        is_deleted: record.is_deleted,
        sync_version: record.sync_version,
        server_updated_at: record.server_updated_at,
        client_id: row.client_id,
        branch_id: row.branch_scope,
        position: record.position,
        scope_seq: row.scope_seq,
        source_device_id: row.source_device_id.clone().map(String::from),
    };
    let subject = subjects.change(row.client_id, row.branch_scope, table);
    Some(Outgoing::event(row.id, subject, &event))
}
