//! `POST /api/sync/batch-push`: up to 50 edits from one device, applied atomically.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use shared::ids::DeviceId;
use shared::registry;
use shared::wire::sync::{
    Conflict, PushRequest, PushResponse, RecordError, SyncedVersion, MAX_PUSH_RECORDS,
};

use crate::devices;
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::record::{Edit, Mode, Outcome};
use crate::responses;
use crate::scope::CallerScope;
use crate::state::AppState;
use crate::store::group::Submission;
use crate::sync::incoming;

/// The push envelope; records stay raw JSON text so each is parsed and checked on its own.
#[derive(Deserialize)]
pub struct RawPush {
    device_id: String,
    records: Vec<Box<RawValue>>,
}

#[utoipa::path(post, path = "/api/sync/batch-push", tag = "sync", request_body = PushRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "applied, conflicts and per-record errors", body = PushResponse),
        responses::BadInput,
        responses::Unauthenticated,
        responses::OutOfScope,
        responses::TooLarge,
        responses::NotJson,
        responses::Unavailable,
    ))]
pub async fn batch_push(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(push): ApiJson<RawPush>,
) -> Result<Json<PushResponse>, ApiError> {
    if push.records.len() > MAX_PUSH_RECORDS {
        return Err(ApiError::BadRequest(format!(
            "a batch holds at most {MAX_PUSH_RECORDS} records; this one has {}",
            push.records.len()
        )));
    }
    let device =
        DeviceId::parse(&push.device_id).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    let scope = CallerScope::from(caller);
    metrics::histogram!("possync_push_records").record(push.records.len() as f64);

    let mut errors = Vec::new();
    let (mut indices, mut edits) = (Vec::new(), Vec::with_capacity(push.records.len()));
    let received_at = shared::clock::now();
    for (index, raw) in push.records.iter().enumerate() {
        match incoming::parse_raw(index, raw, received_at) {
            Ok(edit) if !scope.may_write(edit.table) => errors.push(RecordError {
                index,
                table_name: Some(edit.table.name.to_owned()),
                record_id: Some(edit.record_id.to_string()),
                message: format!("writing {} needs an admin", edit.table.name),
            }),
            Ok(edit) => {
                indices.push(index);
                edits.push(edit);
            }
            Err(error) => errors.push(error),
        }
    }
    let mut response = PushResponse {
        success: true,
        ..PushResponse::default()
    };
    if edits.is_empty() {
        // Nothing to write: the device is still bound (or refused) and marked seen.
        let mut conn = state.pool().acquire().await?;
        devices::bind(&mut conn, &scope, device.as_str(), received_at, false).await?;
    } else {
        let edits: Arc<[Edit]> = edits.into();
        let submission = Submission {
            scope,
            device: Some(device.as_str().to_owned()),
            edits: edits.clone(),
            mode: Mode::Sync,
        };
        let outcomes = state.committer.write(submission).await?;
        for ((index, edit), outcome) in indices.into_iter().zip(edits.iter()).zip(outcomes) {
            report(&mut response, &mut errors, index, edit, outcome);
        }
    }
    count_per_table(&response.conflicts, &errors);
    errors.sort_by_key(|error| error.index);
    response.errors = errors;
    Ok(Json(response))
}

/// `possync_conflicts_total` and `possync_push_refusals_total` by table; a name outside the
/// registry counts as `unknown`, so a device cannot make up label values.
fn count_per_table(conflicts: &[Conflict], errors: &[RecordError]) {
    let label = |name: Option<&str>| {
        name.and_then(registry::lookup)
            .map_or("unknown", |table| table.name)
    };
    for conflict in conflicts {
        let table = label(Some(&conflict.table_name));
        metrics::counter!("possync_conflicts_total", "table" => table).increment(1);
    }
    for error in errors {
        let table = label(error.table_name.as_deref());
        metrics::counter!("possync_push_refusals_total", "table" => table).increment(1);
    }
}

fn report(
    response: &mut PushResponse,
    errors: &mut Vec<RecordError>,
    index: usize,
    edit: &Edit,
    outcome: Outcome,
) {
    let error = |message: String| RecordError {
        index,
        table_name: Some(edit.table.name.to_owned()),
        record_id: Some(edit.record_id.to_string()),
        message,
    };
    match outcome {
        Outcome::Applied { record, .. } | Outcome::Unchanged(record) => {
            response.synced_count += 1;
            // Devices need the version of the edits they track by id (increments).
            if edit.edit_id.is_some() {
                response.versions.push(SyncedVersion {
                    index,
                    sync_version: record.sync_version,
                });
            }
        }
        Outcome::Refused(message) => errors.push(error(message)),
        // Only `Mode::Expect` reports a missing record; pushes use `Mode::Sync`.
        Outcome::Missing => {}
        Outcome::Conflict(server) => response.conflicts.push(Conflict {
            table_name: edit.table.name.to_owned(),
            record_id: server.record_id,
            local_data: edit.data.clone().unwrap_or(Value::Null),
            server_data: server.data,
            local_updated_at: edit.local_updated_at,
            server_updated_at: server.server_updated_at,
            sync_version: server.sync_version,
            server_is_deleted: server.is_deleted,
        }),
        // The same answer as for an id nobody has: another branch's ids stay unconfirmed.
        Outcome::OtherBranch => errors.push(error(format!(
            "no {} record {} in your scope",
            edit.table.name, edit.record_id
        ))),
    }
}
