//! Test harness: real MariaDB and NATS, one fresh database and service per test.
//!
//! `POSSYNC_TEST_MYSQL` (a server URL without database) and `POSSYNC_TEST_NATS` say where the
//! servers are; `scripts/run-tests.sh` starts private ones and sets both. Without them the
//! harness uses 127.0.0.1:3306 (root, no password) and 127.0.0.1:4222.
//!
//! Layout: [`db`] makes and drops per-test databases; [`ingest_app`] runs ingest on port 0
//! with its own NATS subject prefix and stream; [`fanout_app`] runs fanout replicas beside it
//! and connects devices over real WebSockets; [`tenant`] seeds clients, branches and users;
//! [`stock`] stocks the branches of simulated tills; [`history`] writes a shop's history of
//! hundreds of thousands of records straight into the store; [`cut_link`] cuts a service off
//! MySQL and mends the link.

pub mod cut_link;
pub mod db;
pub mod fanout_app;
pub mod history;
pub mod ingest_app;
pub mod janitor_app;
pub mod nats_server;
pub mod process;
pub mod stock;
pub mod tenant;

pub use db::TestDb;
pub use fanout_app::{Device, Seen, TestFanout};
pub use ingest_app::TestIngest;
pub use nats_server::TestNats;
pub use tenant::Tenant;

/// MySQL server URL for tests, without a database name.
pub fn mysql_server_url() -> String {
    std::env::var("POSSYNC_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// NATS URL for tests.
pub fn nats_url() -> String {
    std::env::var("POSSYNC_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A short unique name for databases, subjects and streams of one test.
pub fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

/// The changes a stream message carries (a JSON array of one transaction's changes on its
/// subject), as JSON values.
pub fn changes_in(payload: &[u8]) -> Vec<serde_json::Value> {
    shared::stream::changes_of(payload)
        .expect("a readable change message")
        .iter()
        .map(|change| serde_json::to_value(change).expect("changes serialise"))
        .collect()
}

/// The messages `subscriber` receives until half a second passes without one.
pub async fn messages_until_quiet(
    subscriber: &mut async_nats::Subscriber,
) -> Vec<async_nats::Message> {
    use futures::StreamExt;
    let mut messages = Vec::new();
    let quiet = std::time::Duration::from_millis(500);
    while let Ok(Some(message)) = tokio::time::timeout(quiet, subscriber.next()).await {
        messages.push(message);
    }
    messages
}

/// A path under the temporary directory, removed (with SQLite's side files) when dropped.
pub struct TempPath(pub std::path::PathBuf);

impl TempPath {
    pub fn new(prefix: &str) -> TempPath {
        TempPath(std::env::temp_dir().join(unique_name(prefix)))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
