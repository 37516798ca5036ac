//! possync-client: what a till, tablet or laptop needs to sync with possync.
//!
//! - [`store`]: the local SQLite copy, the queue of unpushed edits, refused edits, cursor.
//! - [`http`]: calls to ingest with retries (backoff with jitter; never on a 4xx), zstd
//!   answers unpacked.
//! - [`realtime`]: the WebSocket to fanout with reconnects, pulls on connect, resync and gaps.
//! - `pull`: pulls page after page with catch-up progress (each page stored by [`store`] in
//!   one transaction); `options`: which tables, page sizes, compression.
//! - `conflicts`: settling a conflict, and a conflict's server side as a change.
//! - `client`: [`Client`], its configuration and status.
//! - `verify`: [`Client::verify`], the copy's checksums against the server's, and the
//!   repair of a table that differs.
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
//!
//! **After a restore.** A cursor the server refuses (410: the database was restored or a
//! replica promoted, with a new epoch) starts a reconcile: the edits the server
//! acknowledged in the last 3 days are pushed again (the ones it kept are recognised as
//! retries), then a resync replaces the copy with the server's (`store` keeps both steps
//! across restarts).

mod client;
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
mod verify;

pub use crate::client::{Client, Config, ConflictHandler, Status};
pub use crate::conflicts::Resolved;
pub use crate::http::{CallError, Retry};
pub use crate::options::{BadPullOptions, PullOptions, MAX_PAGE};
pub use crate::progress::SyncProgress;
pub use crate::push::PushReport;
pub use crate::store::{LocalRecord, Rejected, Replaced, Store};
pub use crate::verify::Verified;
