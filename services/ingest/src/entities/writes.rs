//! The entity routes that write: create, replace, patch and soft delete, each one edit
//! through the push write path with its mode (`If-Match`, create-only).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{SubsecRound, Utc};
use serde_json::Value;
use shared::ids::{DeviceId, RecordId};
use shared::registry::Table;
use shared::wire::sync::{Change, EntityWrite};
use shared::wire::ErrorBody;

use super::placement::{self, EntityCreate};
use super::{device, if_match, record_id, respond, table, visible, writable};
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::scope::CallerScope;
use crate::store::write::{self, Author, Mode, Outcome};
use crate::store::{Edit, StoredRecord};
use crate::AppState;

#[utoipa::path(post, path = "/api/{table}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")), request_body = EntityCreate,
    responses(
        (status = 201, description = "created", body = Change),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "outside your scope", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 409, description = "exists already", body = ErrorBody),
        (status = 413, description = "body larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "body is not JSON", body = ErrorBody),
        (status = 422, description = "invalid record data", body = ErrorBody),
        (status = 429, description = "rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EntityCreate>,
) -> Result<Response, ApiError> {
    let (scope, table) = (CallerScope::from(caller), table(&name)?);
    let device = device(&headers)?;
    writable(&scope, table)?;
    let placed_in = placement::placed(state.pool(), &scope, table, body.branch_id).await?;
    let id = match body.record_id.as_deref() {
        Some(id) => record_id(id)?,
        None => record_id(&uuid::Uuid::new_v4().to_string())?,
    };
    let record = save(
        &state,
        Author {
            placed_in,
            ..author(scope, &device)
        },
        table,
        &id,
        Some(body.data),
        false,
        Mode::CreateOnly,
    )
    .await?;
    Ok(respond(StatusCode::CREATED, &record))
}

#[utoipa::path(put, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")), request_body = EntityWrite,
    responses(
        (status = 200, description = "replaced", body = Change),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "outside your scope", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 412, description = "If-Match does not match the sync_version", body = ErrorBody),
        (status = 413, description = "body larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "body is not JSON", body = ErrorBody),
        (status = 422, description = "invalid record data", body = ErrorBody),
        (status = 429, description = "rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
    ))]
pub async fn replace(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EntityWrite>,
) -> Result<Response, ApiError> {
    let (scope, table, id) = (CallerScope::from(caller), table(&name)?, record_id(&id)?);
    let device = device(&headers)?;
    writable(&scope, table)?;
    let expected = match if_match(&headers)? {
        Some(version) => version,
        None => visible(&state, &scope, table, &id).await?.sync_version,
    };
    let record = save(
        &state,
        author(scope, &device),
        table,
        &id,
        Some(body.data),
        false,
        Mode::Expect(expected),
    )
    .await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(patch, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")), request_body = EntityWrite,
    responses(
        (status = 200, description = "merged", body = Change),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "outside your scope", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 412, description = "If-Match does not match the sync_version", body = ErrorBody),
        (status = 413, description = "body larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "body is not JSON", body = ErrorBody),
        (status = 422, description = "invalid record data", body = ErrorBody),
        (status = 429, description = "rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EntityWrite>,
) -> Result<Response, ApiError> {
    let (scope, table, id) = (CallerScope::from(caller), table(&name)?, record_id(&id)?);
    let device = device(&headers)?;
    writable(&scope, table)?;
    let Value::Object(changes) = body.data else {
        return Err(ApiError::Unprocessable("data must be a JSON object".into()));
    };
    let current = visible(&state, &scope, table, &id).await?;
    if if_match(&headers)?.is_some_and(|version| version != current.sync_version) {
        return Err(ApiError::PreconditionFailed(current.sync_version));
    }
    let mut merged = current.data.clone();
    if let Value::Object(fields) = &mut merged {
        fields.extend(changes);
    }
    let record = save(
        &state,
        author(scope, &device),
        table,
        &id,
        Some(merged),
        false,
        Mode::Expect(current.sync_version),
    )
    .await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(delete, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")),
    responses(
        (status = 200, description = "the tombstone", body = Change),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "outside your scope", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 412, description = "If-Match does not match the sync_version", body = ErrorBody),
        (status = 429, description = "rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (scope, table, id) = (CallerScope::from(caller), table(&name)?, record_id(&id)?);
    let device = device(&headers)?;
    writable(&scope, table)?;
    let expected = match if_match(&headers)? {
        Some(version) => version,
        None => visible(&state, &scope, table, &id).await?.sync_version,
    };
    let record = save(
        &state,
        author(scope, &device),
        table,
        &id,
        None,
        true,
        Mode::Expect(expected),
    )
    .await?;
    Ok(respond(StatusCode::OK, &record))
}

/// The writer: the caller's scope and the device named by `X-Device-Id`, if any.
fn author(scope: CallerScope, device: &Option<DeviceId>) -> Author<'_> {
    Author {
        scope,
        device: device.as_ref().map(DeviceId::as_str),
        placed_in: None,
    }
}

/// Validates and writes one edit through the write path, then publishes it.
async fn save(
    state: &AppState,
    author: Author<'_>,
    table: &'static Table,
    id: &RecordId,
    data: Option<Value>,
    is_deleted: bool,
    mode: Mode,
) -> Result<StoredRecord, ApiError> {
    if let Some(data) = &data {
        table
            .validate(data)
            .map_err(|err| ApiError::Unprocessable(err.0))?;
    }
    let edit = Edit {
        table,
        record_id: id.clone(),
        data,
        is_deleted,
        local_updated_at: Utc::now().trunc_subsecs(6),
        base_version: None,
    };
    let written = write::write(&state.store, author, &[edit], mode).await?;
    state.publisher.submit(written.events);
    let not_found = || ApiError::NotFound(format!("no {} record {id}", table.name));
    match written.outcomes.into_iter().next() {
        Some(Outcome::Applied { record, .. }) => Ok(record),
        Some(Outcome::Conflict(current)) if mode == Mode::CreateOnly => {
            Err(ApiError::Conflict(format!(
                "{} record {id} exists already (sync_version {})",
                table.name, current.sync_version
            )))
        }
        Some(Outcome::Conflict(current)) if current.is_deleted => Err(not_found()),
        Some(Outcome::Conflict(current)) => Err(ApiError::PreconditionFailed(current.sync_version)),
        Some(Outcome::OtherBranch | Outcome::Missing | Outcome::Unchanged(_)) | None => {
            Err(not_found())
        }
    }
}
