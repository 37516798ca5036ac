//! Pulls: from the stored cursor to the server's head, page after page; large pages while
//! catching up, each stored with the cursor after it in one local transaction while the next
//! one is fetched, and the progress of the catch-up for the app.

use std::sync::atomic::Ordering;

use reqwest::{Method, StatusCode};

use crate::client::Client;
use crate::http::CallError;
use crate::options::ALL_TABLES;
use crate::progress::SyncProgress;
use crate::store::page::{Page, PageEnd};
use crate::store::Store;

/// Where the next pull starts, as the store says.
pub(crate) struct PullStart {
    pub cursor: Option<String>,
    pub first_sync_done: bool,
}

impl Store {
    /// The stored cursor and first-sync flag, if they belong to `scope` (a cursor pulled
    /// with other tables would leave gaps); otherwise a start from scratch.
    pub(crate) async fn pull_start(&self, scope: &str) -> sqlx::Result<PullStart> {
        let stored = self.meta("cursor_tables").await?;
        if stored.as_deref().unwrap_or(ALL_TABLES) != scope {
            return Ok(PullStart {
                cursor: None,
                first_sync_done: false,
            });
        }
        Ok(PullStart {
            cursor: self.meta("cursor").await?,
            first_sync_done: self.meta("first_sync_done").await?.as_deref() == Some("1"),
        })
    }
}

fn gone(err: &anyhow::Error) -> bool {
    err.downcast_ref::<CallError>().and_then(CallError::status) == Some(StatusCode::GONE)
}

impl Client {
    /// Catch-up progress: changes pulled so far, whether a first sync has completed, and
    /// whether a pull is catching up.
    pub fn progress(&self) -> tokio::sync::watch::Receiver<SyncProgress> {
        self.inner.progress.subscribe()
    }

    /// Pulls every change from the stored cursor; a cursor the server cannot serve (410)
    /// starts a reconcile (`store::reconcile`): the edits it acknowledged are pushed again
    /// and a full resync replaces the copy. Returns how many changes were applied.
    pub async fn pull(&self) -> anyhow::Result<u64> {
        let _turn = self.inner.exchange.lock().await;
        self.inner.pulls.fetch_add(1, Ordering::Relaxed);
        self.pull_in_turn().await
    }

    /// The pages of [`Client::pull`] for a caller that holds the exchange's turn (not
    /// counted in [`Client::pulls`]).
    pub(crate) async fn pull_in_turn(&self) -> anyhow::Result<u64> {
        let result = self.pull_pages().await;
        self.inner
            .progress
            .send_if_modified(|p| std::mem::replace(&mut p.catching_up, false));
        result
    }

    /// The stored start of a pull, announced as a new pull's progress.
    async fn begin(&self, scope: &str) -> sqlx::Result<PullStart> {
        let start = self.inner.store.pull_start(scope).await?;
        self.inner.progress.send_replace(SyncProgress {
            pulled: 0,
            first_sync_done: start.first_sync_done,
            catching_up: start.cursor.is_none(),
        });
        Ok(start)
    }

    async fn pull_pages(&self) -> anyhow::Result<u64> {
        let (options, store) = (&self.inner.pull, &self.inner.store);
        let scope = options.cursor_scope();
        let mut start = self.begin(&scope).await?;
        let first_limit = match start.cursor {
            None => options.catch_up_page,
            Some(_) => options.page,
        };
        let mut fetched = self
            .fetch_page(start.cursor.as_deref(), first_limit)
            .await?;
        let mut applied = 0;
        loop {
            let Some(mut page) = fetched else {
                // The server lost changes (a restore, a promoted replica) or compacted them:
                // what it acknowledged and lost goes back to it, then the copy becomes its.
                let reconcile = store.begin_reconcile().await?;
                tracing::warn!(
                    requeued = reconcile.requeued,
                    held = reconcile.held,
                    "cursor refused; pushing acknowledged edits again and resyncing from scratch"
                );
                self.refresh_pending().await?;
                self.push_in_turn().await?;
                start.cursor = None;
                self.report_page(0, start.first_sync_done, true);
                fetched = self.fetch_page(None, options.catch_up_page).await?;
                continue;
            };
            start.cursor = page.next_cursor.take().or(start.cursor);
            start.first_sync_done |= !page.has_more;
            let end = PageEnd {
                cursor: start.cursor.as_deref(),
                scope: &scope,
                first_sync_done: start.first_sync_done,
                complete: !page.has_more,
            };
            let stored = store.apply_page(&page.changes, &end);
            if !page.has_more {
                applied += stored.await?;
                self.report_page(page.changes.len(), start.first_sync_done, false);
                return Ok(applied);
            }
            // While this page is stored, the next one is on its way.
            let next = self.fetch_page(start.cursor.as_deref(), options.catch_up_page);
            let (stored, next) = tokio::join!(stored, next);
            applied += stored?;
            self.report_page(page.changes.len(), start.first_sync_done, true);
            fetched = next?;
        }
    }

    fn report_page(&self, changes: usize, first_sync_done: bool, catching_up: bool) {
        self.inner.progress.send_modify(|progress| {
            progress.pulled += changes as u64;
            progress.first_sync_done = first_sync_done;
            progress.catching_up = catching_up;
        });
    }

    /// The page after `cursor`; `None` when the server no longer serves the cursor (410).
    async fn fetch_page(&self, cursor: Option<&str>, limit: u32) -> anyhow::Result<Option<Page>> {
        let mut path = format!("/api/sync/pull-changes?limit={limit}");
        if let Some(tables) = self.inner.pull.tables_param() {
            path.push_str(&format!("&tables={tables}"));
        }
        if let Some(cursor) = cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        match self.authed(Method::GET, &path, None::<&()>).await {
            Err(err) if cursor.is_some() && gone(&err) => Ok(None),
            other => other.map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::page::tests::scratch_store;

    #[tokio::test]
    async fn a_cursor_pulled_with_other_tables_is_not_a_start() {
        let (store, _files) = scratch_store().await;
        for (key, value) in [
            ("cursor", "c9"),
            ("cursor_tables", "invoices"),
            ("first_sync_done", "1"),
        ] {
            store.set_meta(key, Some(value)).await.unwrap();
        }

        let same = store.pull_start("invoices").await.unwrap();
        let other = store.pull_start("invoices,products").await.unwrap();
        let all = store.pull_start("*").await.unwrap();

        assert_eq!(
            (same.cursor.as_deref(), same.first_sync_done),
            (Some("c9"), true)
        );
        assert_eq!((other.cursor, other.first_sync_done), (None, false));
        assert_eq!((all.cursor, all.first_sync_done), (None, false));
        store.pool.close().await;
    }

    #[tokio::test]
    async fn a_store_from_before_subsets_keeps_its_cursor_for_every_table() {
        let (store, _files) = scratch_store().await;
        store.set_meta("cursor", Some("c3")).await.unwrap();

        let start = store.pull_start("*").await.unwrap();

        assert_eq!(start.cursor.as_deref(), Some("c3"));
        store.pool.close().await;
    }
}
