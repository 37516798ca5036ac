//! Counters bumped in the write transaction: the client's change positions, each scope's
//! event numbers, and the live and stored records and checksum per table and scope.

use std::collections::{BTreeMap, HashMap};

use shared::wire::checksums::record_term;

use chrono::{DateTime, Utc};
use sqlx::mysql::MySqlArguments;
use sqlx::query::Query;
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use crate::record::{key_of, Applied, Key, StoredRecord};

/// Bumps the client's counter by `count` and returns the first of the positions taken. The
/// counter's time mark rises to `now` if it is behind, so marks never decrease along the
/// change order; [`mark_positions`] files the write under it.
pub async fn take_positions(
    tx: &mut MySqlConnection,
    client_id: u64,
    count: usize,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let bump = sqlx::query(
        "INSERT INTO change_counters (client_id, time_mark, last_position) VALUES (?, ?, ?) \
         ON DUPLICATE KEY UPDATE time_mark = GREATEST(time_mark, VALUES(time_mark)), \
         last_position = LAST_INSERT_ID(last_position + VALUES(last_position))",
    )
    .bind(client_id)
    .bind(now);
    first_taken(bump, tx, count as u64).await
}

/// Files the write's first position under its time mark's minute in `change_marks` (a minute
/// already there keeps its earlier position), from the counter row the transaction holds.
pub async fn mark_positions(
    tx: &mut MySqlConnection,
    client_id: u64,
    first_position: u64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO change_marks (client_id, marked_at, position) \
         SELECT client_id, DATE_FORMAT(time_mark, '%Y-%m-%d %H:%i:00'), ? FROM change_counters \
         WHERE client_id = ? ON DUPLICATE KEY UPDATE position = position",
    )
    .bind(first_position)
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes the next sequence numbers of each scope the applied records touch, in order: one
/// statement per scope (one for a cashier's batch, two with shared tables).
pub async fn take_scope_seqs(
    tx: &mut MySqlConnection,
    client_id: u64,
    applied: &[Applied<'_>],
) -> sqlx::Result<Vec<u64>> {
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for version in applied {
        *counts.entry(version.record.branch_scope).or_default() += 1;
    }
    let mut next: HashMap<u64, u64> = HashMap::with_capacity(counts.len());
    for (scope, count) in counts {
        let bump = sqlx::query(
            "INSERT INTO scope_counters (client_id, branch_scope, last_seq) VALUES (?, ?, ?) \
             ON DUPLICATE KEY UPDATE last_seq = LAST_INSERT_ID(last_seq + VALUES(last_seq))",
        )
        .bind(client_id)
        .bind(scope);
        next.insert(scope, first_taken(bump, tx, count).await?);
    }
    Ok(applied
        .iter()
        .map(|version| {
            let seq = next
                .get_mut(&version.record.branch_scope)
                .expect("every touched scope was counted");
            *seq += 1;
            *seq - 1
        })
        .collect())
}

/// Runs `bump` (an upsert whose update sets the counter through `LAST_INSERT_ID(expr)`, so
/// the new value comes back with the statement) with `count` as its last parameter, and
/// returns the first of the `count` numbers it took.
async fn first_taken(
    bump: Query<'_, MySql, MySqlArguments>,
    tx: &mut MySqlConnection,
    count: u64,
) -> sqlx::Result<u64> {
    let done = bump.bind(count).execute(&mut *tx).await?;
    // One row affected: the counter was just created with `count` (an update always changes
    // it, as `count` ≥ 1, and reports 2).
    let last = if done.rows_affected() == 1 {
        count
    } else {
        done.last_insert_id()
    };
    (last + 1)
        .checked_sub(count)
        .filter(|first| *first > 0)
        .ok_or_else(|| {
            sqlx::Error::Protocol(format!("counter returned {last} for {count} numbers"))
        })
}

/// What a record was before the write, for [`update_counts`].
#[derive(Debug, Clone, Copy)]
pub struct Prior {
    pub is_deleted: bool,
    pub sync_version: u64,
}

/// What one write changes in one table and scope's row of `record_counts`.
#[derive(Debug, Default)]
struct CountsDelta {
    live: i64,
    stored: i64,
    /// Added to the checksum modulo 2^32.
    checksum: u32,
}

/// Adds the change in live and stored records per table and scope to `record_counts`, and
/// moves each table's checksum from the records' prior terms to their new ones.
pub async fn update_counts(
    tx: &mut MySqlConnection,
    client_id: u64,
    prior: &HashMap<Key, Prior>,
    latest: &[&StoredRecord],
) -> sqlx::Result<()> {
    let mut deltas: HashMap<(u64, &'static str), CountsDelta> = HashMap::new();
    for record in latest {
        let before = prior.get(&key_of(record));
        let delta = deltas
            .entry((record.branch_scope, record.table.name))
            .or_default();
        delta.live += i64::from(!record.is_deleted)
            - i64::from(before.is_some_and(|before| !before.is_deleted));
        delta.stored += i64::from(before.is_none());
        let term = record_term(&record.record_id, record.sync_version, record.is_deleted);
        let old = before.map_or(0, |before| {
            record_term(&record.record_id, before.sync_version, before.is_deleted)
        });
        delta.checksum = delta.checksum.wrapping_add(term.wrapping_sub(old));
    }
    if deltas.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO record_counts (client_id, branch_scope, table_name, live_count, stored_count, checksum) ",
    );
    query.push_values(&deltas, |mut row, ((scope, table), delta)| {
        row.push_bind(client_id)
            .push_bind(*scope)
            .push_bind(*table)
            .push_bind(delta.live)
            .push_bind(delta.stored)
            .push_bind(delta.checksum);
    });
    query.push(
        " ON DUPLICATE KEY UPDATE live_count = live_count + VALUES(live_count), \
         stored_count = stored_count + VALUES(stored_count), \
         checksum = (checksum + VALUES(checksum)) % 4294967296",
    );
    query.build().execute(&mut *tx).await?;
    Ok(())
}
