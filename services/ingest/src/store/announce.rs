//! What a write tells the rest of the system: one sync queue row per version it wrote, and
//! the change events published once it commits.

use shared::stream::Outgoing;
use shared::subject::Subjects;
use shared::sync_queue::insert::QueuedChange;
use shared::sync_queue::made::edit_digest;
use shared::wire::socket::ChangeEvent;

use crate::record::Applied;

/// The sync queue row of each applied version, with its scope number from `seqs`.
pub fn queued<'a>(applied: &'a [Applied<'a>], seqs: &[u64]) -> Vec<QueuedChange<'a>> {
    applied
        .iter()
        .zip(seqs)
        .map(|(version, &scope_seq)| {
            let record = &version.record;
            QueuedChange {
                branch_id: version.author.scope.branch_id,
                branch_scope: record.branch_scope,
                table: record.table,
                record_id: &record.record_id,
                operation: version.operation,
                source_device_id: version.author.device,
                local_updated_at: record.local_updated_at,
                edit_digest: edit_digest(record.table, record.is_deleted, Some(&record.data)),
                sync_version: record.sync_version,
                position: record.position,
                scope_seq,
                created_at: record.server_updated_at,
            }
        })
        .collect()
}

/// The messages to publish: the events of the applied versions (with their queue row ids
/// and scope numbers), grouped by subject.
pub fn events(
    subjects: &Subjects,
    applied: &[Applied<'_>],
    ids: &[u64],
    seqs: &[u64],
) -> Vec<Outgoing> {
    Outgoing::groups(
        applied
            .iter()
            .zip(ids)
            .zip(seqs)
            .map(|((version, &id), &seq)| {
                let (subject, event) = event_for(subjects, version, seq);
                (id, subject, event)
            })
            .collect(),
    )
}

/// The change event of an applied version and the subject it is published on.
fn event_for(subjects: &Subjects, version: &Applied<'_>, scope_seq: u64) -> (String, ChangeEvent) {
    let record = &version.record;
    let client_id = version.author.scope.client_id;
    let event = ChangeEvent {
        table_name: record.table.name.to_owned(),
        record_id: record.record_id.clone(),
        operation: version.operation,
        data: record.data.clone(),
        is_deleted: record.is_deleted,
        sync_version: record.sync_version,
        server_updated_at: record.server_updated_at,
        client_id,
        branch_id: record.branch_scope,
        position: record.position,
        scope_seq,
        source_device_id: version.author.device.map(str::to_owned),
    };
    let subject = subjects.change(client_id, record.branch_scope, record.table);
    (subject, event)
}
