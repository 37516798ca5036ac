//! Publishes sync queue rows that stayed unpublished past the grace period.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so two janitors take different rows; they
//! are published in the groups ingest publishes (the changes of one transaction on one
//! subject, named by the group's first sync queue id as `Nats-Msg-Id`, so JetStream stores a
//! re-publish once) and marked published in the same short transaction. A group only partly
//! claimed (cut by the round's limit, or partly held by another janitor) waits for a later
//! round. A janitor killed midway rolls back: its rows stay unpublished and the next sweep
//! takes them. The event carries the record's current state; its `scope_seq` is the one the
//! row was given at commit.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use shared::registry;
use shared::storage::Text;
use shared::stream::{self, Outgoing};
use shared::subject::Subjects;
use shared::sync_queue::{self, publish::Unpublished};
use shared::wire::socket::ChangeEvent;
use sqlx::{FromRow, MySql, MySqlConnection, MySqlPool, QueryBuilder};

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

/// Relays overdue rows in rounds of `batch` (at least a transaction's rows) until none is
/// left; returns how many.
pub async fn relay_overdue(
    pool: &MySqlPool,
    js: &jetstream::Context,
    subjects: &Subjects,
    grace: Duration,
    batch: u32,
) -> anyhow::Result<u64> {
    let batch = batch.max(stream::MAX_TRANSACTION_ROWS as u32);
    let mut relayed = 0;
    loop {
        let (claimed, published) = relay_batch(pool, js, subjects, grace, batch).await?;
        relayed += published;
        if claimed < u64::from(batch) || published == 0 {
            return Ok(relayed);
        }
    }
}

/// One short transaction: claim, publish the whole groups, mark. Returns (claimed, published).
async fn relay_batch(
    pool: &MySqlPool,
    js: &jetstream::Context,
    subjects: &Subjects,
    grace: Duration,
    batch: u32,
) -> anyhow::Result<(u64, u64)> {
    let mut tx = pool.begin().await?;
    let rows = sync_queue::publish::claim_overdue(&mut tx, grace, batch).await?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let current = current_records(&mut tx, &rows).await?;
    let messages: Vec<Outgoing> = whole_groups(&rows)
        .into_iter()
        .flat_map(|group| {
            Outgoing::groups(
                group
                    .into_iter()
                    .filter_map(|row| event_for(subjects, row, &current))
                    .collect(),
            )
        })
        .collect();
    let acked = stream::publish_all(js, &messages).await;
    sync_queue::publish::mark_published(&mut tx, &acked).await?;
    tx.commit().await?;
    record_lag(&rows, &acked);
    Ok((rows.len() as u64, acked.len() as u64))
}

/// How old each row the relay published was (`possync_janitor_relay_lag_seconds`).
fn record_lag(rows: &[Unpublished], acked: &[u64]) {
    let acked: HashSet<u64> = acked.iter().copied().collect();
    let now = Utc::now();
    for row in rows.iter().filter(|row| acked.contains(&row.id)) {
        let age = (now - row.created_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("possync_janitor_relay_lag_seconds").record(age);
    }
}

/// The claimed rows by group, in the order of their first rows, leaving out groups of
/// which some rows were not claimed.
fn whole_groups(rows: &[Unpublished]) -> Vec<Vec<&Unpublished>> {
    let mut groups: Vec<Vec<&Unpublished>> = Vec::new();
    let mut index: HashMap<(u64, u64), usize> = HashMap::new();
    for row in rows {
        let at = *index.entry(row.group()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[at].push(row);
    }
    groups.retain(|group| group.len() == usize::from(group[0].group_size));
    groups
}

type Key = (u64, String, String);

async fn current_records(
    tx: &mut MySqlConnection,
    rows: &[Unpublished],
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
    row: &Unpublished,
    current: &HashMap<Key, CurrentRecord>,
) -> Option<(u64, String, ChangeEvent)> {
    let table = registry::lookup(&row.table_name.0)?;
    let record = current.get(&(
        row.client_id,
        row.table_name.0.clone(),
        row.record_id.0.clone(),
    ))?;
    let event = ChangeEvent {
        table_name: table.name.to_owned(),
        record_id: row.record_id.0.clone(),
        operation: sync_queue::operation_of(&row.operation.0),
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
    Some((row.id, subject, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64, client_id: u64, group: Option<(u64, u16)>) -> Unpublished {
        Unpublished {
            id,
            client_id,
            branch_scope: 1,
            table_name: Text("invoices".into()),
            record_id: Text(format!("i{id}")),
            operation: Text("create".into()),
            source_device_id: None,
            scope_seq: id,
            group_position: group.map(|(position, _)| position),
            group_size: group.map_or(1, |(_, size)| size),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn only_whole_groups_are_relayed_in_the_order_of_their_first_rows() {
        let rows = [
            row(1, 7, Some((10, 2))),
            row(2, 8, Some((10, 1))), // same position, another client: another group
            row(3, 7, Some((10, 2))),
            row(4, 7, None),          // from before groups: alone
            row(5, 7, Some((20, 3))), // cut: its third row was not claimed
            row(6, 7, Some((20, 3))),
        ];
        let ids: Vec<Vec<u64>> = whole_groups(&rows)
            .iter()
            .map(|group| group.iter().map(|row| row.id).collect())
            .collect();
        assert_eq!(ids, [vec![1, 3], vec![2], vec![4]]);
    }
}
