//! The pull cursor: the database epoch, a position in the client's change order and the
//! compaction floor its pages began under; opaque to devices (URL-safe base64 of
//! `v1.<epoch>.<position>.<floor>`; cursors without a floor read as floor 0).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

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

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "v1.{}.{}.{}",
            self.epoch, self.position, self.floor
        ))
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
