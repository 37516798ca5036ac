//! The rows of a write, inserted in its transaction, and the ids they were given.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{MySql, MySqlConnection, MySqlPool, QueryBuilder};

use super::operation_name;
use crate::registry::Table;
use crate::wire::socket::Operation;

/// One accepted change as the queue keeps it.
#[derive(Debug, Clone)]
pub struct QueuedChange<'a> {
    /// The writer's branch (for a super admin, the branch of its token).
    pub branch_id: u64,
    /// Where the record lives: a branch, or the client's shared scope.
    pub branch_scope: u64,
    pub table: &'static Table,
    pub record_id: &'a str,
    pub operation: Operation,
    pub source_device_id: Option<&'a str>,
    pub local_updated_at: DateTime<Utc>,
    /// See [`super::made::edit_digest`].
    pub edit_digest: [u8; 32],
    pub sync_version: u64,
    pub position: u64,
    /// The change's number among its scope's events.
    pub scope_seq: u64,
    pub created_at: DateTime<Utc>,
}

/// How the ids of a multi-row insert are learnt back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdAllocation {
    /// One statement's ids are consecutive from `LAST_INSERT_ID()` (InnoDB's auto-increment
    /// lock modes 0 and 1 with an increment of 1; MariaDB's default).
    Consecutive,
    /// Anything else (MySQL 8's default interleaved mode 2): read them back from the first.
    ReadBack,
}

impl IdAllocation {
    pub async fn of_server(pool: &MySqlPool) -> sqlx::Result<IdAllocation> {
        let (lock_mode, increment): (i64, i64) = sqlx::query_as(
            "SELECT CAST(@@innodb_autoinc_lock_mode AS SIGNED), \
                 CAST(@@auto_increment_increment AS SIGNED)",
        )
        .fetch_one(pool)
        .await?;
        Ok(if lock_mode <= 1 && increment == 1 {
            IdAllocation::Consecutive
        } else {
            IdAllocation::ReadBack
        })
    }
}

/// The publish group of each change, in order: the smallest position of the changes that
/// share its scope (one subject, whatever their tables), and how many they are. Ingest
/// publishes a group as one message; the relay re-publishes only whole groups.
fn groups_of(changes: &[QueuedChange<'_>]) -> Vec<(u64, u16)> {
    let mut groups: HashMap<u64, (u64, u16)> = HashMap::new();
    for change in changes {
        let group = groups
            .entry(change.branch_scope)
            .or_insert((change.position, 0));
        group.0 = group.0.min(change.position);
        group.1 += 1;
    }
    changes
        .iter()
        .map(|change| groups[&change.branch_scope])
        .collect()
}

/// Inserts one row per change of `client_id` and returns their ids, in the same order.
pub async fn insert(
    tx: &mut MySqlConnection,
    ids: IdAllocation,
    client_id: u64,
    changes: &[QueuedChange<'_>],
) -> sqlx::Result<Vec<u64>> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO sync_queue (client_id, branch_id, branch_scope, table_name, record_id, operation, \
         source_device_id, local_updated_at, edit_digest, sync_version, position, scope_seq, group_position, \
         group_size, created_at) ",
    );
    query.push_values(
        changes.iter().zip(groups_of(changes)),
        |mut row, (change, (group_position, group_size))| {
            row.push_bind(client_id)
                .push_bind(change.branch_id)
                .push_bind(change.branch_scope)
                .push_bind(change.table.name)
                .push_bind(change.record_id)
                .push_bind(operation_name(change.operation))
                .push_bind(change.source_device_id)
                .push_bind(change.local_updated_at)
                .push_bind(change.edit_digest.to_vec())
                .push_bind(change.sync_version)
                .push_bind(change.position)
                .push_bind(change.scope_seq)
                .push_bind(group_position)
                .push_bind(group_size)
                .push_bind(change.created_at);
        },
    );
    let inserted = query.build().execute(&mut *tx).await?;
    let first = inserted.last_insert_id();
    if ids == IdAllocation::Consecutive {
        return Ok((first..first + changes.len() as u64).collect());
    }
    read_back(tx, client_id, first, changes).await
}

/// The ids of interleaved inserts: they all come after the statement's first one, among few
/// others, and each change has its own position.
async fn read_back(
    tx: &mut MySqlConnection,
    client_id: u64,
    first: u64,
    changes: &[QueuedChange<'_>],
) -> sqlx::Result<Vec<u64>> {
    let positions = changes.iter().map(|change| change.position);
    let (from, to) = (
        positions.clone().min().unwrap_or(0),
        positions.max().unwrap_or(0),
    );
    let rows: Vec<(u64, u64)> = sqlx::query_as(
        "SELECT position, id FROM sync_queue FORCE INDEX (PRIMARY) \
         WHERE id >= ? AND client_id = ? AND position BETWEEN ? AND ?",
    )
    .bind(first)
    .bind(client_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    let ids: HashMap<u64, u64> = rows.into_iter().collect();
    changes
        .iter()
        .map(|change| {
            let position = change.position;
            ids.get(&position).copied().ok_or_else(|| {
                sqlx::Error::Protocol(format!("sync_queue row at {position} not read back"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(scope: u64, table: &str, position: u64) -> QueuedChange<'static> {
        QueuedChange {
            branch_id: 1,
            branch_scope: scope,
            table: crate::registry::lookup(table).expect("a registered table"),
            record_id: "r",
            operation: Operation::Create,
            source_device_id: None,
            local_updated_at: DateTime::UNIX_EPOCH,
            edit_digest: [0; 32],
            sync_version: 1,
            position,
            scope_seq: position,
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_group_is_one_scope_whatever_its_tables_named_by_its_smallest_position() {
        let changes = [
            change(1, "invoices", 12),
            change(0, "products", 11),
            change(1, "invoice_items", 10),
            change(1, "product_stock", 13),
        ];
        assert_eq!(groups_of(&changes), [(10, 3), (11, 1), (10, 3), (10, 3)]);
    }
}
