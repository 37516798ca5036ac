//! The times a device may send: what the store holds and what a sale can have.
//!
//! An edit time (`local_updated_at`, or a date-time field of `data`) is accepted from
//! 2000-01-01 up to one day ahead of the server's clock, and kept to the microsecond (the
//! store's `DATETIME(6)`). A clock further off is wrong, not early or late: the record is
//! refused with a message naming the field, and the device keeps it aside. Within a day
//! ahead, the push rules clamp the edit to when it arrived (`docs/sync.md`).
//!
//! Times that only filter (`since`, `updated_since`) are never refused for their range: they
//! are brought into the store's range, which selects the same rows.

use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};

/// How far ahead of the server's clock a device's time may be.
pub const MAX_AHEAD: Duration = Duration::days(1);

/// The earliest edit time accepted.
pub fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()
}

/// Parses an RFC 3339 edit time sent as `field` and checks it against `now`.
pub fn parse_edit_time(
    field: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    let time = DateTime::parse_from_rfc3339(text)
        .map_err(|_| format!("{field} must be an RFC 3339 date-time"))?
        .with_timezone(&Utc);
    check_edit_time(field, time, now)
}

/// `time` to the microsecond, if it lies from 2000-01-01 to a day ahead of `now`.
pub fn check_edit_time(
    field: &str,
    time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    let latest = now + MAX_AHEAD;
    if time < earliest() || time > latest {
        return Err(format!(
            "{field} must lie from 2000-01-01 to one day ahead of the server clock ({}); the device clock is off",
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(time.trunc_subsecs(6))
}

/// A filter time brought into the range the store holds; the rows it selects are the same.
pub fn clamp_filter_time(time: DateTime<Utc>) -> DateTime<Utc> {
    // No stored time is later than the server's clock.
    time.clamp(earliest(), Utc::now() + MAX_AHEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn edit_times_from_2000_to_a_day_ahead_pass_to_the_microsecond() {
        let now = at("2026-11-25T12:00:00Z");
        let parsed = parse_edit_time("t", "2026-11-26T11:59:59.123456789+00:00", now).unwrap();
        assert_eq!(parsed, at("2026-11-26T11:59:59.123456Z"));
        assert!(parse_edit_time("t", "2000-01-01T00:00:00Z", now).is_ok());
    }

    #[test]
    fn edit_times_before_2000_or_over_a_day_ahead_name_the_field() {
        let now = at("2026-11-25T12:00:00Z");
        for text in [
            "1999-12-31T23:59:59Z",
            "2026-11-26T12:00:01Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            let err = parse_edit_time("local_updated_at", text, now).unwrap_err();
            assert!(
                err.starts_with("local_updated_at must lie from 2000-01-01"),
                "{err}"
            );
        }
        let err = parse_edit_time("data.opened_at", "yesterday", now).unwrap_err();
        assert_eq!(err, "data.opened_at must be an RFC 3339 date-time");
    }

    #[test]
    fn filter_times_are_clamped_into_the_stores_range() {
        assert_eq!(clamp_filter_time(at("0001-01-01T00:00:00Z")), earliest());
        assert!(clamp_filter_time(at("9999-01-01T00:00:00Z")) < at("9999-01-01T00:00:00Z"));
        let ordinary = at("2025-01-01T00:00:00Z");
        assert_eq!(clamp_filter_time(ordinary), ordinary);
    }
}
