//! The rows of a write, inserted in its transaction: one per change, with the ids they were
//! given, and one per publish group.

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

/// A publish group: the changes of one write transaction in one scope (one subject, whatever
/// their tables). Ingest publishes a group as one message; the relay re-publishes whole groups.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    first_id: u64,
    last_id: u64,
    branch_scope: u64,
    change_count: u16,
}

/// The groups of `changes`, given their row ids, in the order their scopes first appear.
fn groups_of(changes: &[QueuedChange<'_>], ids: &[u64]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (change, &id) in changes.iter().zip(ids) {
        match groups
            .iter_mut()
            .find(|group| group.branch_scope == change.branch_scope)
        {
            Some(group) => {
                group.first_id = group.first_id.min(id);
                group.last_id = group.last_id.max(id);
                group.change_count += 1;
            }
            None => groups.push(Group {
                first_id: id,
                last_id: id,
                branch_scope: change.branch_scope,
                change_count: 1,
            }),
        }
    }
    groups
}

/// Inserts one row per change of `client_id`, and one `sync_groups` row per scope they touch
/// (changes of one scope are expected together, so that their rows are), and returns the
/// rows' ids, in the same order.
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
         source_device_id, local_updated_at, edit_digest, sync_version, position, scope_seq, created_at) ",
    );
    query.push_values(changes, |mut row, change| {
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
            .push_bind(change.created_at);
    });
    let inserted = query.build().execute(&mut *tx).await?;
    let first = inserted.last_insert_id();
    let ids = match ids {
        IdAllocation::Consecutive => (first..first + changes.len() as u64).collect(),
        IdAllocation::ReadBack => read_back(tx, client_id, first, changes).await?,
    };
    insert_groups(tx, client_id, &groups_of(changes, &ids)).await?;
    Ok(ids)
}

async fn insert_groups(
    tx: &mut MySqlConnection,
    client_id: u64,
    groups: &[Group],
) -> sqlx::Result<()> {
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO sync_groups (id, last_id, client_id, branch_scope, change_count, created_at) ",
    );
    query.push_values(groups, |mut row, group| {
        row.push_bind(group.first_id)
            .push_bind(group.last_id)
            .push_bind(client_id)
            .push_bind(group.branch_scope)
            .push_bind(group.change_count)
            // The database's clock: the relay's grace counts on it whatever ingest's says.
            .push("UTC_TIMESTAMP(6)");
    });
    query.build().execute(&mut *tx).await?;
    Ok(())
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
    fn a_group_is_one_scope_whatever_its_tables_from_its_first_row_to_its_last() {
        let changes = [
            change(1, "invoices", 12),
            change(1, "invoice_items", 10),
            change(1, "product_stock", 13),
            change(0, "products", 11),
        ];
        let spans: Vec<(u64, u64, u64, u16)> = groups_of(&changes, &[40, 41, 43, 44])
            .iter()
            .map(|g| (g.branch_scope, g.first_id, g.last_id, g.change_count))
            .collect();
        assert_eq!(spans, [(1, 40, 43, 3), (0, 44, 44, 1)]);
    }
}
