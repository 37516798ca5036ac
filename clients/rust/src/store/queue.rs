//! Local edits and increments, and the queue that pushes them: what the server took
//! leaves it, what it refused moves to `rejected`.

use possync_wire::sync::{PushRecord, SyncedVersion};
use serde_json::Value;

use super::rows::{Queued, QueuedRow, Rejected};
use super::Store;
use super::{counters, reconcile};

impl Store {
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
            counters::set_by_value(&mut tx, table, id, &mut data, &old).await?;
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

    /// Queues `increments` of a record the device holds, as the edit `edit_id`.
    pub async fn increment(
        &self,
        table: &str,
        id: &str,
        increments: &Value,
        edit_id: &str,
    ) -> anyhow::Result<()> {
        counters::queue_increment(&self.pool, table, id, increments, edit_id).await
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

    /// Drops pushed edits from the queue, keeping the refused ones in `rejected`, the
    /// increments taken, with the version that holds them, in `sent_increments`, and every
    /// edit taken in `acknowledged` (`reconcile`).
    pub async fn settle(
        &self,
        pushed: &[Queued],
        refused: &[(usize, String)],
        versions: &[SyncedVersion],
    ) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        counters::sent(&mut tx, pushed, refused, versions).await?;
        reconcile::keep_acknowledged(&mut tx, pushed, refused).await?;
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
}
