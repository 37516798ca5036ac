//! Surviving a server that lost changes (a restore from a backup, a replica promoted after
//! its primary died): the server answers the device's cursor with 410 (a new epoch), and
//! the device reconciles.
//!
//! - Every edit the server acknowledged stays in `acknowledged` for [`REPLAY_WINDOW`]; a
//!   reconcile queues them again, so the server gets back the ones it lost. Pushed again,
//!   the ones it kept are recognised as retries (by their device, time and content, or their
//!   `edit_id`) and change nothing; one that another device's later edit overtook comes back
//!   as a conflict, never silently.
//! - The resync that follows replaces the copy: every record as the server has it whatever
//!   its version (versions may be reused), and the records the server no longer holds
//!   dropped (those in `unseen` when the resync reaches the head). Records with an edit
//!   still queued are left to their push.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::rows::{Queued, Reconcile};
use super::{write_meta, Store};

/// How long acknowledged edits are kept to be pushed again: a restore from a backup up to
/// this old gets them all back. Shorter than the server's queue retention (7 days, which
/// recognises a retry by its device) and its `edit_id` retention (30 days).
pub(crate) const REPLAY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// The outbox's columns of an edit, as `acknowledged` keeps them.
const EDIT_COLUMNS: &str =
    "table_name, record_id, data, is_deleted, local_updated_at, base_version, increments, edit_id";

/// Keys per statement: two parameters each.
const KEYS_PER_STATEMENT: usize = 500;

/// Set while a resync replaces the copy (it survives a restart of the app mid-resync).
const REPLACING: &str = "replacing";

/// Keeps the edits of `pushed` the server took (not `refused`) in `acknowledged`, and
/// forgets those older than [`REPLAY_WINDOW`]. Runs in the push's settling transaction,
/// before the edits leave the outbox.
pub(super) async fn keep_acknowledged(
    tx: &mut SqliteConnection,
    pushed: &[Queued],
    refused: &[(usize, String)],
) -> sqlx::Result<()> {
    let now = chrono::Utc::now();
    let taken: Vec<i64> = pushed
        .iter()
        .enumerate()
        .filter(|(index, _)| !refused.iter().any(|(refused, _)| refused == index))
        .map(|(_, queued)| queued.seq)
        .collect();
    if !taken.is_empty() {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "INSERT INTO acknowledged ({EDIT_COLUMNS}, acknowledged_at) SELECT {EDIT_COLUMNS}, "
        ));
        query
            .push_bind(now.to_rfc3339())
            .push(" FROM outbox WHERE seq IN (");
        let mut seqs = query.separated(", ");
        for seq in taken {
            seqs.push_bind(seq);
        }
        query.push(") ORDER BY seq");
        query.build().execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM acknowledged WHERE acknowledged_at < ?")
        .bind((now - REPLAY_WINDOW).to_rfc3339())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

impl Store {
    /// Starts a reconcile, atomically: queues the acknowledged edits again (oldest first),
    /// forgets the cursor and the increments' versions (the server's numbers start over),
    /// and notes every record held so the resync can drop what the server no longer has.
    pub(crate) async fn begin_reconcile(&self) -> sqlx::Result<Reconcile> {
        let mut tx = self.pool.begin().await?;
        let requeued = sqlx::query(&format!(
            "INSERT INTO outbox ({EDIT_COLUMNS}) SELECT {EDIT_COLUMNS} FROM acknowledged \
             WHERE acknowledged_at >= ? ORDER BY seq"
        ))
        .bind((chrono::Utc::now() - REPLAY_WINDOW).to_rfc3339())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        for statement in [
            "DELETE FROM acknowledged",
            "DELETE FROM sent_increments",
            "DELETE FROM unseen",
        ] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        let held = sqlx::query(
            "INSERT INTO unseen (table_name, record_id) SELECT table_name, record_id FROM records",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        write_meta(&mut tx, "cursor", None).await?;
        write_meta(&mut tx, REPLACING, Some("1")).await?;
        tx.commit().await?;
        Ok(Reconcile { requeued, held })
    }
}

/// Whether a resync is replacing the copy.
pub(super) async fn replacing(tx: &mut SqliteConnection) -> sqlx::Result<bool> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(REPLACING)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(value.is_some())
}

/// Marks the records of a replacing resync's page (table, id) as seen.
pub(super) async fn seen(tx: &mut SqliteConnection, keys: &[(&str, &str)]) -> sqlx::Result<()> {
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new("DELETE FROM unseen WHERE (table_name, record_id) IN (");
        query.push_values(chunk, |mut row, (table, id)| {
            row.push_bind(*table).push_bind(*id);
        });
        query.push(")");
        query.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Ends a replacing resync at the server's head: drops the records it never saw (but those
/// with an edit queued). Returns how many were dropped.
pub(super) async fn finish(tx: &mut SqliteConnection) -> sqlx::Result<u64> {
    let dropped = sqlx::query(
        "DELETE FROM records WHERE EXISTS (SELECT 1 FROM unseen u \
         WHERE u.table_name = records.table_name AND u.record_id = records.record_id) \
         AND NOT EXISTS (SELECT 1 FROM outbox o \
         WHERE o.table_name = records.table_name AND o.record_id = records.record_id)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM unseen").execute(&mut *tx).await?;
    write_meta(tx, REPLACING, None).await?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::page::tests::scratch_store;
    use crate::store::page::{PageEnd, PulledChange};

    #[tokio::test]
    async fn acknowledged_edits_in_the_window_are_queued_again_and_a_resync_drops_the_rest() {
        let (store, _files) = scratch_store().await;
        for (id, total) in [("kept", 1), ("refused", 2), ("old", 3), ("again", 4)] {
            store
                .edit("invoices", id, &json!({"total": total}), false)
                .await
                .unwrap();
        }
        let pushed = store.queued(10).await.unwrap();
        store
            .settle(&pushed, &[(1, "bad total".into())], &[])
            .await
            .unwrap();
        sqlx::query("UPDATE acknowledged SET acknowledged_at = '2020-01-01T00:00:00+00:00' WHERE record_id = 'old'")
            .execute(&store.pool)
            .await
            .unwrap();

        let reconcile = store.begin_reconcile().await.unwrap();

        assert_eq!(
            reconcile,
            Reconcile {
                requeued: 2,
                held: 4
            }
        );
        let queued: Vec<String> = store
            .queued(10)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.record.record_id)
            .collect();
        assert_eq!(
            queued,
            ["kept", "again"],
            "in their first order; refused and old ones not"
        );
        assert_eq!(store.meta("cursor").await.unwrap(), None);
        // The server's copy holds `again` only: `kept` waits in the queue, the rest goes.
        let page = [PulledChange {
            table_name: "invoices".into(),
            record_id: "again".into(),
            data: serde_json::value::RawValue::from_string(r#"{"total": 4}"#.into()).unwrap(),
            is_deleted: false,
            sync_version: 1,
        }];
        let end = PageEnd {
            cursor: Some("c1"),
            scope: "*",
            first_sync_done: true,
            complete: true,
        };
        store.apply_page(&page, &end).await.unwrap();
        let mut held: Vec<String> = store
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.record_id)
            .collect();
        held.sort();
        assert_eq!(held, ["again", "kept"]);
        let mut tx = store.pool.begin().await.unwrap();
        assert!(!replacing(&mut tx).await.unwrap(), "the resync is over");
        drop(tx);
        store.pool.close().await;
    }
}
