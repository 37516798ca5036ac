//! possync-client: what a till, tablet or laptop needs to sync with possync.
//!
//! - [`store`]: the local SQLite copy, the queue of unpushed edits, refused edits, cursor.
//! - [`http`]: calls to ingest with retries (backoff with jitter; never on a 4xx), zstd
//!   answers unpacked.
//! - [`realtime`]: the WebSocket to fanout with reconnects, pulls on connect, resync and gaps.
//! - `pull`: pulls page after page with catch-up progress (each page stored by [`store`] in
//!   one transaction); `options`: which tables, page sizes, compression.
//! - `conflicts`: settling a conflict, and a conflict's server side as a change.
//! - `session`: tokens (login, refresh ahead of expiry) and the calls that carry them.
//!
//! An app edits through [`Client::edit`] and changes counters (stock, cash, balances) through
//! [`Client::increment`] (never lost: queued on disk first), calls
//! [`Client::sync`] when it likes (push in batches of 50, then pull), runs
//! [`Client::run_realtime`] in the background, and watches [`Client::status`].
//!
//! **Catch-up.** A fresh till's first sync, or a till back from a long offline spell, pulls
//! in pages of [`PullOptions::catch_up_page`] changes (compressed unless
//! [`PullOptions::compressed`] is off), each stored with the cursor after it in one SQLite
//! transaction: an interrupted catch-up resumes where it stopped. [`Client::progress`] is a
//! [`watch`] of [`SyncProgress`]: changes pulled so far, whether a pull is catching up, and
//! whether a first sync has completed (kept in the store, so a restarted till knows it):
//!
//! ```no_run
//! # async fn first_sync(client: possync_client::Client) -> anyhow::Result<()> {
//! let mut progress = client.progress();
//! tokio::spawn(async move {
//!     while progress.changed().await.is_ok() {
//!         let now = *progress.borrow();
//!         println!("{} records, done: {}", now.pulled, now.first_sync_done);
//!     }
//! });
//! client.pull().await?;
//! # Ok(()) }
//! ```
//!
//! **Subsets.** [`Client::open_with`] takes [`PullOptions::tables`]: only those tables are
//! pulled and kept from events (a name outside the 31 is refused with
//! [`BadPullOptions::UnknownTable`]); a store whose cursor was pulled with other tables
//! starts that set from scratch, so a new table never misses its history.

mod conflicts;
pub mod http;
mod options;
mod progress;
mod pull;
mod push;
pub mod realtime;
mod session;
pub mod store;
mod tokens;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use possync_wire::sync::Conflict;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING};
use serde_json::{json, Value};
use tokio::sync::watch;

pub use crate::conflicts::Resolved;
pub use crate::http::{CallError, Retry};
pub use crate::options::{BadPullOptions, PullOptions, MAX_PAGE};
pub use crate::progress::SyncProgress;
pub use crate::push::PushReport;
pub use crate::store::{LocalRecord, Rejected, Store};
use crate::tokens::Tokens;

/// Where the device syncs, as whom, and where it keeps its data.
#[derive(Debug, Clone)]
pub struct Config {
    /// ingest, e.g. `http://127.0.0.1:3000`.
    pub api_url: String,
    /// fanout, e.g. `ws://127.0.0.1:3001`.
    pub ws_url: String,
    pub username: String,
    pub password: String,
    pub device_id: String,
    pub store_path: PathBuf,
    pub retry: Retry,
    /// How the realtime socket reconnects ([`Retry::reconnect`] for devices).
    pub reconnect: Retry,
    /// Wait for the disk at every local commit (true for real devices; a simulator of many
    /// devices on one disk turns it off).
    pub durable_writes: bool,
}

/// What the app shows: online or not, how many edits wait to be pushed, and how many the
/// server refused for good (kept aside in [`Store::rejected`] with their messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub online: bool,
    pub pending: u64,
    pub rejected: u64,
}

/// Called for every conflict a push reports; the app answers with [`Client::resolve`].
pub type ConflictHandler = Arc<dyn Fn(&Conflict) + Send + Sync>;

struct Inner {
    config: Config,
    http: reqwest::Client,
    store: Store,
    tokens: tokio::sync::Mutex<Option<Tokens>>,
    status: watch::Sender<Status>,
    /// What pulls fetch and how (checked).
    pull: PullOptions,
    progress: watch::Sender<SyncProgress>,
    on_conflict: Mutex<Option<ConflictHandler>>,
    /// Pushes and pulls take turns: a pull that ran while a push was settling would skip
    /// the pushed records (still queued locally) and move the cursor past them.
    exchange: tokio::sync::Mutex<()>,
    /// Pulls run so far (each from the stored cursor to the end).
    pulls: AtomicU64,
}

/// A device's connection to possync; cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// Opens (or creates) the local store; no network yet. Pulls every table of the
    /// device's scope ([`PullOptions::default`]).
    pub async fn open(config: Config) -> anyhow::Result<Client> {
        Client::open_with(config, PullOptions::default()).await
    }

    /// Opens the local store to pull as `pull` says; options the server would refuse (an
    /// unknown table) are refused here with [`BadPullOptions`].
    pub async fn open_with(config: Config, pull: PullOptions) -> anyhow::Result<Client> {
        let pull = pull.checked()?;
        let store = Store::open(&config.store_path, config.durable_writes).await?;
        let (status, _) = watch::channel(Status {
            online: false,
            pending: store.pending().await?,
            rejected: store.rejected_count().await?,
        });
        let start = store.pull_start(&pull.cursor_scope()).await?;
        let (progress, _) = watch::channel(SyncProgress {
            first_sync_done: start.first_sync_done,
            ..SyncProgress::default()
        });
        let mut headers = HeaderMap::new();
        if pull.compressed {
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("zstd"));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .default_headers(headers)
            .build()?;
        let inner = Inner {
            config,
            http,
            store,
            tokens: Default::default(),
            status,
            pull,
            progress,
            on_conflict: Mutex::new(None),
            exchange: Default::default(),
            pulls: AtomicU64::new(0),
        };
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    pub fn status(&self) -> watch::Receiver<Status> {
        self.inner.status.subscribe()
    }

    /// How many pulls this client has run: each costs the server a query, so the realtime
    /// loop pulls only when it may have missed something.
    pub fn pulls(&self) -> u64 {
        self.inner.pulls.load(Ordering::Relaxed)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn on_conflict(&self, handler: ConflictHandler) {
        *self.inner.on_conflict.lock().expect("handler lock") = Some(handler);
    }

    /// Writes a record locally and queues it for the server.
    pub async fn edit(&self, table: &str, id: &str, data: Value) -> anyhow::Result<()> {
        self.inner.store.edit(table, id, &data, false).await?;
        self.refresh_pending().await
    }

    /// Adds `increments` (`{"quantity": -1}`) to counters of a record this device holds and
    /// queues them; they add up with every other till's. Returns the edit's id. What
    /// [`Store::record`] reads includes them at once, and after every sync.
    pub async fn increment(
        &self,
        table: &str,
        id: &str,
        increments: Value,
    ) -> anyhow::Result<String> {
        let edit_id = uuid::Uuid::new_v4().to_string();
        self.inner
            .store
            .increment(table, id, &increments, &edit_id)
            .await?;
        self.refresh_pending().await?;
        Ok(edit_id)
    }

    /// Deletes a record locally (a tombstone) and queues it.
    pub async fn delete(&self, table: &str, id: &str) -> anyhow::Result<()> {
        let data = self
            .inner
            .store
            .record(table, id)
            .await?
            .map_or(json!({}), |r| r.data);
        self.inner.store.edit(table, id, &data, true).await?;
        self.refresh_pending().await
    }

    async fn refresh_pending(&self) -> anyhow::Result<()> {
        let pending = self.inner.store.pending().await?;
        let rejected = self.inner.store.rejected_count().await?;
        self.inner.status.send_modify(|status| {
            status.pending = pending;
            status.rejected = rejected;
        });
        Ok(())
    }

    fn set_online(&self, online: bool) {
        self.inner
            .status
            .send_if_modified(|status| std::mem::replace(&mut status.online, online) != online);
    }
}
