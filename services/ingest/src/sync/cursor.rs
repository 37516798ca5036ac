//! The pull cursor: the database epoch, a position in the client's change order and the
//! compaction floor its pages began under; opaque to devices (URL-safe base64 of
//! `v1.<epoch>.<position>.<floor>`; cursors without a floor read as floor 0), and the
//! client's change order that decides whether a cursor can still be served and where a
//! `since` pull starts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Timelike, Utc};
use shared::storage::Text;
use sqlx::MySqlPool;

/// The first position written under a time mark in or after a minute (binds: client, the
/// time truncated to its minute, [`minute_of`]): one row of `change_marks`. Marks never decrease along the
/// change order and a write's mark is at least the `server_updated_at` of its records, so no
/// record changed at or after the time sits before it.
pub const FIRST_POSITION_MARKED: &str = "SELECT position FROM change_marks \
     WHERE client_id = ? AND marked_at >= ? ORDER BY marked_at LIMIT 1";

/// The minute `time` falls in, as `change_marks` files it.
pub fn minute_of(time: DateTime<Utc>) -> DateTime<Utc> {
    time.with_second(0)
        .and_then(|time| time.with_nanosecond(0))
        .unwrap_or(time)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub epoch: String,
    pub position: u64,
    /// `change_counters.retained_from` when the device's pages began: a cursor below the
    /// current value is still exact if nothing was compacted since (a resync from scratch).
    pub floor: u64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("cursor is not one this server issued")]
pub struct MalformedCursor;

/// Why a well-formed cursor cannot be served exactly: the device must resync from scratch.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StaleCursor {
    #[error("cursor is from another database; resync from scratch")]
    OtherDatabase,
    #[error("cursor is ahead of this server (restored from a backup?); resync from scratch")]
    AheadOfServer,
    #[error("cursor is older than the changes this server keeps; resync from scratch")]
    Compacted,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "v1.{}.{}.{}",
            self.epoch, self.position, self.floor
        ))
    }

    /// A `cursor` query parameter: `None` when it is absent or blank.
    pub fn from_param(text: Option<&str>) -> Result<Option<Cursor>, MalformedCursor> {
        text.map(str::trim)
            .filter(|text| !text.is_empty())
            .map(Cursor::decode)
            .transpose()
    }

    pub fn decode(text: &str) -> Result<Cursor, MalformedCursor> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| MalformedCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| MalformedCursor)?;
        let mut parts = text.split('.');
        let (Some("v1"), Some(epoch), Some(position), floor, None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(MalformedCursor);
        };
        let number = |text: &str| text.parse::<u64>().map_err(|_| MalformedCursor);
        Ok(Cursor {
            epoch: epoch.to_owned(),
            position: number(position)?,
            floor: floor.map(number).transpose()?.unwrap_or(0),
        })
    }
}

/// The client's change order as the server knows it now.
pub struct ChangeOrder {
    pub epoch: String,
    pub last_position: u64,
    pub retained_from: u64,
}

impl ChangeOrder {
    pub async fn read(pool: &MySqlPool, client_id: u64) -> sqlx::Result<ChangeOrder> {
        let (epoch, last_position, retained_from): (Text, Option<u64>, Option<u64>) =
            sqlx::query_as(
                "SELECT m.epoch, c.last_position, c.retained_from FROM server_meta m \
             LEFT JOIN change_counters c ON c.client_id = ? WHERE m.id = 1",
            )
            .bind(client_id)
            .fetch_one(pool)
            .await?;
        Ok(ChangeOrder {
            epoch: epoch.0,
            last_position: last_position.unwrap_or(0),
            retained_from: retained_from.unwrap_or(0),
        })
    }

    /// The position a `since` pull resumes after: just before the first position whose
    /// time mark reaches `since` ([`FIRST_POSITION_MARKED`]), or the end of the order when
    /// there is none. The page still keeps only changes at or after `since`: between that
    /// position and the first change at or after `since` lie only the few writes stamped
    /// before `since` that took their positions after one stamped at or after it.
    pub async fn position_before(
        &self,
        pool: &MySqlPool,
        client_id: u64,
        since: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        let first: Option<u64> = sqlx::query_scalar(FIRST_POSITION_MARKED)
            .bind(client_id)
            .bind(minute_of(since))
            .fetch_optional(pool)
            .await?;
        Ok(first.map_or(self.last_position, |position| {
            (position - 1).min(self.last_position)
        }))
    }

    /// The position to resume after, unless the cursor cannot be served exactly.
    pub fn check(&self, cursor: &Cursor) -> Result<u64, StaleCursor> {
        if cursor.epoch != self.epoch {
            return Err(StaleCursor::OtherDatabase);
        }
        if cursor.position > self.last_position {
            return Err(StaleCursor::AheadOfServer);
        }
        // Below the floor, unless the device's pages began under this same floor (a resync
        // from scratch has every record, so nothing compacted before it is missing).
        if cursor.position < self.retained_from && cursor.floor < self.retained_from {
            return Err(StaleCursor::Compacted);
        }
        Ok(cursor.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            epoch: "0b6f1c3e-3a9e-11ef-9d3b-0242ac120002".into(),
            position: 42,
            floor: 7,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        let without_floor = Cursor::decode(&URL_SAFE_NO_PAD.encode("v1.e.5")).unwrap();
        assert_eq!((without_floor.position, without_floor.floor), (5, 0));
        for bad in [
            "",
            "%%%",
            "djEuYWJj",
            &URL_SAFE_NO_PAD.encode("v2.e.1"),
            &URL_SAFE_NO_PAD.encode("v1.e.-1"),
            &URL_SAFE_NO_PAD.encode("v1.e.1.x"),
            &URL_SAFE_NO_PAD.encode("v1.e.1.2.3"),
        ] {
            assert_eq!(Cursor::decode(bad), Err(MalformedCursor), "{bad}");
        }
    }
}
