//! Publishing state, kept per group (`sync_groups`): groups marked published once JetStream
//! stored their message, and overdue unpublished groups claimed, with their changes, for
//! the janitor's relay.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, MySql, MySqlConnection, QueryBuilder};

use crate::storage::Text;

/// Sets `published_at` on the given groups (by id: a message's id), a thousand per statement.
pub async fn mark_published(conn: &mut MySqlConnection, groups: &[u64]) -> sqlx::Result<()> {
    for chunk in groups.chunks(1000) {
        let mut query = QueryBuilder::<MySql>::new("UPDATE sync_groups SET published_at = ");
        query.push_bind(crate::clock::now()).push(" WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A group's row: as the relay claims it, or retention deletes it.
#[derive(Debug, FromRow)]
pub struct Group {
    /// Its first sync queue id, and the message's id.
    pub id: u64,
    pub last_id: u64,
    pub client_id: u64,
    pub branch_scope: u64,
    pub change_count: u16,
    pub created_at: DateTime<Utc>,
}

/// An unpublished change, as the relay re-publishes it.
#[derive(Debug, FromRow)]
pub struct Unpublished {
    pub id: u64,
    pub client_id: u64,
    pub branch_scope: u64,
    pub table_name: Text,
    pub record_id: Text,
    pub operation: Text,
    pub source_device_id: Option<Text>,
    pub scope_seq: u64,
}

/// Overdue groups claimed by one relay round, and whether more may be waiting.
pub struct Claimed {
    pub groups: Vec<Group>,
    /// The round was cut by its size: another round may find more.
    pub more: bool,
}

/// Claims the oldest groups unpublished for longer than `grace`, as many as hold at most
/// `most_changes` changes (at least one group), with `FOR UPDATE SKIP LOCKED`: two janitors
/// take different groups, and a janitor that dies before commit leaves them unpublished.
/// Groups are locked [`CLAIM_PAGE`] at a time, so a round locks at most that many it does
/// not publish.
pub async fn claim_overdue(
    tx: &mut MySqlConnection,
    grace: Duration,
    most_changes: u32,
) -> sqlx::Result<Claimed> {
    // The database's clock, as for `created_at`: a janitor whose clock is off by minutes
    // neither re-publishes what ingest is publishing nor waits minutes longer.
    let grace_us = grace.as_micros() as u64;
    let mut groups: Vec<Group> = Vec::new();
    let mut changes = 0;
    loop {
        // Pages of groups after the last one taken, so a round locks little beyond what it
        // publishes (ingest's publisher may be marking the others).
        let after = groups.last().map_or(0, |group| group.id);
        let page: Vec<Group> = sqlx::query_as(
            "SELECT id, last_id, client_id, branch_scope, change_count, created_at FROM sync_groups \
             WHERE published_at IS NULL AND id > ? \
             AND created_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND \
             ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
        )
        .bind(after)
        .bind(grace_us)
        .bind(CLAIM_PAGE)
        .fetch_all(&mut *tx)
        .await?;
        let full_page = page.len() == CLAIM_PAGE as usize;
        for group in page {
            changes += u32::from(group.change_count);
            if changes > most_changes && !groups.is_empty() {
                return Ok(Claimed { groups, more: true });
            }
            groups.push(group);
        }
        if !full_page {
            return Ok(Claimed {
                groups,
                more: false,
            });
        }
    }
}

/// Groups claimed per statement.
const CLAIM_PAGE: u32 = 20;

/// The changes of `groups`, in id order.
pub async fn changes_of(
    tx: &mut MySqlConnection,
    groups: &[Group],
) -> sqlx::Result<Vec<Unpublished>> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT id, client_id, branch_scope, table_name, record_id, CAST(operation AS CHAR) AS operation, \
         source_device_id, scope_seq FROM sync_queue WHERE ",
    );
    push_spans(&mut query, groups);
    query.push(" ORDER BY id");
    query.build_query_as().fetch_all(&mut *tx).await
}

/// Where the groups' sync queue rows are, `(id BETWEEN … AND client_id = … AND branch_scope =
/// …) OR …`: primary key ranges, narrowed to each group's client and scope (the server may
/// give other clients' rows ids in between).
pub fn push_spans(query: &mut QueryBuilder<'_, MySql>, groups: &[Group]) {
    let mut ranges = query.separated(" OR ");
    for group in groups {
        ranges
            .push("(id BETWEEN ")
            .push_bind_unseparated(group.id)
            .push_unseparated(" AND ")
            .push_bind_unseparated(group.last_id)
            .push_unseparated(" AND client_id = ")
            .push_bind_unseparated(group.client_id)
            .push_unseparated(" AND branch_scope = ")
            .push_bind_unseparated(group.branch_scope)
            .push_unseparated(")");
    }
}
