//! Counters on the device: increments queued like any edit, shown on top of the server's
//! value until a server copy holds them.
//!
//! An increment waits in the outbox; once pushed, the server answers the `sync_version`
//! that holds it and it moves to `sent_increments`. What the app reads is the local copy
//! plus every queued increment plus every sent increment newer than the copy's version, so
//! the screen is right before the push, after it, and as events and pulls bring new values.

use std::collections::HashMap;

use possync_wire::counters::apply_increments;
use possync_wire::registry::{self, Table};
use possync_wire::sync::SyncedVersion;
use serde_json::Value;
use sqlx::{SqliteConnection, SqlitePool};

use super::rows::{LocalRecord, Queued};

/// Adds the columns of counters to an outbox made by an older version of this crate.
pub(super) async fn upgrade(pool: &SqlitePool) -> sqlx::Result<()> {
    for (column, kind) in [
        ("increments", "TEXT"),
        ("edit_id", "TEXT"),
        ("counted", "INTEGER NOT NULL DEFAULT 1"),
    ] {
        let present: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name = ?")
                .bind(column)
                .fetch_one(pool)
                .await?;
        if present == 0 {
            sqlx::query(&format!("ALTER TABLE outbox ADD COLUMN {column} {kind}"))
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// Before a local write of `data` over `old`: counters `data` leaves out keep their values;
/// when it sets one, the record's earlier increments stop showing.
pub(super) async fn set_by_value(
    tx: &mut SqliteConnection,
    table: &Table,
    id: &str,
    data: &mut Value,
    old: &Value,
) -> sqlx::Result<()> {
    let sets_a_counter = table.counters().any(|counter| data.get(counter).is_some());
    table.keep_counters(data, old);
    if sets_a_counter {
        sqlx::query("UPDATE outbox SET counted = 0 WHERE table_name = ? AND record_id = ? AND increments IS NOT NULL")
            .bind(table.name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sent_increments WHERE table_name = ? AND record_id = ?")
            .bind(table.name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Queues `increments` of a record the device holds, as the edit `edit_id`.
pub(super) async fn queue_increment(
    pool: &SqlitePool,
    table: &str,
    id: &str,
    increments: &Value,
    edit_id: &str,
) -> anyhow::Result<()> {
    let known = registry::lookup(table).ok_or_else(|| anyhow::anyhow!("no table {table}"))?;
    known
        .parse_increments(increments)
        .map_err(|err| anyhow::anyhow!(err.0))?;
    let base: Option<i64> = sqlx::query_scalar(
        "SELECT sync_version FROM records WHERE table_name = ? AND record_id = ?",
    )
    .bind(table)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let base = base.ok_or_else(|| anyhow::anyhow!("no {table} record {id} on this device"))?;
    sqlx::query(
        "INSERT INTO outbox (table_name, record_id, data, is_deleted, local_updated_at, base_version, increments, edit_id) \
         VALUES (?, ?, 'null', 0, ?, ?, ?, ?)",
    )
    .bind(table)
    .bind(id)
    .bind(chrono::Utc::now().to_rfc3339())
    .bind(Some(base).filter(|version| *version > 0))
    .bind(increments.to_string())
    .bind(edit_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Adds to `records` the increments of this device that their copies do not hold yet;
/// `only` reads those of one record (table, id) instead of all.
pub(super) async fn with_pending(
    pool: &SqlitePool,
    mut records: Vec<LocalRecord>,
    only: Option<(&str, &str)>,
) -> sqlx::Result<Vec<LocalRecord>> {
    let (table, id) = only.unzip();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name, record_id, increments FROM outbox WHERE increments IS NOT NULL AND counted = 1 \
         AND (?1 IS NULL OR (table_name = ?1 AND record_id = ?2)) \
         UNION ALL SELECT s.table_name, s.record_id, s.increments FROM sent_increments s \
         JOIN records r ON r.table_name = s.table_name AND r.record_id = s.record_id AND s.version > r.sync_version \
         WHERE ?1 IS NULL OR (s.table_name = ?1 AND s.record_id = ?2)",
    )
    .bind(table)
    .bind(id)
    .fetch_all(pool)
    .await?;
    let mut pending: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (table, id, increments) in rows {
        pending.entry((table, id)).or_default().push(increments);
    }
    for record in &mut records {
        let key = (record.table_name.clone(), record.record_id.clone());
        let (Some(table), Some(all)) = (registry::lookup(&record.table_name), pending.get(&key))
        else {
            continue;
        };
        for increments in all {
            let parsed = serde_json::from_str(increments)
                .ok()
                .and_then(|value| table.parse_increments(&value).ok());
            if let Some(parsed) = parsed {
                // A sum out of range stays as it was; the server refuses it the same way.
                let _ = apply_increments(&mut record.data, &parsed);
            }
        }
    }
    Ok(records)
}

/// After a push: the increments the server took move to `sent_increments` with the version
/// that holds them; those a copy already holds are dropped.
pub(super) async fn sent(
    tx: &mut SqliteConnection,
    pushed: &[Queued],
    refused: &[(usize, String)],
    versions: &[SyncedVersion],
) -> sqlx::Result<()> {
    let version_of: HashMap<usize, u64> =
        versions.iter().map(|v| (v.index, v.sync_version)).collect();
    for (index, queued) in pushed.iter().enumerate() {
        let record = &queued.record;
        let (Some(increments), Some(edit_id), Some(version)) =
            (&record.increments, &record.edit_id, version_of.get(&index))
        else {
            continue;
        };
        if refused.iter().any(|(refused, _)| *refused == index) {
            continue;
        }
        sqlx::query(
            "INSERT OR IGNORE INTO sent_increments (edit_id, table_name, record_id, increments, version) \
             SELECT ?, ?, ?, ?, ? FROM outbox WHERE seq = ? AND counted = 1",
        )
        .bind(edit_id)
        .bind(&record.table_name)
        .bind(&record.record_id)
        .bind(Value::Object(increments.clone()).to_string())
        .bind(*version as i64)
        .bind(queued.seq)
        .execute(&mut *tx)
        .await?;
    }
    drop_held(tx).await
}

/// Drops sent increments that the local copy of their record holds.
pub(super) async fn drop_held(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM sent_increments WHERE version <= (SELECT r.sync_version FROM records r \
         WHERE r.table_name = sent_increments.table_name AND r.record_id = sent_increments.record_id)",
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The marker of this device's own change at `version`: when it is the sent increment at
/// that version and the copy is the version before, the copy becomes that version. Returns
/// `None` when the record has no increments in flight (the marker confirms data as usual),
/// otherwise whether the copy moved.
pub(super) async fn own_version(
    tx: &mut SqliteConnection,
    table: &str,
    id: &str,
    version: u64,
) -> sqlx::Result<Option<bool>> {
    let in_flight: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM outbox WHERE table_name = ?1 AND record_id = ?2 AND increments IS NOT NULL) \
         + (SELECT COUNT(*) FROM sent_increments WHERE table_name = ?1 AND record_id = ?2)",
    )
    .bind(table)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if in_flight == 0 {
        return Ok(None);
    }
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT s.edit_id, s.increments, r.data FROM sent_increments s JOIN records r \
         ON r.table_name = s.table_name AND r.record_id = s.record_id \
         WHERE s.table_name = ? AND s.record_id = ? AND s.version = ? AND r.sync_version = ?",
    )
    .bind(table)
    .bind(id)
    .bind(version as i64)
    .bind(version as i64 - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let (Some((edit_id, increments, data)), Some(known)) = (row, registry::lookup(table)) else {
        return Ok(Some(false));
    };
    let mut data: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
    let parsed = serde_json::from_str(&increments)
        .ok()
        .and_then(|value| known.parse_increments(&value).ok());
    if parsed.is_none_or(|parsed| apply_increments(&mut data, &parsed).is_err()) {
        return Ok(Some(false));
    }
    sqlx::query(
        "UPDATE records SET data = ?, sync_version = ? WHERE table_name = ? AND record_id = ?",
    )
    .bind(data.to_string())
    .bind(version as i64)
    .bind(table)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM sent_increments WHERE edit_id = ?")
        .bind(edit_id)
        .execute(&mut *tx)
        .await?;
    Ok(Some(true))
}
