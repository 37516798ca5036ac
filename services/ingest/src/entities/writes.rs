//! The entity routes that write: create, replace, patch and soft delete, each one edit
//! through the push write path with its mode (`If-Match`, create-only).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::SubsecRound;
use serde_json::Value;
use shared::ids::{DeviceId, RecordId};
use shared::registry::Table;
use shared::wire::sync::{Change, EntityPatch, EntityWrite};
use shared::wire::ErrorBody;

use super::placement::{self, EntityCreate};
use super::request::{device, if_match, record_id, respond, table, visible, writable};
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::record::{Author, Edit, Mode, Outcome, StoredRecord};
use crate::responses;
use crate::scope::CallerScope;
use crate::state::AppState;
use crate::store::write;

#[utoipa::path(post, path = "/api/{table}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")), request_body = EntityCreate,
    responses(
        (status = 201, description = "created", body = Change),
        responses::BadInput,
        responses::Unauthenticated,
        responses::OutOfScope,
        responses::NotFound,
        (status = 409, description = "exists already", body = ErrorBody),
        responses::TooLarge,
        responses::NotJson,
        responses::InvalidData,
        responses::RateLimited,
        responses::Unavailable,
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
    let author = Author {
        placed_in,
        ..author(scope, &device)
    };
    let edit = edit(table, &id, Some(body.data), false);
    let record = save(&state, author, edit, Mode::CreateOnly).await?;
    Ok(respond(StatusCode::CREATED, &record))
}

#[utoipa::path(put, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")), request_body = EntityWrite,
    responses(
        (status = 200, description = "replaced", body = Change),
        responses::BadInput,
        responses::Unauthenticated,
        responses::OutOfScope,
        responses::NotFound,
        responses::VersionMismatch,
        responses::TooLarge,
        responses::NotJson,
        responses::InvalidData,
        responses::RateLimited,
        responses::Unavailable,
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
    let edit = edit(table, &id, Some(body.data), false);
    let record = save(&state, author(scope, &device), edit, Mode::Expect(expected)).await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(patch, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects"), ("Idempotency-Key" = Option<String>, Header, description = "an id made once per change (a UUID), required with increments: a PATCH with a key is applied once, and repeating it answers the record"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")), request_body = EntityPatch,
    responses(
        (status = 200, description = "merged", body = Change),
        responses::BadInput,
        responses::Unauthenticated,
        responses::OutOfScope,
        responses::NotFound,
        responses::VersionMismatch,
        responses::TooLarge,
        responses::NotJson,
        (status = 422, description = "invalid record data or increments", body = ErrorBody),
        responses::RateLimited,
        responses::Unavailable,
    ))]
pub async fn patch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EntityPatch>,
) -> Result<Response, ApiError> {
    let (scope, table, id) = (CallerScope::from(caller), table(&name)?, record_id(&id)?);
    let device = device(&headers)?;
    writable(&scope, table)?;
    let edit_id = idempotency_key(&headers)?;
    let increments = match &body.increments {
        None => Vec::new(),
        Some(_) if edit_id.is_none() => {
            return Err(ApiError::BadRequest(
                "an Idempotency-Key header is required with increments: an id made once per change, such as a UUID"
                    .into(),
            ))
        }
        Some(increments) => table
            .parse_increments(&Value::Object(increments.clone()))
            .map_err(|err| ApiError::Unprocessable(err.0))?,
    };
    let changes = match body.data {
        Some(Value::Object(changes)) => Some(changes),
        None if !increments.is_empty() => None,
        _ => return Err(ApiError::Unprocessable("data must be a JSON object".into())),
    };
    let current = visible(&state, &scope, table, &id).await?;
    let expected = if_match(&headers)?;
    // Increments alone apply over whatever version is current; fields need the one merged.
    let (data, mode) = match changes {
        None => (None, expected.map_or(Mode::Force, Mode::Expect)),
        Some(changes) => {
            let mut merged = current.data.clone();
            if let Value::Object(fields) = &mut merged {
                fields.extend(changes);
            }
            let version = expected.unwrap_or(current.sync_version);
            (Some(merged), Mode::Expect(version))
        }
    };
    let edit = Edit {
        increments,
        edit_id,
        ..edit(table, &id, data, false)
    };
    let record = save(&state, author(scope, &device), edit, mode).await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(delete, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects"), ("X-Device-Id" = Option<String>, Header, description = "the device writing, bound like a push's; its own change is not sent back to it")),
    responses(
        (status = 200, description = "the tombstone", body = Change),
        responses::BadInput,
        responses::Unauthenticated,
        responses::OutOfScope,
        responses::NotFound,
        responses::VersionMismatch,
        responses::RateLimited,
        responses::Unavailable,
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
    let edit = edit(table, &id, None, true);
    let record = save(&state, author(scope, &device), edit, Mode::Expect(expected)).await?;
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

/// An edit made now by an entity route.
fn edit(table: &'static Table, id: &RecordId, data: Option<Value>, is_deleted: bool) -> Edit {
    Edit {
        table,
        record_id: id.clone(),
        data,
        is_deleted,
        local_updated_at: shared::clock::now().trunc_subsecs(6),
        base_version: None,
        increments: Vec::new(),
        edit_id: None,
    }
}

/// The `Idempotency-Key` header, checked like a record id, if any.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<RecordId>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    RecordId::parse(value.to_str().unwrap_or(""))
        .map(Some)
        .map_err(|err| ApiError::BadRequest(format!("Idempotency-Key: {err}")))
}

/// Validates and writes one edit through the write path, then publishes it. An edit whose
/// key was applied before answers the record as it is.
async fn save(
    state: &AppState,
    author: Author<'_>,
    edit: Edit,
    mode: Mode,
) -> Result<StoredRecord, ApiError> {
    let (table, id) = (edit.table, edit.record_id.clone());
    if let Some(data) = &edit.data {
        table
            .validate(data)
            .map_err(|err| ApiError::Unprocessable(err.0))?;
    }
    let written = write::write(&state.store, author, &[edit], mode).await?;
    state.publisher.submit(written.events);
    let not_found = || ApiError::NotFound(format!("no {} record {id}", table.name));
    match written.outcomes.into_iter().next() {
        Some(Outcome::Applied { record, .. } | Outcome::Unchanged(record)) => Ok(record),
        Some(Outcome::Refused(message)) => Err(ApiError::Unprocessable(message)),
        Some(Outcome::Conflict(current)) if mode == Mode::CreateOnly => {
            Err(ApiError::Conflict(format!(
                "{} record {id} exists already (sync_version {})",
                table.name, current.sync_version
            )))
        }
        Some(Outcome::Conflict(current)) if current.is_deleted => Err(not_found()),
        Some(Outcome::Conflict(current)) => Err(ApiError::PreconditionFailed(current.sync_version)),
        Some(Outcome::OtherBranch | Outcome::Missing) | None => Err(not_found()),
    }
}
