//! A pull page as the device reads it, and storing it: the page's records and the cursor
//! after them in one local transaction, written by multi-row upserts. Each record's data
//! stays the server's JSON text (never parsed into values and written out again).

use possync_wire::sync::Change;
use serde::Deserialize;
use serde_json::value::RawValue;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{counters, reconcile, write_meta, Store};

/// `GET /api/sync/pull-changes` as the device needs it.
#[derive(Debug, Deserialize)]
pub(crate) struct Page {
    pub changes: Vec<PulledChange>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

/// One change of a page: what the local copy keeps of it.
#[derive(Debug, Deserialize)]
pub(crate) struct PulledChange {
    pub table_name: String,
    pub record_id: String,
    pub data: Box<RawValue>,
    pub is_deleted: bool,
    pub sync_version: u64,
}

impl PulledChange {
    pub(crate) fn of(change: &Change) -> serde_json::Result<PulledChange> {
        Ok(PulledChange {
            table_name: change.table_name.clone(),
            record_id: change.record_id.clone(),
            data: serde_json::value::to_raw_value(&change.data)?,
            is_deleted: change.is_deleted,
            sync_version: change.sync_version,
        })
    }
}

/// Where a stored page leaves the pull, written with its records.
pub(crate) struct PageEnd<'a> {
    /// The cursor after the page (`None`: no cursor yet).
    pub cursor: Option<&'a str>,
    /// The tables the cursor belongs to ([`crate::PullOptions`]' cursor scope).
    pub scope: &'a str,
    pub first_sync_done: bool,
    /// The page reached the server's head (`has_more` false).
    pub complete: bool,
}

/// Rows per statement: five parameters each, far below SQLite's 32,766.
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Applies a page's changes as [`Store::apply`] does each, and moves the cursor past
    /// them, atomically; in a replacing resync (`reconcile`) whatever their versions, and
    /// its last page drops what the server no longer holds. Returns how many applied.
    pub(crate) async fn apply_page(
        &self,
        changes: &[PulledChange],
        end: &PageEnd<'_>,
    ) -> sqlx::Result<u64> {
        let mut tx = self.pool.begin().await?;
        let replacing = reconcile::replacing(&mut tx).await?;
        let overwrite = if replacing {
            Overwrite::Always
        } else {
            Overwrite::Newer
        };
        let applied = upsert(&mut tx, changes, overwrite).await?;
        if replacing {
            let keys: Vec<(&str, &str)> = changes
                .iter()
                .map(|c| (c.table_name.as_str(), c.record_id.as_str()))
                .collect();
            reconcile::seen(&mut tx, &keys).await?;
            if end.complete {
                let dropped = reconcile::finish(&mut tx).await?;
                tracing::info!(dropped, "resync replaced the copy with the server's");
            }
        }
        let done = if end.first_sync_done { "1" } else { "0" };
        for (key, value) in [
            ("cursor", end.cursor),
            ("cursor_tables", Some(end.scope)),
            ("first_sync_done", Some(done)),
        ] {
            write_meta(&mut tx, key, value).await?;
        }
        tx.commit().await?;
        Ok(applied)
    }
}

/// Which server changes overwrite the device's copy of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overwrite {
    /// Only a newer version than the copy's: pulls and events.
    Newer,
    /// Any version: a table repaired after its checksum differed, a resync after the server
    /// lost changes (a copy of a version the server no longer holds is replaced by the
    /// server's).
    Always,
}

/// Writes server changes unless `overwrite` keeps the device's copy (a copy equal to the
/// change is never written again), or the device has an edit of the record's data still
/// queued (its push decides first); then drops the sent increments the copies now hold.
/// Returns how many were written.
pub(crate) async fn upsert(
    tx: &mut SqliteConnection,
    changes: &[PulledChange],
    overwrite: Overwrite,
) -> sqlx::Result<u64> {
    let mut applied = 0;
    for chunk in changes.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO records (table_name, record_id, data, is_deleted, sync_version) \
             SELECT column1, column2, column3, column4, column5 FROM (",
        );
        query.push_values(chunk, |mut row, change| {
            row.push_bind(change.table_name.as_str())
                .push_bind(change.record_id.as_str())
                .push_bind(change.data.get())
                .push_bind(change.is_deleted)
                .push_bind(change.sync_version as i64);
        });
        query.push(
            ") AS page WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.table_name = page.column1 \
             AND outbox.record_id = page.column2 AND outbox.increments IS NULL) \
             ON CONFLICT (table_name, record_id) DO UPDATE SET data = excluded.data, \
             is_deleted = excluded.is_deleted, sync_version = excluded.sync_version",
        );
        query.push(match overwrite {
            Overwrite::Newer => " WHERE excluded.sync_version > records.sync_version",
            Overwrite::Always => {
                " WHERE excluded.sync_version != records.sync_version \
                 OR excluded.data != records.data OR excluded.is_deleted != records.is_deleted"
            }
        });
        applied += query.build().execute(&mut *tx).await?.rows_affected();
    }
    counters::drop_held(tx).await?;
    Ok(applied)
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    /// A store's files, removed when dropped.
    pub(crate) struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    pub(crate) async fn scratch_store() -> (Store, Scratch) {
        let name = format!("possync-page-{}", uuid::Uuid::new_v4().simple());
        let path = std::env::temp_dir().join(name);
        (Store::open(&path, false).await.unwrap(), Scratch(path))
    }

    fn change(id: &str, version: u64, data: &str) -> PulledChange {
        PulledChange {
            table_name: "invoices".into(),
            record_id: id.into(),
            data: RawValue::from_string(data.into()).unwrap(),
            is_deleted: false,
            sync_version: version,
        }
    }

    #[tokio::test]
    async fn a_page_writes_newer_versions_spares_queued_edits_and_moves_the_cursor_with_them() {
        let (store, _files) = scratch_store().await;
        let first = [
            change("a", 2, r#"{"total": 1}"#),
            change("b", 1, r#"{"total": 2}"#),
        ];
        let end = PageEnd {
            cursor: Some("c1"),
            scope: "invoices",
            first_sync_done: false,
            complete: false,
        };
        assert_eq!(store.apply_page(&first, &end).await.unwrap(), 2);
        store
            .edit("invoices", "b", &json!({"total": 5}), false)
            .await
            .unwrap();
        let second = [
            change("a", 1, r#"{"total": 0}"#),
            change("b", 2, r#"{"total": 3}"#),
            change("c", 4, r#"{"total": 4}"#),
        ];
        let end = PageEnd {
            cursor: Some("c2"),
            scope: "invoices",
            first_sync_done: true,
            complete: true,
        };

        let applied = store.apply_page(&second, &end).await.unwrap();

        assert_eq!(applied, 1, "only c: a is older, b has a queued edit");
        let total = |id: &'static str| {
            let store = store.clone();
            async move { store.record("invoices", id).await.unwrap().unwrap().data["total"].clone() }
        };
        assert_eq!(
            (total("a").await, total("b").await, total("c").await),
            (json!(1), json!(5), json!(4))
        );
        assert_eq!(store.meta("cursor").await.unwrap().as_deref(), Some("c2"));
        assert_eq!(
            store.meta("first_sync_done").await.unwrap().as_deref(),
            Some("1")
        );
        store.pool.close().await;
    }

    #[tokio::test]
    async fn a_page_larger_than_one_statement_is_stored_whole() {
        let (store, _files) = scratch_store().await;
        let page: Vec<PulledChange> = (0..1_234)
            .map(|i| change(&format!("r{i}"), 1, &format!(r#"{{"total": {i}}}"#)))
            .collect();
        let end = PageEnd {
            cursor: None,
            scope: "*",
            first_sync_done: true,
            complete: true,
        };

        assert_eq!(store.apply_page(&page, &end).await.unwrap(), 1_234);
        assert_eq!(store.record_counts().await.unwrap()["invoices"], 1_234);
        assert_eq!(store.meta("cursor").await.unwrap(), None);
        store.pool.close().await;
    }
}
