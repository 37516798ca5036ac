//! `POST /api/sync/resolve-conflict`: keep the server's version, or write the device's.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use shared::ids::RecordId;
use shared::registry;
use shared::wire::sync::{Resolution, ResolveRequest, ResolveResponse};

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::scope::CallerScope;
use crate::store::write::{self, Author, Mode, Outcome};
use crate::store::{read, Edit};
use crate::AppState;
use shared::wire::ErrorBody;

#[utoipa::path(post, path = "/api/sync/resolve-conflict", tag = "sync", request_body = ResolveRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "the record as the server now holds it", body = ResolveResponse),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "outside your scope", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 413, description = "body larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "body is not JSON", body = ErrorBody),
        (status = 422, description = "invalid record data", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
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
            if !scope.may_write(table) {
                return Err(ApiError::Forbidden(format!(
                    "writing {} needs an admin",
                    table.name
                )));
            }
            let data = request.client_data.ok_or_else(|| {
                ApiError::BadRequest(
                    "client_data is required to accept the client's version".into(),
                )
            })?;
            table
                .validate(&data)
                .map_err(|err| ApiError::Unprocessable(err.0))?;
            let edit = Edit {
                table,
                record_id: record_id.clone(),
                data: Some(data),
                is_deleted: false,
                local_updated_at: Utc::now(),
                base_version: None,
            };
            let author = Author {
                scope,
                device: None,
            };
            let written = write::write(&state.store, author, &[edit], Mode::Force).await?;
            state.publisher.submit(written.events);
            match written.outcomes.into_iter().next() {
                Some(Outcome::Applied { record, .. }) => record,
                _ => return Err(not_found()),
            }
        }
    };
    Ok(Json(ResolveResponse {
        success: true,
        record: record.to_change(),
    }))
}
