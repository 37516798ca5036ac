//! One clock for every server time: the database's. Ingest stamps records, clamps edit
//! times and dates publish groups, and the janitor judges ages, with `now()`: this host's
//! clock moved by its measured offset from MariaDB's `UTC_TIMESTAMP(6)`. Two ingests whose
//! host clocks disagree by minutes still stamp in one order, and a janitor whose clock is
//! off neither re-publishes early nor waits late. [`follow_database`] measures the offset at
//! start and every [`EVERY`]; until then (and for a process without a database) it is 0.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::MySqlPool;
use tokio_util::sync::CancellationToken;

/// The database's clock minus this host's, in microseconds.
static OFFSET_US: AtomicI64 = AtomicI64::new(0);

/// How often the offset is measured again.
pub const EVERY: Duration = Duration::from_secs(10);

/// An offset beyond this is logged as a warning: the host's clock needs fixing.
const WORTH_A_WARNING: TimeDelta = TimeDelta::seconds(1);

/// The database's time now.
pub fn now() -> DateTime<Utc> {
    Utc::now() + TimeDelta::microseconds(OFFSET_US.load(Ordering::Relaxed))
}

/// The offset of `database` read between `before` and `after` on this host: the database
/// read its clock at some moment between, taken as the middle.
pub fn offset(before: DateTime<Utc>, database: DateTime<Utc>, after: DateTime<Utc>) -> TimeDelta {
    database - (before + (after - before) / 2)
}

/// Measures the offset once.
pub async fn measure(pool: &MySqlPool) -> sqlx::Result<TimeDelta> {
    let before = Utc::now();
    let database: DateTime<Utc> = sqlx::query_scalar("SELECT UTC_TIMESTAMP(6)")
        .fetch_one(pool)
        .await
        .map(|time: chrono::NaiveDateTime| time.and_utc())?;
    Ok(offset(before, database, Utc::now()))
}

/// Measures the offset now and then every [`EVERY`] until `stop`; a failed measure keeps
/// the last offset.
pub async fn follow_database(pool: MySqlPool, stop: CancellationToken) {
    let mut warned = false;
    loop {
        match measure(&pool).await {
            Ok(offset) => {
                OFFSET_US.store(offset.num_microseconds().unwrap_or(0), Ordering::Relaxed);
                let off = offset.abs() > WORTH_A_WARNING;
                if off && !warned {
                    tracing::warn!(
                        offset_ms = offset.num_milliseconds(),
                        "this host's clock differs from the database's; server times follow the database"
                    );
                }
                warned = off;
            }
            Err(err) => tracing::debug!(error = %err, "could not read the database's clock"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_takes_the_database_reading_as_the_middle_of_the_round_trip() {
        let before = DateTime::from_timestamp(1_000, 0).unwrap();
        let after = before + TimeDelta::milliseconds(4);
        let database = before + TimeDelta::minutes(5);

        assert_eq!(
            offset(before, database, after),
            TimeDelta::minutes(5) - TimeDelta::milliseconds(2)
        );
        assert_eq!(
            offset(before, before - TimeDelta::minutes(5), after),
            -TimeDelta::minutes(5) - TimeDelta::milliseconds(2)
        );
    }
}
