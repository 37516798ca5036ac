//! Counters bumped in the write transaction: the client's change positions, each scope's
//! event numbers, and the live records per table and scope (for stats).

use std::collections::{HashMap, HashSet};

use shared::wire::socket::Operation;
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use super::{key_of, Key, StoredRecord};

/// Bumps the client's counter by `count` and returns the first of the positions taken.
pub async fn take_positions(
    tx: &mut MySqlConnection,
    client_id: u64,
    count: usize,
) -> sqlx::Result<u64> {
    // LAST_INSERT_ID(expr) hands the new value back with the statement: no second read.
    let done = sqlx::query(
        "INSERT INTO change_counters (client_id, last_position) VALUES (?, ?) ON DUPLICATE KEY \
         UPDATE last_position = LAST_INSERT_ID(last_position + VALUES(last_position))",
    )
    .bind(client_id)
    .bind(count as u64)
    .execute(&mut *tx)
    .await?;
    // One row affected: the counter was just created with `count` (an update always changes
    // it, as `count` ≥ 1, and reports 2).
    let last = if done.rows_affected() == 1 {
        count as u64
    } else {
        done.last_insert_id()
    };
    (last + 1)
        .checked_sub(count as u64)
        .filter(|first| *first > 0)
        .ok_or_else(|| {
            sqlx::Error::Protocol(format!(
                "change counter returned {last} for {count} positions"
            ))
        })
}

/// Takes the next sequence numbers of each scope the applied records touch, in order.
pub async fn take_scope_seqs(
    tx: &mut MySqlConnection,
    client_id: u64,
    applied: &[(StoredRecord, Operation)],
) -> sqlx::Result<Vec<u64>> {
    let mut counts: HashMap<u64, u64> = HashMap::new();
    for (record, _) in applied {
        *counts.entry(record.branch_scope).or_default() += 1;
    }
    // LAST_INSERT_ID(expr) hands back the new value of a single scope (the usual case) with
    // the statement; several scopes are read back.
    let mut upsert = QueryBuilder::<MySql>::new(
        "INSERT INTO scope_counters (client_id, branch_scope, last_seq) ",
    );
    upsert.push_values(&counts, |mut row, (scope, count)| {
        row.push_bind(client_id).push_bind(*scope).push_bind(*count);
    });
    upsert.push(" ON DUPLICATE KEY UPDATE last_seq = LAST_INSERT_ID(last_seq + VALUES(last_seq))");
    let done = upsert.build().execute(&mut *tx).await?;
    let rows: Vec<(u64, u64)> = match counts.iter().next() {
        // One row affected: the counter was just created with `count`.
        Some((scope, count)) if counts.len() == 1 => {
            let last = if done.rows_affected() == 1 {
                *count
            } else {
                done.last_insert_id()
            };
            vec![(*scope, last)]
        }
        _ => {
            let mut select = QueryBuilder::<MySql>::new(
                "SELECT branch_scope, last_seq FROM scope_counters WHERE client_id = ",
            );
            select.push_bind(client_id).push(" AND branch_scope IN (");
            let mut list = select.separated(", ");
            for scope in counts.keys() {
                list.push_bind(*scope);
            }
            select.push(")");
            select.build_query_as().fetch_all(&mut *tx).await?
        }
    };
    // The next number of each scope is its last one minus what this batch takes, plus one.
    let mut next: HashMap<u64, u64> = rows
        .into_iter()
        .map(|(scope, last)| (scope, last + 1 - counts[&scope]))
        .collect();
    Ok(applied
        .iter()
        .map(|(record, _)| {
            let seq = next
                .get_mut(&record.branch_scope)
                .expect("every touched scope was counted");
            *seq += 1;
            *seq - 1
        })
        .collect())
}

/// Adds the change in live records per table and scope to `record_counts`.
pub async fn update_counts(
    tx: &mut MySqlConnection,
    client_id: u64,
    was_live: &HashSet<Key>,
    latest: &[&StoredRecord],
) -> sqlx::Result<()> {
    let mut deltas: HashMap<(u64, &'static str), i64> = HashMap::new();
    for record in latest {
        let before = was_live.contains(&key_of(record));
        let delta = i64::from(!record.is_deleted) - i64::from(before);
        *deltas
            .entry((record.branch_scope, record.table.name))
            .or_default() += delta;
    }
    deltas.retain(|_, delta| *delta != 0);
    if deltas.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO record_counts (client_id, branch_scope, table_name, live_count) ",
    );
    query.push_values(&deltas, |mut row, ((scope, table), delta)| {
        row.push_bind(client_id)
            .push_bind(*scope)
            .push_bind(*table)
            .push_bind(*delta);
    });
    query.push(" ON DUPLICATE KEY UPDATE live_count = live_count + VALUES(live_count)");
    query.build().execute(&mut *tx).await?;
    Ok(())
}
