//! The local copy of the server's records: server changes, the markers of this device's own
//! changes, and reads as the app shows them (increments in flight on top).

use possync_wire::sync::Change;

use super::counters;
use super::page::{upsert, Overwrite, PulledChange};
use super::rows::{LocalRecord, RecordRow};
use super::Store;

impl Store {
    /// Applies a server change unless the device holds that version or a newer one, or has
    /// an edit of the record's data still queued (its push decides first); queued increments
    /// show on top of it. Returns whether it applied.
    pub async fn apply(&self, change: &Change) -> sqlx::Result<bool> {
        let change = PulledChange::of(change).map_err(|err| sqlx::Error::Encode(Box::new(err)))?;
        let mut tx = self.pool.begin().await?;
        let applied = upsert(&mut tx, std::slice::from_ref(&change), Overwrite::Newer).await?;
        tx.commit().await?;
        Ok(applied > 0)
    }

    /// Records that the server holds `version` of a record this device changed (the marker
    /// of its own change): the local copy is that version or newer. Never lowers a version.
    /// With increments in flight the copy moves only when the marker is theirs.
    pub async fn confirm(&self, table: &str, id: &str, version: u64) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        if counters::own_version(&mut tx, table, id, version)
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
        let row: Option<RecordRow> = sqlx::query_as(
            "SELECT table_name, record_id, data, is_deleted, sync_version FROM records WHERE table_name = ? AND record_id = ?",
        )
        .bind(table)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let record = row.map(LocalRecord::from);
        let only = Some((table, id));
        let records = counters::with_pending(&self.pool, record.into_iter().collect(), only);
        Ok(records.await?.pop())
    }

    /// Every record as the app shows it, ordered, for comparisons with the server.
    pub async fn all(&self) -> sqlx::Result<Vec<LocalRecord>> {
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT table_name, record_id, data, is_deleted, sync_version FROM records ORDER BY table_name, record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let records = rows.into_iter().map(LocalRecord::from).collect();
        counters::with_pending(&self.pool, records, None).await
    }
}
