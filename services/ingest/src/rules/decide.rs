//! The conflict rules of a push, as a pure function of the server's current version and the
//! incoming edit.
//!
//! Order of the rules:
//! 1. no current version: apply (create);
//! 2. the same device sent the same edit (same claimed time, same content) again: a retry,
//!    nothing changes;
//! 3. `base_version` equals the current version: the device saw it, apply;
//! 4. the current version is the same device's own earlier write: apply if this edit is not
//!    older, otherwise it is a stale own edit and nothing changes (never a conflict);
//! 5. the edit is newer than the current version's edit time: last write wins, apply;
//! 6. otherwise: conflict, the server keeps its version.
//!
//! Clock skew: an edit's time is the device's claimed time clamped to the server's receive
//! time (both are stored, so the clamp is recomputed, never lost), so a device whose clock runs ahead cannot win against edits made after its
//! push. A device whose clock runs behind cannot overwrite a newer version by time alone:
//! its edit applies through `base_version` (it saw the current version) and otherwise comes
//! back as a conflict with both sides, so it is never silently lost.

use chrono::{DateTime, Utc};

/// The server's current version of a record, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub sync_version: u64,
    /// `local_updated_at` as its device sent it.
    pub claimed_time: DateTime<Utc>,
    /// `server_updated_at`: when the server accepted it.
    pub received_at: DateTime<Utc>,
    pub device: Option<String>,
}

/// An incoming edit, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit<'a> {
    pub device: Option<&'a str>,
    pub base_version: Option<u64>,
    pub claimed_time: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// Whether its data and deletion equal the current version's.
    pub same_content: bool,
}

/// The time an edit counts as made: what the device claims, but never after it arrived.
pub fn edit_time(claimed: DateTime<Utc>, received_at: DateTime<Utc>) -> DateTime<Utc> {
    claimed.min(received_at)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Apply,
    Unchanged,
    Conflict,
}

pub fn decide(current: Option<&Current>, edit: &Edit<'_>) -> Decision {
    let Some(current) = current else {
        return Decision::Apply;
    };
    let own = edit.device.is_some() && current.device.as_deref() == edit.device;
    if own && edit.claimed_time == current.claimed_time && edit.same_content {
        return Decision::Unchanged;
    }
    if edit.base_version == Some(current.sync_version) {
        return Decision::Apply;
    }
    let mine = edit_time(edit.claimed_time, edit.received_at);
    let theirs = edit_time(current.claimed_time, current.received_at);
    if own {
        return if mine >= theirs {
            Decision::Apply
        } else {
            Decision::Unchanged
        };
    }
    let newer = mine > theirs;
    if newer {
        Decision::Apply
    } else {
        Decision::Conflict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::minutes(minutes)
    }

    const NOW: i64 = 60;

    fn current(version: u64, minutes: i64, device: &str) -> Current {
        Current {
            sync_version: version,
            claimed_time: at(minutes),
            received_at: at(minutes + 1),
            device: Some(device.into()),
        }
    }

    fn edit(device: &str, base: Option<u64>, minutes: i64) -> Edit<'_> {
        Edit {
            device: Some(device),
            base_version: base,
            claimed_time: at(minutes),
            received_at: at(NOW),
            same_content: true,
        }
    }

    #[test]
    fn conflict_table() {
        let server = current(3, 30, "till-a");
        let cases = [
            ("no row", None, edit("till-b", None, 0), Decision::Apply),
            (
                "same base version, older edit",
                Some(&server),
                edit("till-b", Some(3), 0),
                Decision::Apply,
            ),
            (
                "stale base, newer edit",
                Some(&server),
                edit("till-b", Some(2), 31),
                Decision::Apply,
            ),
            (
                "stale base, older edit",
                Some(&server),
                edit("till-b", Some(2), 29),
                Decision::Conflict,
            ),
            (
                "no base, equal edit time",
                Some(&server),
                edit("till-b", None, 30),
                Decision::Conflict,
            ),
            (
                "retry of own write",
                Some(&server),
                edit("till-a", Some(2), 30),
                Decision::Unchanged,
            ),
            (
                "own later offline edit",
                Some(&server),
                edit("till-a", Some(2), 45),
                Decision::Apply,
            ),
            (
                "own older edit arriving late",
                Some(&server),
                edit("till-a", Some(2), 10),
                Decision::Unchanged,
            ),
        ];
        for (what, current, edit, expected) in cases {
            assert_eq!(decide(current, &edit), expected, "{what}");
        }
    }

    #[test]
    fn writes_without_a_device_never_count_as_own() {
        let server = Current {
            sync_version: 1,
            claimed_time: at(0),
            received_at: at(0),
            device: None,
        };
        let anonymous = Edit {
            device: None,
            base_version: None,
            claimed_time: at(0),
            received_at: at(1),
            same_content: true,
        };
        assert_eq!(decide(Some(&server), &anonymous), Decision::Conflict);
    }

    #[test]
    fn clock_two_hours_ahead_cannot_beat_a_later_edit() {
        // Till A's clock runs 2 h ahead: it claims 12:00 at 10:00; its version counts as 10:00.
        let ahead = Current {
            sync_version: 4,
            claimed_time: at(120),
            received_at: at(0),
            device: Some("till-a".into()),
        };
        let later = Edit {
            device: Some("till-b"),
            base_version: None,
            claimed_time: at(5),
            received_at: at(5),
            same_content: true,
        };
        assert_eq!(decide(Some(&ahead), &later), Decision::Apply);
        // And A's retry of that push, minutes later, is still recognised as a retry.
        let retry = Edit {
            device: Some("till-a"),
            base_version: Some(3),
            claimed_time: at(120),
            received_at: at(3),
            same_content: true,
        };
        assert_eq!(decide(Some(&ahead), &retry), Decision::Unchanged);
    }

    #[test]
    fn clock_two_hours_behind_applies_through_base_version_or_conflicts() {
        let server = current(7, 50, "till-a");
        let saw_it = Edit {
            device: Some("till-b"),
            base_version: Some(7),
            claimed_time: at(-60),
            received_at: at(NOW),
            same_content: true,
        };
        assert_eq!(decide(Some(&server), &saw_it), Decision::Apply);
        let blind = Edit {
            device: Some("till-b"),
            base_version: Some(6),
            claimed_time: at(-60),
            received_at: at(NOW),
            same_content: true,
        };
        assert_eq!(decide(Some(&server), &blind), Decision::Conflict);
    }

    #[test]
    fn edit_time_is_the_claim_unless_it_is_in_the_future() {
        assert_eq!(edit_time(at(120), at(0)), at(0));
        assert_eq!(edit_time(at(-120), at(0)), at(-120));
    }

    #[test]
    fn own_new_content_with_the_same_time_is_an_edit_not_a_retry() {
        let server = current(3, 30, "till-a");
        let changed = Edit {
            same_content: false,
            ..edit("till-a", None, 30)
        };
        assert_eq!(decide(Some(&server), &changed), Decision::Apply);
    }
}
