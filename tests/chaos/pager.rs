//! Cursor exactness page by page: a device per room that pulls small pages all run long
//! through the balancer, records each page (the positions its cursors name and the record
//! versions it held), and after the run checks every page against the change history
//! (`sync_queue`, which keeps every change of the run with its position):
//! - each change of a page sits after the page's cursor and at or before its next cursor;
//! - every change at a position the page covers is in the page (in that version or a later
//!   one), or its record changed again after the page's next cursor (a later page brings it).
//!
//! A position committed after a page was read but below its next cursor would break the
//! second rule: a device paging with that cursor would never see the change.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sqlx::{MySqlPool, Row};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::session::Session;
use crate::tenants::{self, Shop};

/// Changes a page asks for: small, so that pages end mid-write under load.
const PAGE_LIMIT: usize = 20;

/// A record by table and id.
type Key = (String, String);

/// One page as a device received it.
#[derive(Debug)]
pub struct Page {
    pub client_id: u64,
    pub branch_id: u64,
    /// The positions of the cursor sent (0 without one) and of the next cursor.
    pub after: u64,
    pub until: u64,
    pub changes: Vec<(Key, u64)>,
}

/// The position a cursor names (`v1.<epoch>.<position>.<floor>`, URL-safe base64).
fn position_of(cursor: &str) -> Option<u64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.split('.').nth(2)?.parse().ok()
}

/// Starts a paging device for each of `rooms`, logged in as its branch's cashier.
pub async fn start(
    shops: &[Shop],
    rooms: &HashSet<(u64, u64)>,
    http: &reqwest::Client,
    api_url: &str,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<Vec<Page>>>> {
    let mut paging = Vec::new();
    for shop in shops {
        for (b, &branch) in shop.branches.iter().enumerate() {
            let room = (shop.client_id, branch);
            if rooms.contains(&room) {
                let session =
                    Session::login(http.clone(), api_url, &shop.cashier(b), tenants::PASSWORD)
                        .await?;
                let pages = run(
                    http.clone(),
                    api_url.to_owned(),
                    session,
                    room,
                    stop.clone(),
                );
                paging.push(tokio::spawn(pages));
            }
        }
    }
    Ok(paging)
}

/// Pulls page after page until `stop`, from scratch; waits a little at the head and after
/// a failed request (a fault).
pub async fn run(
    http: reqwest::Client,
    api_url: String,
    session: Arc<Session>,
    (client_id, branch_id): (u64, u64),
    stop: CancellationToken,
) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    while !stop.is_cancelled() {
        let mut url = format!("{api_url}/api/sync/pull-changes?limit={PAGE_LIMIT}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let answer = http
            .get(url)
            .bearer_auth(session.token())
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        let body: Option<Value> = match answer {
            Ok(answer) if answer.status().is_success() => answer.json().await.ok(),
            // A new epoch (a failover): from scratch, as a device does.
            Ok(answer) if answer.status() == reqwest::StatusCode::GONE => {
                cursor = None;
                continue;
            }
            _ => None,
        };
        let Some(body) = body else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let next = body["next_cursor"].as_str().map(str::to_owned);
        let changes = body["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|change| {
                let key = (
                    change["table_name"].as_str()?.to_owned(),
                    change["record_id"].as_str()?.to_owned(),
                );
                Some((key, change["sync_version"].as_u64()?))
            })
            .collect();
        if let Some(until) = next.as_deref().and_then(position_of) {
            pages.push(Page {
                client_id,
                branch_id,
                after: cursor.as_deref().and_then(position_of).unwrap_or(0),
                until,
                changes,
            });
            cursor = next;
        }
        if body["has_more"] != Value::Bool(true) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    pages
}

/// One change of the history: its record, version and position.
struct Change {
    key: Key,
    version: u64,
    position: u64,
}

/// A room's changes in position order, with where each version and each record sits.
struct History {
    changes: Vec<Change>,
    position: HashMap<(Key, u64), u64>,
    last_position: HashMap<Key, u64>,
}

impl History {
    async fn of(pool: &MySqlPool, (client_id, branch_id): (u64, u64)) -> anyhow::Result<History> {
        // What a room's device sees: its branch and the shared tables (scope 0).
        let rows = sqlx::query(
            "SELECT CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id, \
             sync_version, position FROM sync_queue \
             WHERE client_id = ? AND branch_scope IN (?, 0) ORDER BY position",
        )
        .bind(client_id)
        .bind(branch_id)
        .fetch_all(pool)
        .await?;
        let changes = rows
            .iter()
            .map(|row| {
                Ok(Change {
                    key: (row.try_get("table_name")?, row.try_get("record_id")?),
                    version: row.try_get("sync_version")?,
                    position: row.try_get("position")?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(History::from(changes))
    }

    /// A history of `changes` in position order.
    fn from(changes: Vec<Change>) -> History {
        let mut position = HashMap::new();
        let mut last_position = HashMap::new();
        for change in &changes {
            position.insert((change.key.clone(), change.version), change.position);
            last_position.insert(change.key.clone(), change.position);
        }
        History {
            changes,
            position,
            last_position,
        }
    }

    /// The changes at positions in `(after, until]`.
    fn between(&self, after: u64, until: u64) -> &[Change] {
        let from = self.changes.partition_point(|c| c.position <= after);
        let to = self.changes.partition_point(|c| c.position <= until);
        &self.changes[from..to.max(from)]
    }
}

/// What the check found: descriptions of the rules broken (the first few), and how many
/// pages and covered changes it checked.
pub struct Checked {
    pub broken: Vec<String>,
    pub pages: usize,
    pub changes: usize,
}

pub async fn check(pool: &MySqlPool, pages: &[Page]) -> anyhow::Result<Checked> {
    let mut checked = Checked {
        broken: Vec::new(),
        pages: pages.len(),
        changes: 0,
    };
    let mut histories: HashMap<(u64, u64), History> = HashMap::new();
    for page in pages {
        let room = (page.client_id, page.branch_id);
        if let Entry::Vacant(slot) = histories.entry(room) {
            slot.insert(History::of(pool, room).await?);
        }
        check_page(&histories[&room], page, &mut checked);
    }
    Ok(checked)
}

fn check_page(history: &History, page: &Page, checked: &mut Checked) {
    let room = (page.client_id, page.branch_id);
    let mut held: HashMap<&Key, u64> = HashMap::new();
    for (key, version) in &page.changes {
        match history.position.get(&(key.clone(), *version)) {
            Some(&at) if at > page.after && at <= page.until => {
                held.insert(key, at);
            }
            Some(&at) => checked.broken.push(format!(
                "{key:?} v{version} at {at} outside the page ({}, {}] of room {room:?}",
                page.after, page.until
            )),
            None => checked.broken.push(format!(
                "{key:?} v{version} is in no change of room {room:?}"
            )),
        }
    }
    let mut missed = HashSet::new();
    for change in history.between(page.after, page.until) {
        checked.changes += 1;
        let in_page = held
            .get(&change.key)
            .is_some_and(|&at| at >= change.position);
        let later = history.last_position[&change.key] > page.until;
        if !in_page && !later && missed.insert(&change.key) {
            checked.broken.push(format!(
                "{:?} v{} at {} is missing from the page ({}, {}] of room {room:?}",
                change.key, change.version, change.position, page.after, page.until
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> Key {
        ("invoices".to_owned(), id.to_owned())
    }

    fn history(changes: &[(&str, u64, u64)]) -> History {
        History::from(
            changes
                .iter()
                .map(|&(id, version, position)| Change {
                    key: key(id),
                    version,
                    position,
                })
                .collect(),
        )
    }

    fn page(after: u64, until: u64, changes: &[(&str, u64)]) -> Page {
        Page {
            client_id: 1,
            branch_id: 1,
            after,
            until,
            changes: changes.iter().map(|&(id, v)| (key(id), v)).collect(),
        }
    }

    fn broken(history: &History, page: &Page) -> Vec<String> {
        let mut checked = Checked {
            broken: Vec::new(),
            pages: 1,
            changes: 0,
        };
        check_page(history, page, &mut checked);
        checked.broken
    }

    #[test]
    fn a_page_with_every_change_it_covers_is_exact() {
        // a at 1, b at 2, a again at 3: a page of (0, 3] holds a v2 and b v1.
        let history = history(&[("a", 1, 1), ("b", 1, 2), ("a", 2, 3)]);
        assert!(broken(&history, &page(0, 3, &[("b", 1), ("a", 2)])).is_empty());
        // A page of (0, 2] read before a changed again holds a v1; a's change at 3 is later.
        assert!(broken(&history, &page(0, 2, &[("a", 1), ("b", 1)])).is_empty());
        // Without a: a's later change at 3 brings it.
        assert!(broken(&history, &page(0, 2, &[("b", 1)])).is_empty());
    }

    #[test]
    fn a_change_committed_below_the_next_cursor_and_not_in_the_page_is_caught() {
        // c committed at 2 after the page (0, 3] was read without it, and never changed again.
        let history = history(&[("a", 1, 1), ("c", 1, 2), ("b", 1, 3)]);
        let found = broken(&history, &page(0, 3, &[("a", 1), ("b", 1)]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("\"c\""), "{found:?}");
    }

    #[test]
    fn a_change_outside_the_page_or_unknown_is_caught() {
        let history = history(&[("a", 1, 1), ("b", 1, 2)]);
        assert_eq!(
            broken(&history, &page(1, 2, &[("a", 1), ("b", 1)])).len(),
            1
        );
        assert_eq!(
            broken(&history, &page(0, 2, &[("a", 1), ("b", 1), ("x", 1)])).len(),
            1
        );
    }
}
