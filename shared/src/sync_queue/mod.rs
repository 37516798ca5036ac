//! The sync queue, possync's outbox: one `sync_queue` row per accepted change and one
//! `sync_groups` row per publish group (a transaction's changes in one scope, one JetStream
//! message), written in the transaction; the group is published after commit, relayed by the
//! janitor when that publish never happened, and deleted with its rows once published and
//! old. Publication is recorded on the group alone.
//!
//! Every statement on these tables lives here, for ingest and the janitor alike:
//! - [`insert`]: the rows and groups of a write, in its transaction, and the rows' ids.
//! - [`made`]: which edits a device already made, and the digest they are recognised by.
//! - [`publish`]: marking groups published, and claiming overdue ones for the relay.
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
