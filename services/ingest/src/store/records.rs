//! The versions a write decided, into `records`.

use sqlx::{MySql, MySqlConnection, QueryBuilder};

use crate::record::Applied;

/// Writes each record's last version; a record is owned by the branch of its last writer.
pub async fn upsert(
    tx: &mut MySqlConnection,
    client_id: u64,
    versions: &[&Applied<'_>],
) -> sqlx::Result<()> {
    let mut query = QueryBuilder::<MySql>::new(
        "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, data, \
         is_deleted, sync_version, position, local_updated_at, server_updated_at, updated_by_device, \
         created_at) ",
    );
    query.push_values(versions, |mut row, version| {
        let record = &version.record;
        row.push_bind(client_id)
            .push_bind(record.table.name)
            .push_bind(&record.record_id)
            .push_bind(record.branch_scope)
            .push_bind(version.author.scope.branch_id)
            .push_bind(record.data.to_string())
            .push_bind(record.is_deleted)
            .push_bind(record.sync_version)
            .push_bind(record.position)
            .push_bind(record.local_updated_at)
            .push_bind(record.server_updated_at)
            .push_bind(&record.updated_by_device)
            .push_bind(record.server_updated_at);
    });
    query.push(
        " ON DUPLICATE KEY UPDATE origin_branch_id = VALUES(origin_branch_id), data = VALUES(data), \
         is_deleted = VALUES(is_deleted), sync_version = VALUES(sync_version), position = VALUES(position), \
         local_updated_at = VALUES(local_updated_at), server_updated_at = VALUES(server_updated_at), \
         updated_by_device = VALUES(updated_by_device)",
    );
    query.build().execute(&mut *tx).await?;
    Ok(())
}
