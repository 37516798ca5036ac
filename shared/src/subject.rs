//! NATS subjects and WebSocket rooms.
//!
//! Change events go to `<prefix>.<client_id>.<branch_id>` for branch tables and to
//! `<prefix>.<client_id>.shared` for tables shared by every branch of a client, the table
//! named inside each change: one message carries a transaction's changes of one room. A
//! room `client:branch` listens to its branch's subject and its client's shared one; a
//! super admin's room `client:*` listens to the whole client. Every token that goes into a subject
//! is checked: no `.`, `*`, `>`, whitespace or empty tokens can reach NATS.

use std::fmt;

use crate::registry::{Scope, Table};

/// The branch token of subjects that every branch of a client receives.
pub const SHARED_TOKEN: &str = "shared";

/// Why a subject token or a room is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error("subject token {0:?} is empty or contains '.', '*', '>' or whitespace")]
    BadToken(String),
    #[error("room {0:?} is not of the form client_id:branch_id or client_id:*")]
    BadRoom(String),
}

/// Accepts a token only if NATS would read it as one literal token.
pub fn check_token(token: &str) -> Result<&str, SubjectError> {
    let bad = |c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control();
    if token.is_empty() || token.chars().any(bad) {
        return Err(SubjectError::BadToken(token.to_owned()));
    }
    Ok(token)
}

/// Builds subjects under one validated prefix.
#[derive(Debug, Clone)]
pub struct Subjects {
    prefix: String,
}

impl Subjects {
    pub fn new(prefix: &str) -> Result<Self, SubjectError> {
        check_token(prefix)?;
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Where a change of `table` in `branch_id` of `client_id` is published.
    pub fn change(&self, client_id: u64, branch_id: u64, table: &Table) -> String {
        match table.scope {
            Scope::Branch => format!("{}.{client_id}.{branch_id}", self.prefix),
            Scope::Client => format!("{}.{client_id}.{SHARED_TOKEN}", self.prefix),
        }
    }

    /// Every subject a room's devices need.
    pub fn for_room(&self, room: Room) -> Vec<String> {
        match room.branch {
            RoomBranch::One(branch_id) => vec![
                format!("{}.{}.{branch_id}", self.prefix, room.client_id),
                format!("{}.{}.{SHARED_TOKEN}", self.prefix, room.client_id),
            ],
            RoomBranch::All => vec![format!("{}.{}.>", self.prefix, room.client_id)],
        }
    }

    /// All change subjects, for the JetStream stream.
    pub fn all(&self) -> String {
        format!("{}.>", self.prefix)
    }
}

/// Which branches a room covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoomBranch {
    One(u64),
    All,
}

/// A WebSocket room: `client_id:branch_id`, or `client_id:*` for every branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Room {
    pub client_id: u64,
    pub branch: RoomBranch,
}

impl Room {
    pub fn parse(text: &str) -> Result<Room, SubjectError> {
        let bad = || SubjectError::BadRoom(text.to_owned());
        let (client, branch) = text.split_once(':').ok_or_else(bad)?;
        let number = |s: &str| -> Result<u64, SubjectError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse().map_err(|_| bad())
        };
        let client_id = number(client)?;
        let branch = if branch == "*" {
            RoomBranch::All
        } else {
            RoomBranch::One(number(branch)?)
        };
        Ok(Room { client_id, branch })
    }
}

impl fmt::Display for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.branch {
            RoomBranch::One(branch_id) => write!(f, "{}:{branch_id}", self.client_id),
            RoomBranch::All => write!(f, "{}:*", self.client_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    #[test]
    fn branch_and_shared_tables_get_their_subjects() {
        let subjects = Subjects::new("sync").unwrap();
        let invoices = registry::lookup("invoices").unwrap();
        let products = registry::lookup("products").unwrap();
        let stock = registry::lookup("product_stock").unwrap();
        assert_eq!(subjects.change(1, 2, invoices), "sync.1.2");
        assert_eq!(
            subjects.change(1, 2, stock),
            "sync.1.2",
            "one subject a room"
        );
        assert_eq!(subjects.change(1, 2, products), "sync.1.shared");
    }

    #[test]
    fn rooms_map_to_their_subjects() {
        let subjects = Subjects::new("sync").unwrap();
        let branch = Room::parse("1:2").unwrap();
        assert_eq!(subjects.for_room(branch), ["sync.1.2", "sync.1.shared"]);
        assert_eq!(subjects.for_room(Room::parse("1:*").unwrap()), ["sync.1.>"]);
        assert_eq!(branch.to_string(), "1:2");
    }

    #[test]
    fn wildcards_and_malformed_rooms_are_refused() {
        for room in [
            "1:>", "*:1", "1", "1:2:3", "1.2:3", " 1:2", "1:", ":2", "-1:2", "1:2 ",
        ] {
            assert!(Room::parse(room).is_err(), "{room} should be refused");
        }
        for token in ["", "a.b", "*", ">", "a b", "a\tb"] {
            assert!(check_token(token).is_err(), "{token:?} should be refused");
        }
        assert!(Subjects::new("sync.x").is_err());
    }
}
