//! How far a pull has come: what an app shows during a first sync or a catch-up.

/// How far a pull has come, from [`Client::progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncProgress {
    /// Changes received by the pull under way (or the last one), counted as each page is
    /// stored.
    pub pulled: u64,
    /// A pull of the configured tables has reached the server's head once (kept in the
    /// store, so it holds after a restart; a change of tables clears it until the new set
    /// is in).
    pub first_sync_done: bool,
    /// The pull under way is catching up: a first sync, a resync, or pages coming back full.
    pub catching_up: bool,
}
