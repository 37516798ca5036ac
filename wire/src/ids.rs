//! Validated identifiers that devices choose: record ids and device ids.
//!
//! Both are 1 to 64 characters of `A-Z a-z 0-9 _ - . :`, which covers UUIDs and the note's
//! `test-123` while keeping quotes, spaces, wildcards and control characters out.

use std::fmt;

/// Longest id accepted; matches the `VARCHAR(64)` columns.
pub const MAX_ID_LEN: usize = 64;

/// Why an id is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{0} is longer than {MAX_ID_LEN} characters")]
    TooLong(&'static str),
    #[error("{0} may contain only letters, digits, '_', '-', '.' and ':'")]
    BadCharacter(&'static str),
}

fn check(what: &'static str, text: &str) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty(what));
    }
    if text.len() > MAX_ID_LEN {
        return Err(IdError::TooLong(what));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if !text.chars().all(allowed) {
        return Err(IdError::BadCharacter(what));
    }
    Ok(())
}

macro_rules! validated_id {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A validated ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, IdError> {
                check($what, text).map(|()| Self(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

validated_id!(RecordId, "record_id");
validated_id!(DeviceId, "device_id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_and_simple_names_are_accepted() {
        assert!(RecordId::parse("test-123").is_ok());
        assert!(RecordId::parse("5f0c2b0e-6a55-4f5e-9a43-1f2d7f1e2c11").is_ok());
        assert!(DeviceId::parse("laptop-123").is_ok());
    }

    #[test]
    fn empty_long_and_odd_ids_are_refused_with_the_field_name() {
        assert_eq!(RecordId::parse(""), Err(IdError::Empty("record_id")));
        assert_eq!(
            RecordId::parse(&"a".repeat(65)),
            Err(IdError::TooLong("record_id"))
        );
        let err = DeviceId::parse("a b").unwrap_err();
        assert_eq!(err, IdError::BadCharacter("device_id"));
        assert!(RecordId::parse("x'; DROP TABLE records; --").is_err());
        assert!(RecordId::parse("sync.*").is_err());
    }
}
