//! `POST /api/sync/resolve-conflict`: keep the server's version, or write the device's over
//! the version the conflict showed (a record that moved on since is a new conflict).

use axum::extract::State;
use axum::Json;
use chrono::SubsecRound;
use shared::ids::{DeviceId, RecordId};
use shared::registry::{self, Table};
use shared::wire::sync::{Conflict, Resolution, ResolveMovedOn, ResolveRequest, ResolveResponse};

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::record::{Author, Edit, Mode, Outcome, StoredRecord};
use crate::responses;
use crate::scope::CallerScope;
use crate::state::AppState;
use crate::store::{read, write};

#[utoipa::path(post, path = "/api/sync/resolve-conflict", tag = "sync", request_body = ResolveRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "the record as the server now holds it", body = ResolveResponse),
        responses::BadInput,
        responses::Unauthenticated,
        responses::OutOfScope,
        responses::NotFound,
        (status = 409, description = "accept_client: the record moved on after the conflict; the new conflict", body = ResolveMovedOn),
        responses::TooLarge,
        responses::NotJson,
        responses::InvalidData,
        responses::Unavailable,
    ))]
pub async fn resolve_conflict(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<ResolveRequest>,
) -> Result<Json<ResolveResponse>, ApiError> {
    let scope = CallerScope::from(caller);
    let table = registry::lookup(&request.table_name)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown table {:?}", request.table_name)))?;
    let record_id =
        RecordId::parse(&request.record_id).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    let not_found = || {
        ApiError::NotFound(format!(
            "no {} record {record_id} in your scope",
            table.name
        ))
    };

    let record = match request.resolution {
        Resolution::AcceptServer => {
            read::get(state.pool(), scope.client_id, table, record_id.as_str())
                .await?
                .filter(|record| scope.sees(record.branch_scope))
                .ok_or_else(not_found)?
        }
        Resolution::AcceptClient => {
            let written = accept_client(&state, scope, table, &record_id, request).await?;
            written.ok_or_else(not_found)?
        }
    };
    Ok(Json(ResolveResponse {
        success: true,
        record: record.to_change(),
    }))
}

/// Writes the device's data over the server version the conflict showed; `None` when the
/// record is not in the caller's scope.
async fn accept_client(
    state: &AppState,
    scope: CallerScope,
    table: &'static Table,
    record_id: &RecordId,
    request: ResolveRequest,
) -> Result<Option<StoredRecord>, ApiError> {
    if !scope.may_write(table) {
        return Err(ApiError::Forbidden(format!(
            "writing {} needs an admin",
            table.name
        )));
    }
    let bad = |message: &str| ApiError::BadRequest(message.to_owned());
    let data = request
        .client_data
        .ok_or_else(|| bad("client_data is required to accept the client's version"))?;
    let seen = request.sync_version.ok_or_else(|| {
        bad("sync_version is required to accept the client's version: the server version the conflict showed")
    })?;
    let device = match request.device_id.as_deref() {
        Some(id) => Some(DeviceId::parse(id).map_err(|err| bad(&err.to_string()))?),
        None => None,
    };
    table
        .validate(&data)
        .map_err(|err| ApiError::Unprocessable(err.0))?;
    let edit = Edit {
        table,
        record_id: record_id.clone(),
        data: Some(data),
        is_deleted: false,
        local_updated_at: shared::clock::now().trunc_subsecs(6),
        base_version: None,
        increments: Vec::new(),
        edit_id: None,
    };
    let author = Author {
        scope,
        device: device.as_ref().map(DeviceId::as_str),
        placed_in: None,
    };
    let written = write::write(
        &state.store,
        author,
        std::slice::from_ref(&edit),
        Mode::Expect(seen),
    )
    .await?;
    state.publisher.submit(written.events);
    match written.outcomes.into_iter().next() {
        Some(Outcome::Applied { record, .. }) => Ok(Some(record)),
        // A retry of this resolution whose answer was lost: it is the version now.
        Some(Outcome::Conflict(current)) if is_own_resolution(&current, &author, &edit) => {
            Ok(Some(current))
        }
        Some(Outcome::Conflict(current)) => Err(ApiError::MovedOn(Box::new(Conflict {
            table_name: table.name.to_owned(),
            record_id: current.record_id,
            local_data: edit.data.unwrap_or_default(),
            server_data: current.data,
            local_updated_at: edit.local_updated_at,
            server_updated_at: current.server_updated_at,
            sync_version: current.sync_version,
            server_is_deleted: current.is_deleted,
        }))),
        _ => Ok(None),
    }
}

fn is_own_resolution(current: &StoredRecord, author: &Author<'_>, edit: &Edit) -> bool {
    author.device.is_some()
        && current.updated_by_device.as_deref() == author.device
        && !current.is_deleted
        && edit.data.as_ref() == Some(&current.data)
}
