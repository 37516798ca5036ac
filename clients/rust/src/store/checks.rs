//! The local copy's checksums per table (`possync_wire::checksums`), and a table replaced
//! by the server's copy when they differ.

use std::collections::{BTreeMap, HashSet};

use futures::TryStreamExt;
use possync_wire::checksums::Sum;
use sqlx::{QueryBuilder, Sqlite};

use super::page::{upsert, Overwrite, PulledChange};
use super::rows::Replaced;
use super::Store;

/// Ids per `DELETE` statement.
const IDS_PER_STATEMENT: usize = 500;

impl Store {
    /// Records (tombstones included) and checksum per table of the local copy.
    pub async fn checksums(&self) -> sqlx::Result<BTreeMap<String, Sum>> {
        let mut sums: BTreeMap<String, Sum> = BTreeMap::new();
        let mut rows = sqlx::query_as::<_, (String, String, i64, bool)>(
            "SELECT table_name, record_id, sync_version, is_deleted FROM records",
        )
        .fetch(&self.pool);
        while let Some((table, id, version, deleted)) = rows.try_next().await? {
            sums.entry(table)
                .or_default()
                .add(&id, version as u64, deleted);
        }
        Ok(sums)
    }

    /// Makes the local copy of `table` the server's `records` (the whole table in the
    /// device's scope): every record written whatever its version, records the server does
    /// not hold dropped. Records with an edit still queued are left to their push.
    pub(crate) async fn replace_table(
        &self,
        table: &str,
        records: &[PulledChange],
    ) -> sqlx::Result<Replaced> {
        let mut tx = self.pool.begin().await?;
        let held: HashSet<&str> = records.iter().map(|r| r.record_id.as_str()).collect();
        let local: Vec<String> =
            sqlx::query_scalar("SELECT record_id FROM records WHERE table_name = ?")
                .bind(table)
                .fetch_all(&mut *tx)
                .await?;
        let gone: Vec<&String> = local
            .iter()
            .filter(|id| !held.contains(id.as_str()))
            .collect();
        let mut dropped = 0;
        for chunk in gone.chunks(IDS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM records WHERE table_name = ");
            query.push_bind(table).push(" AND record_id IN (");
            let mut ids = query.separated(", ");
            for id in chunk {
                ids.push_bind(id.as_str());
            }
            query.push(
                ") AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.table_name = records.table_name \
                 AND outbox.record_id = records.record_id)",
            );
            dropped += query.build().execute(&mut *tx).await?.rows_affected();
        }
        let written = upsert(&mut tx, records, Overwrite::Always).await?;
        tx.commit().await?;
        Ok(Replaced { written, dropped })
    }
}
