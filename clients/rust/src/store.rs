//! The device's local store (SQLite): its copy of the records, the queue of edits not yet
//! pushed, edits the server refused, and the pull cursor (with the tables it belongs to and
//! whether a first sync completed). Everything survives a restart.

use std::collections::BTreeMap;
use std::path::Path;

use possync_wire::sync::{Change, PushRecord, SyncedVersion};
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::SqliteConnection;

use crate::page::{upsert, PulledChange};

const SCHEMA: [&str; 6] = [
    "CREATE TABLE IF NOT EXISTS records (table_name TEXT NOT NULL, record_id TEXT NOT NULL, data TEXT NOT NULL, \
     is_deleted INTEGER NOT NULL, sync_version INTEGER NOT NULL, PRIMARY KEY (table_name, record_id))",
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, \
     record_id TEXT NOT NULL, data TEXT NOT NULL, is_deleted INTEGER NOT NULL, local_updated_at TEXT NOT NULL, \
     base_version INTEGER, increments TEXT, edit_id TEXT, counted INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE IF NOT EXISTS sent_increments (edit_id TEXT PRIMARY KEY, table_name TEXT NOT NULL, \
     record_id TEXT NOT NULL, increments TEXT NOT NULL, version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, table_name TEXT NOT NULL, record_id TEXT NOT NULL, message TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    // A pulled change looks for a queued edit of its record.
    "CREATE INDEX IF NOT EXISTS outbox_by_record ON outbox (table_name, record_id)",
];

/// A record as the device holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalRecord {
    pub table_name: String,
    pub record_id: String,
    pub data: Value,
    pub is_deleted: bool,
    /// The last server version this copy is based on (0: never synced).
    pub sync_version: u64,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    table_name: String,
    record_id: String,
    data: String,
    is_deleted: bool,
    sync_version: i64,
}

impl From<RecordRow> for LocalRecord {
    fn from(row: RecordRow) -> Self {
        LocalRecord {
            table_name: row.table_name,
            record_id: row.record_id,
            data: serde_json::from_str(&row.data).unwrap_or(Value::Null),
            is_deleted: row.is_deleted,
            sync_version: row.sync_version as u64,
        }
    }
}

#[derive(sqlx::FromRow)]
struct QueuedRow {
    seq: i64,
    table_name: String,
    record_id: String,
    data: String,
    is_deleted: bool,
    local_updated_at: String,
    base_version: Option<i64>,
    increments: Option<String>,
    edit_id: Option<String>,
}

/// An edit waiting in the queue.
#[derive(Debug, Clone)]
pub struct Queued {
    pub seq: i64,
    pub record: PushRecord,
}

/// An edit the server refused, kept for the app to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub table_name: String,
    pub record_id: String,
    pub message: String,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
}

impl Store {
    /// Opens the store in WAL mode; `durable` waits for the disk at every commit
    /// (survives power loss), otherwise only at checkpoints (survives a crash of the app).
    pub async fn open(path: &Path, durable: bool) -> sqlx::Result<Store> {
        let synchronous = if durable {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        crate::counters::upgrade(&pool).await?;
        Ok(Store { pool })
    }

    /// Applies a local edit and queues it for the server, atomically. Counters `data` leaves
    /// out keep their values; counters it holds are set, and the till's earlier increments
    /// of the record no longer show (the server applies them before the value set).
    pub async fn edit(
        &self,
        table: &str,
        id: &str,
        data: &Value,
        is_deleted: bool,
    ) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        let current: Option<(i64, String)> = sqlx::query_as(
            "SELECT sync_version, data FROM records WHERE table_name = ? AND record_id = ?",
        )
        .bind(table)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let base = current.as_ref().map(|(version, _)| *version);
        // The queue sends the data as the app wrote it: counters it leaves out stay the
        // server's; the local copy keeps the values it knows.
        let sent = data.to_string();
        let mut data = data.clone();
        if let (Some(table), Some((_, old))) = (possync_wire::registry::lookup(table), &current) {
            let old = serde_json::from_str(old).unwrap_or(Value::Null);
            crate::counters::set_by_value(&mut tx, table, id, &mut data, &old).await?;
        }
        sqlx::query(
            "INSERT INTO records (table_name, record_id, data, is_deleted, sync_version) VALUES (?, ?, ?, ?, 0) \
             ON CONFLICT (table_name, record_id) DO UPDATE SET data = excluded.data, is_deleted = excluded.is_deleted",
        )
        .bind(table)
        .bind(id)
        .bind(data.to_string())
        .bind(is_deleted)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (table_name, record_id, data, is_deleted, local_updated_at, base_version) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(table)
        .bind(id)
        .bind(sent)
        .bind(is_deleted)
        .bind(chrono::Utc::now().to_rfc3339())
        .bind(base.filter(|version| *version > 0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// The oldest queued edits, at most `limit`.
    pub async fn queued(&self, limit: u32) -> anyhow::Result<Vec<Queued>> {
        let rows: Vec<QueuedRow> = sqlx::query_as(
            "SELECT seq, table_name, record_id, data, is_deleted, local_updated_at, base_version, increments, edit_id \
             FROM outbox ORDER BY seq LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let local_updated_at = chrono::DateTime::parse_from_rfc3339(&row.local_updated_at)?;
                let record = PushRecord {
                    table_name: row.table_name,
                    record_id: row.record_id,
                    data: serde_json::from_str(&row.data)?,
                    local_updated_at: local_updated_at.with_timezone(&chrono::Utc),
                    is_deleted: row.is_deleted,
                    base_version: row.base_version.map(|b| b as u64),
                    increments: row
                        .increments
                        .as_deref()
                        .map(serde_json::from_str)
                        .transpose()?,
                    edit_id: row.edit_id,
                };
                Ok(Queued {
                    seq: row.seq,
                    record,
                })
            })
            .collect()
    }

    pub async fn pending(&self) -> sqlx::Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(count as u64)
    }

    /// How many edits the server refused for good.
    pub async fn rejected_count(&self) -> sqlx::Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rejected")
            .fetch_one(&self.pool)
            .await?;
        Ok(count as u64)
    }

    /// Drops pushed edits from the queue, keeping the refused ones in `rejected` and the
    /// increments taken, with the version that holds them, in `sent_increments`.
    pub async fn settle(
        &self,
        pushed: &[Queued],
        refused: &[(usize, String)],
        versions: &[SyncedVersion],
    ) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        crate::counters::sent(&mut tx, pushed, refused, versions).await?;
        for (index, message) in refused {
            if let Some(queued) = pushed.get(*index) {
                sqlx::query("INSERT OR REPLACE INTO rejected (seq, table_name, record_id, message) VALUES (?, ?, ?, ?)")
                    .bind(queued.seq)
                    .bind(&queued.record.table_name)
                    .bind(&queued.record.record_id)
                    .bind(message)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let (Some(first), Some(last)) = (pushed.first(), pushed.last()) {
            sqlx::query("DELETE FROM outbox WHERE seq BETWEEN ? AND ?")
                .bind(first.seq)
                .bind(last.seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    pub async fn rejected(&self) -> sqlx::Result<Vec<Rejected>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT table_name, record_id, message FROM rejected ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(table_name, record_id, message)| Rejected {
                table_name,
                record_id,
                message,
            })
            .collect())
    }

    /// Applies a server change unless the device holds that version or a newer one, or has
    /// an edit of the record's data still queued (its push decides first); queued increments
    /// show on top of it. Returns whether it applied.
    pub async fn apply(&self, change: &Change) -> sqlx::Result<bool> {
        let change = PulledChange::of(change).map_err(|err| sqlx::Error::Encode(Box::new(err)))?;
        let mut tx = self.pool.begin().await?;
        let applied = upsert(&mut tx, std::slice::from_ref(&change)).await?;
        tx.commit().await?;
        Ok(applied > 0)
    }

    /// Records that the server holds `version` of a record this device changed (the marker
    /// of its own change): the local copy is that version or newer. Never lowers a version.
    /// With increments in flight the copy moves only when the marker is theirs.
    pub async fn confirm(&self, table: &str, id: &str, version: u64) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        if crate::counters::own_version(&mut tx, table, id, version)
            .await?
            .is_some()
        {
            return tx.commit().await;
        }
        sqlx::query(
            "UPDATE records SET sync_version = ?3 WHERE table_name = ?1 AND record_id = ?2 AND sync_version < ?3",
        )
        .bind(table)
        .bind(id)
        .bind(version as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// A record as the app shows it: the local copy with this device's increments the copy
    /// does not hold yet.
    pub async fn record(&self, table: &str, id: &str) -> sqlx::Result<Option<LocalRecord>> {
        let row: Option<(String, String, String, bool, i64)> = sqlx::query_as(
            "SELECT table_name, record_id, data, is_deleted, sync_version FROM records WHERE table_name = ? AND record_id = ?",
        )
        .bind(table)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let record = row.map(
            |(table_name, record_id, data, is_deleted, version)| LocalRecord {
                table_name,
                record_id,
                data: serde_json::from_str(&data).unwrap_or(Value::Null),
                is_deleted,
                sync_version: version as u64,
            },
        );
        let only = Some((table, id));
        Ok(self
            .with_pending(record.into_iter().collect(), only)
            .await?
            .pop())
    }

    /// Every record as the app shows it, ordered, for comparisons with the server.
    pub async fn all(&self) -> sqlx::Result<Vec<LocalRecord>> {
        let rows: Vec<(String, String, String, bool, i64)> = sqlx::query_as(
            "SELECT table_name, record_id, data, is_deleted, sync_version FROM records ORDER BY table_name, record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let records = rows
            .into_iter()
            .map(
                |(table_name, record_id, data, is_deleted, version)| LocalRecord {
                    table_name,
                    record_id,
                    data: serde_json::from_str(&data).unwrap_or(Value::Null),
                    is_deleted,
                    sync_version: version as u64,
                },
            )
            .collect();
        self.with_pending(records, None).await
    }

    pub async fn meta(&self, key: &str) -> sqlx::Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn set_meta(&self, key: &str, value: Option<&str>) -> sqlx::Result<()> {
        let mut connection = self.pool.acquire().await?;
        write_meta(&mut connection, key, value).await
    }

    /// How many records the device holds per table (tombstones included).
    pub async fn record_counts(&self) -> sqlx::Result<BTreeMap<String, u64>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT table_name, COUNT(*) FROM records GROUP BY table_name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(table, count)| (table, count as u64))
            .collect())
    }
}

/// Sets (or with `None` removes) a meta value.
pub(crate) async fn write_meta(
    connection: &mut SqliteConnection,
    key: &str,
    value: Option<&str>,
) -> sqlx::Result<()> {
    match value {
        Some(value) => sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
            .bind(key)
            .bind(value),
        None => sqlx::query("DELETE FROM meta WHERE key = ?").bind(key),
    }
    .execute(connection)
    .await?;
    Ok(())
}
