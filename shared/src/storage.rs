//! The MySQL/MariaDB pool and the embedded migrations (`migrations/` at the repository root).

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::MySqlPool;

use crate::config::DatabaseConfig;

/// Every migration, compiled into the binaries.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// How a service uses its pool, which decides whether a connection is checked before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// Many requests (ingest): no ping before each use, it would be one more round trip per
    /// request (a tenth of a push). A connection the server dropped fails its request with
    /// a 503 that devices retry, and the next requests flush the other dead ones.
    Busy,
    /// Few queries (the janitor's sweeps, fanout's upgrades and checks): each connection is
    /// pinged before use, so that after a database restart the dead connections of the pool
    /// are replaced at once instead of failing one sweep or readiness check each.
    Light,
}

/// Opens a pool (sessions in UTC, READ COMMITTED) and applies pending migrations when configured to.
pub async fn connect(config: &DatabaseConfig, traffic: Traffic) -> anyhow::Result<MySqlPool> {
    let (pool, options) = options(config, traffic)?;
    let pool = pool
        .connect_with(options)
        .await
        .map_err(|err| anyhow::anyhow!("cannot connect to the database: {err}"))?;
    if config.database_migrate {
        MIGRATOR.run(&pool).await?;
    }
    Ok(pool)
}

/// A pool like [`connect`]'s that connects on first use and never migrates: for a service
/// that must start, and keep serving what it can, while the database is down.
pub fn connect_lazy(config: &DatabaseConfig, traffic: Traffic) -> anyhow::Result<MySqlPool> {
    let (pool, options) = options(config, traffic)?;
    Ok(pool.connect_lazy_with(options))
}

fn options(
    config: &DatabaseConfig,
    traffic: Traffic,
) -> anyhow::Result<(MySqlPoolOptions, MySqlConnectOptions)> {
    let options = MySqlConnectOptions::from_str(config.database_url.expose_secret())?
        .timezone(Some("+00:00".into()));
    let pool = MySqlPoolOptions::new()
        .max_connections(config.database_max_connections)
        // A connection refused (MySQL stopped) is retried until this deadline, so it is what a
        // request waits before its 503: at 5 s the fault suite's pushes timed out instead.
        .acquire_timeout(Duration::from_millis(1500))
        // A busy pool's dropped connection fails its request with a 503 (an I/O error, or the
        // server's "shutting down" / "killed" / "idle" error codes); idle connections are
        // recycled well before the server's `wait_timeout`.
        .test_before_acquire(traffic == Traffic::Light)
        .idle_timeout(Duration::from_secs(300))
        // READ COMMITTED: no gap locks, so writers of different clients never deadlock on
        // neighbouring keys; the change order comes from the counter row lock instead.
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    .execute(conn)
                    .await
                    .map(|_| ())
            })
        });
    Ok((pool, options))
}

/// How long a readiness probe waits for MySQL before it says no (a paused server; a stopped
/// one is refused within the pool's 1.5 s acquire timeout).
pub const READINESS_WAIT: Duration = Duration::from_secs(2);

/// Whether MySQL answers `SELECT 1` within [`READINESS_WAIT`].
pub async fn answers(pool: &MySqlPool) -> bool {
    let probe = sqlx::query("SELECT 1").execute(pool);
    matches!(tokio::time::timeout(READINESS_WAIT, probe).await, Ok(Ok(_)))
}

/// The server's error number (`ER_*`) when `err` is one MySQL/MariaDB answered with.
pub fn error_number(err: &sqlx::Error) -> Option<u16> {
    let db = err.as_database_error()?;
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(|e| e.number())
}

/// Whether `err` says the database cannot take the statement now, so that the caller answers
/// 503 and devices retry: not reached (the pool's wait, a socket error), the session ended by
/// the server, a server that takes no writes, or a full disk. Nothing was written.
pub fn unavailable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
    ) || connection_lost(err)
        || out_of_space(err)
}

/// The server ended the session: shutting down (1053), killed it (1927) or dropped it as
/// idle (4031). Pooled connections are not pinged before use, so this is how a restart of
/// the database shows. Also a server that takes no writes (1290, `--read-only`): a replica
/// not yet promoted, pointed at during a failover.
fn connection_lost(err: &sqlx::Error) -> bool {
    matches!(error_number(err), Some(1053 | 1290 | 1927 | 4031))
}

/// The database's disk is full: a table that cannot grow (1114, "The table is full"), the
/// disk-full error (1021), or a write that failed with ENOSPC (errno 28, as 3 or 1030).
fn out_of_space(err: &sqlx::Error) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    disk_full(error_number(err), db.message())
}

fn disk_full(number: Option<u16>, message: &str) -> bool {
    match number {
        Some(1021 | 1114) => true,
        Some(3 | 1030) => ["Errcode: 28", "errno: 28", "error 28"]
            .iter()
            .any(|errno| message.contains(errno)),
        _ => false,
    }
}

/// A string column read as text whatever its collation or type.
///
/// sqlx refuses to read binary-collated columns (`utf8mb4_bin`, `ascii_bin`: the exact-match
/// collations ids need) and MySQL 8's `JSON` type into `String`; this reads all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl sqlx::Type<sqlx::MySql> for Text {
    fn type_info() -> sqlx::mysql::MySqlTypeInfo {
        <str as sqlx::Type<sqlx::MySql>>::type_info()
    }

    fn compatible(ty: &sqlx::mysql::MySqlTypeInfo) -> bool {
        use sqlx::TypeInfo;
        matches!(
            ty.name(),
            "VARCHAR"
                | "CHAR"
                | "TEXT"
                | "TINYTEXT"
                | "MEDIUMTEXT"
                | "LONGTEXT"
                | "JSON"
                | "VARBINARY"
                | "BINARY"
                | "BLOB"
                | "TINYBLOB"
                | "MEDIUMBLOB"
                | "LONGBLOB"
                | "ENUM"
        )
    }
}

impl<'r> sqlx::Decode<'r, sqlx::MySql> for Text {
    fn decode(value: sqlx::mysql::MySqlValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let bytes = <&[u8] as sqlx::Decode<sqlx::MySql>>::decode(value)?;
        Ok(Text(std::str::from_utf8(bytes)?.to_owned()))
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

/// Runs `statement` (a `DELETE … WHERE … < ? … LIMIT ?`) with `cutoff` and `batch` until it
/// deletes fewer than `batch` rows, each run its own short transaction; returns how many.
pub async fn delete_in_batches(
    pool: &MySqlPool,
    statement: &'static str,
    cutoff: chrono::DateTime<chrono::Utc>,
    batch: u32,
) -> sqlx::Result<u64> {
    let mut deleted = 0;
    loop {
        let rows = sqlx::query(statement)
            .bind(cutoff)
            .bind(batch)
            .execute(pool)
            .await?
            .rows_affected();
        deleted += rows;
        if rows < u64::from(batch) {
            return Ok(deleted);
        }
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::disk_full;

    #[test]
    fn a_full_disk_is_told_from_other_write_errors() {
        // As MariaDB 10.11 answered with its data directory full (`BENCHMARKS.md`).
        assert!(disk_full(Some(1114), "The table 'records' is full"));
        assert!(disk_full(
            Some(1021),
            "Disk full (./binlog.000001); waiting"
        ));
        assert!(disk_full(
            Some(3),
            "Error writing file './ddl_recovery.log' (Errcode: 28 \"No space left on device\")"
        ));
        assert!(!disk_full(
            Some(3),
            "Error writing file 'x' (Errcode: 13 \"Permission denied\")"
        ));
        assert!(!disk_full(Some(1062), "Duplicate entry"));
        assert!(!disk_full(None, "error 28"));
    }
}
