//! [`Client`]: a device's connection to possync, its configuration and the status the app
//! watches; what it does is in the modules that extend it (push, pull, conflicts, realtime,
//! session).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use possync_wire::sync::Conflict;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::http::Retry;
use crate::options::PullOptions;
use crate::progress::SyncProgress;
use crate::store::Store;
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

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    pub(crate) store: Store,
    pub(crate) tokens: tokio::sync::Mutex<Option<Tokens>>,
    pub(crate) status: watch::Sender<Status>,
    /// What pulls fetch and how (checked).
    pub(crate) pull: PullOptions,
    pub(crate) progress: watch::Sender<SyncProgress>,
    pub(crate) on_conflict: Mutex<Option<ConflictHandler>>,
    /// Pushes and pulls take turns: a pull that ran while a push was settling would skip
    /// the pushed records (still queued locally) and move the cursor past them.
    pub(crate) exchange: tokio::sync::Mutex<()>,
    /// Pulls run so far (each from the stored cursor to the end).
    pub(crate) pulls: AtomicU64,
    /// When [`Client::sync`] last verified the copy.
    pub(crate) verified_at: Mutex<Option<Instant>>,
}

/// A device's connection to possync; cheap to clone.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
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
            verified_at: Mutex::new(None),
        };
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    pub fn status(&self) -> watch::Receiver<Status> {
        self.inner.status.subscribe()
    }

    /// How many pulls this client has run: each costs the server a query, so the realtime
    /// loop pulls only when it may have missed something. The pulls of [`Client::verify`]
    /// are not counted.
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

    pub(crate) async fn refresh_pending(&self) -> anyhow::Result<()> {
        let pending = self.inner.store.pending().await?;
        let rejected = self.inner.store.rejected_count().await?;
        self.inner.status.send_modify(|status| {
            status.pending = pending;
            status.rejected = rejected;
        });
        Ok(())
    }

    pub(crate) fn set_online(&self, online: bool) {
        self.inner
            .status
            .send_if_modified(|status| std::mem::replace(&mut status.online, online) != online);
    }
}
