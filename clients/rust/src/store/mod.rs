//! The device's local store (SQLite): its copy of the records, the queue of edits not yet
//! pushed, edits the server refused, and the pull cursor (with the tables it belongs to and
//! whether a first sync completed). Everything survives a restart.
//!
//! - [`rows`]: what the store hands out (records, queued and refused edits).
//! - `queue`: local edits and increments and the queue that pushes them; `copies`: the
//!   local copy of the server's records (changes, markers, reads); `page`: a pull page read
//!   lean and stored in one transaction; `counters`: increments shown on top of copies.
//! - `checks`: checksums and a table replaced; `reconcile`: acknowledged edits kept to push
//!   again and a resync that replaces the copy, after the server lost changes.
//!
//! Every SQL statement of the device is in this module.

mod checks;
mod copies;
mod counters;
pub(crate) mod page;
mod queue;
mod reconcile;
pub mod rows;

pub use rows::{LocalRecord, Queued, Reconcile, Rejected, Replaced};

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::SqliteConnection;

const SCHEMA: [&str; 9] = [
    "CREATE TABLE IF NOT EXISTS records (table_name TEXT NOT NULL, record_id TEXT NOT NULL, data TEXT NOT NULL, \
     is_deleted INTEGER NOT NULL, sync_version INTEGER NOT NULL, PRIMARY KEY (table_name, record_id))",
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, \
     record_id TEXT NOT NULL, data TEXT NOT NULL, is_deleted INTEGER NOT NULL, local_updated_at TEXT NOT NULL, \
     base_version INTEGER, increments TEXT, edit_id TEXT, counted INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE IF NOT EXISTS sent_increments (edit_id TEXT PRIMARY KEY, table_name TEXT NOT NULL, \
     record_id TEXT NOT NULL, increments TEXT NOT NULL, version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, table_name TEXT NOT NULL, record_id TEXT NOT NULL, message TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    // `reconcile`: edits the server took, to push again after it lost them; the records a
    // replacing resync has not seen yet.
    "CREATE TABLE IF NOT EXISTS acknowledged (seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, \
     record_id TEXT NOT NULL, data TEXT NOT NULL, is_deleted INTEGER NOT NULL, local_updated_at TEXT NOT NULL, \
     base_version INTEGER, increments TEXT, edit_id TEXT, acknowledged_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS acknowledged_by_time ON acknowledged (acknowledged_at)",
    "CREATE TABLE IF NOT EXISTS unseen (table_name TEXT NOT NULL, record_id TEXT NOT NULL, \
     PRIMARY KEY (table_name, record_id)) WITHOUT ROWID",
    // A pulled change looks for a queued edit of its record.
    "CREATE INDEX IF NOT EXISTS outbox_by_record ON outbox (table_name, record_id)",
];

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
        counters::upgrade(&pool).await?;
        Ok(Store { pool })
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
