//! The sync queue (`sync_queue`), possync's outbox: one row per accepted change, written in
//! the change's transaction, published to JetStream after commit, relayed by the janitor when
//! that publish never happened, and deleted once published and old.
//!
//! Every statement on the table lives here, for ingest and the janitor alike:
//! - [`insert`]: the rows of a write, in its transaction, and their ids.
//! - [`made`]: which edits a device already made, and the digest they are recognised by.
//! - [`publish`]: marking rows published, and claiming overdue ones for the relay.
//! - [`backlog`]: what is unpublished, and deleting what is published and old.

pub mod backlog;
pub mod insert;
pub mod made;
pub mod publish;

use crate::wire::socket::Operation;

/// How `operation` is stored (the column is an `ENUM`).
pub fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
    }
}

/// The operation a stored name means (an unknown name is read as an update).
pub fn operation_of(name: &str) -> Operation {
    match name {
        "create" => Operation::Create,
        "delete" => Operation::Delete,
        _ => Operation::Update,
    }
}
