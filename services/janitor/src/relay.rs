//! Publishes the groups that stayed unpublished past the grace period.
//!
//! Groups (`sync_groups`: the changes of one transaction on one subject) are claimed with
//! `FOR UPDATE SKIP LOCKED`, so two janitors take different groups; each is published as the
//! message ingest publishes (named by the group's first sync queue id as `Nats-Msg-Id`, so
//! JetStream stores a re-publish once), its changes read from the sync queue by its id range,
//! and marked published in the same short transaction. A janitor killed midway rolls back:
//! its groups stay unpublished and the next sweep takes them. The event carries the record's
//! current state; its `scope_seq` is the one the change was given at commit.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use shared::registry;
use shared::storage::Text;
use shared::stream::{self, Outgoing};
use shared::subject::Subjects;
use shared::sync_queue::{self, publish::Group, publish::Unpublished};
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

/// Relays overdue groups in rounds of at most `batch` changes (at least a transaction's rows)
/// until none is left or the stream stores none; returns how many changes.
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
        let (more, published) = relay_batch(pool, js, subjects, grace, batch).await?;
        relayed += published;
        if !more || published == 0 {
            return Ok(relayed);
        }
    }
}

/// One short transaction: claim whole groups, publish them, mark them. Returns whether more
/// may wait, and how many changes were published.
async fn relay_batch(
    pool: &MySqlPool,
    js: &jetstream::Context,
    subjects: &Subjects,
    grace: Duration,
    batch: u32,
) -> anyhow::Result<(bool, u64)> {
    let mut tx = pool.begin().await?;
    let claimed = sync_queue::publish::claim_overdue(&mut tx, grace, batch).await?;
    let groups = &claimed.groups;
    if groups.is_empty() {
        return Ok((false, 0));
    }
    let rows = sync_queue::publish::changes_of(&mut tx, groups).await?;
    let current = current_records(&mut tx, &rows).await?;
    let mut messages = Vec::new();
    // A group none of whose changes can be told any more (their table left the registry) has
    // nothing to publish: marked as it is.
    let mut nothing_to_send = Vec::new();
    for (group, rows) in groups.iter().zip(by_group(groups, &rows)) {
        let events = rows
            .iter()
            .filter_map(|row| event_for(subjects, row, &current))
            .collect();
        match Outgoing::groups(events).pop() {
            // Named by the group (its first row), whichever of its rows made events.
            Some(mut message) => {
                message.queue_ids = rows.iter().map(|row| row.id).collect();
                debug_assert_eq!(message.message_id(), group.id);
                messages.push(message);
            }
            None => nothing_to_send.push(group.id),
        }
    }
    let mut done = stream::publish_all(js, &messages).await;
    done.extend(nothing_to_send);
    sync_queue::publish::mark_published(&mut tx, &done).await?;
    tx.commit().await?;
    Ok((claimed.more, record_lag(groups, &done)))
}

/// Records how old each change the relay published was
/// (`possync_janitor_relay_lag_seconds`); returns how many there were.
fn record_lag(groups: &[Group], acked: &[u64]) -> u64 {
    let acked: HashSet<u64> = acked.iter().copied().collect();
    let now = shared::clock::now();
    let mut published = 0;
    for group in groups.iter().filter(|group| acked.contains(&group.id)) {
        let age = (now - group.created_at).num_milliseconds().max(0) as f64 / 1000.0;
        for _ in 0..group.change_count {
            metrics::histogram!("possync_janitor_relay_lag_seconds").record(age);
        }
        published += u64::from(group.change_count);
    }
    published
}

/// The rows of each group, in group order.
fn by_group<'a>(groups: &[Group], rows: &'a [Unpublished]) -> Vec<Vec<&'a Unpublished>> {
    groups
        .iter()
        .map(|group| {
            rows.iter()
                .filter(|row| {
                    (group.id..=group.last_id).contains(&row.id)
                        && (row.client_id, row.branch_scope)
                            == (group.client_id, group.branch_scope)
                })
                .collect()
        })
        .collect()
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

    fn group(id: u64, last_id: u64, client_id: u64) -> Group {
        Group {
            id,
            last_id,
            client_id,
            branch_scope: 1,
            change_count: (last_id - id + 1) as u16,
            created_at: Utc::now(),
        }
    }

    fn row(id: u64, client_id: u64) -> Unpublished {
        Unpublished {
            id,
            client_id,
            branch_scope: 1,
            table_name: Text("invoices".into()),
            record_id: Text(format!("i{id}")),
            operation: Text("create".into()),
            source_device_id: None,
            scope_seq: id,
        }
    }

    #[test]
    fn each_group_gets_its_rows_and_not_another_clients_between_them() {
        let groups = [group(1, 3, 7), group(2, 2, 8), group(4, 4, 7)];
        let rows = [row(1, 7), row(2, 8), row(3, 7), row(4, 7)];
        let ids: Vec<Vec<u64>> = by_group(&groups, &rows)
            .iter()
            .map(|group| group.iter().map(|row| row.id).collect())
            .collect();
        assert_eq!(ids, [vec![1, 3], vec![2], vec![4]]);
    }
}
