//! Proving the local copy equals the server's: after a pull to the server's head, the
//! copy's checksum per table is compared with `GET /api/sync/checksums`, and a table that
//! differs is pulled whole and replaced.

use std::time::Instant;

use possync_wire::checksums::{ChecksumsResponse, Sum};
use reqwest::Method;

use crate::client::Client;
use crate::store::page::Page;
use crate::store::Replaced;

/// Pulls and checks before a busy scope's verification gives up until the next one.
const TRIES: usize = 3;

/// What [`Client::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Every table the device pulls equals the server's.
    Equal { tables: usize },
    /// These tables differed and were replaced by the server's copy.
    Repaired { tables: Vec<(String, Replaced)> },
    /// Not compared: edits wait to be pushed, so the copy is ahead of the server.
    PendingEdits,
    /// Not compared: the scope changed after every one of the pulls (a busy shop); the
    /// next verification tries again.
    KeptChanging,
}

impl Client {
    /// Whether [`Client::sync`] verifies now; if so, the time is taken.
    pub(crate) fn verification_due(&self) -> bool {
        let Some(every) = self.inner.pull.verify_every else {
            return false;
        };
        let mut verified_at = self.inner.verified_at.lock().expect("verified_at lock");
        let due = verified_at.is_none_or(|at| at.elapsed() >= every);
        if due {
            *verified_at = Some(Instant::now());
        }
        due
    }

    /// Pulls to the server's head, compares the copy's checksums with the server's and
    /// replaces the tables that differ. Takes its turn with pushes and pulls.
    pub async fn verify(&self) -> anyhow::Result<Verified> {
        let _turn = self.inner.exchange.lock().await;
        let store = &self.inner.store;
        if store.pending().await? > 0 {
            return Ok(Verified::PendingEdits);
        }
        let options = &self.inner.pull;
        for _ in 0..TRIES {
            self.pull_in_turn().await?;
            let cursor = store.pull_start(&options.cursor_scope()).await?.cursor;
            let mut path = "/api/sync/checksums".to_owned();
            if let Some(cursor) = &cursor {
                path.push_str(&format!("?cursor={cursor}"));
            }
            let server: ChecksumsResponse = self.authed(Method::GET, &path, None::<&()>).await?;
            if server.changed_since_cursor != Some(false) {
                continue;
            }
            let local = store.checksums().await?;
            let pulled: Vec<_> = server
                .tables
                .iter()
                .filter(|table| options.keeps(&table.table_name))
                .collect();
            let differing: Vec<&str> = pulled
                .iter()
                .filter(|table| {
                    let held = local.get(&table.table_name).copied().unwrap_or_default();
                    held != Sum {
                        checksum: table.checksum,
                        record_count: table.record_count,
                    }
                })
                .map(|table| table.table_name.as_str())
                .collect();
            if differing.is_empty() {
                return Ok(Verified::Equal {
                    tables: pulled.len(),
                });
            }
            let mut repaired = Vec::new();
            for table in differing {
                tracing::warn!(
                    table,
                    "checksum differs from the server's; pulling the table whole"
                );
                repaired.push((table.to_owned(), self.repair(table).await?));
            }
            return Ok(Verified::Repaired { tables: repaired });
        }
        Ok(Verified::KeptChanging)
    }

    /// Pulls `table` from scratch and makes the local copy of it the server's.
    async fn repair(&self, table: &str) -> anyhow::Result<Replaced> {
        let limit = self.inner.pull.catch_up_page;
        let mut records = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/sync/pull-changes?tables={table}&limit={limit}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page: Page = self.authed(Method::GET, &path, None::<&()>).await?;
            records.extend(page.changes);
            cursor = page.next_cursor.or(cursor);
            if !page.has_more {
                break;
            }
        }
        Ok(self.inner.store.replace_table(table, &records).await?)
    }
}
