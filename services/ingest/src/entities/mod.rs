//! Entity routes for the 31 tables: list, get, create, replace, patch and soft delete.
//!
//! Writes go through the push write path (same transaction with the outbox, same publish),
//! so devices see them in real time and pulls return them. `If-Match` carries the
//! `sync_version` a write expects (412 otherwise); responses carry it as `ETag`. Reads and
//! writes are scoped like pulls; tables in `registry::ADMIN_WRITE` need an admin to write.

pub mod limit;
pub mod list;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::Value;
use shared::ids::RecordId;
use shared::registry::{self, Table};
use shared::wire::sync::{Change, EntityPage, EntityWrite};
use shared::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::scope::CallerScope;
use crate::store::write::{self, Author, Mode, Outcome};
use crate::store::{read, Edit, StoredRecord};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{table}", get(list_records).post(create))
        .route(
            "/api/{table}/{id}",
            get(get_record).put(replace).patch(patch).delete(remove),
        )
}

fn table(name: &str) -> Result<&'static Table, ApiError> {
    registry::lookup(name).ok_or_else(|| ApiError::NotFound(format!("no table {name:?}")))
}

fn record_id(text: &str) -> Result<RecordId, ApiError> {
    RecordId::parse(text).map_err(|err| ApiError::BadRequest(err.to_string()))
}

fn writable(scope: &CallerScope, table: &Table) -> Result<(), ApiError> {
    if scope.may_write(table) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "writing {} needs an admin",
            table.name
        )))
    }
}

/// The `sync_version` in `If-Match` (`"3"` or `3`), if any.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    text.parse()
        .map(Some)
        .map_err(|_| ApiError::BadRequest("If-Match must be the record's sync_version".into()))
}

fn respond(status: StatusCode, record: &StoredRecord) -> Response {
    let mut response = (status, Json(record.to_change())).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", record.sync_version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The visible, not deleted record, or 404.
async fn visible(
    state: &AppState,
    scope: &CallerScope,
    table: &'static Table,
    id: &RecordId,
) -> Result<StoredRecord, ApiError> {
    read::get(&state.pool, scope.client_id, table, id.as_str())
        .await?
        .filter(|record| scope.sees(record.branch_scope) && !record.is_deleted)
        .ok_or_else(|| ApiError::NotFound(format!("no {} record {id}", table.name)))
}

#[utoipa::path(get, path = "/api/{table}", tag = "entities", security(("bearer" = [])),
    params(("table" = String, Path, description = "one of the 31 table names"),
        ("page_size" = Option<u32>, Query, description = "1 to 200, default 50"),
        ("cursor" = Option<String>, Query, description = "from next_cursor"),
        ("deleted" = Option<String>, Query, description = "false (default), true or any"),
        ("updated_since" = Option<String>, Query, description = "RFC 3339")),
    responses(
        (status = 200, description = "a page of records", body = EntityPage),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 429, description = "rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
    ))]
pub async fn list_records(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<EntityPage>, ApiError> {
    Ok(Json(
        list::page(&state.pool, &caller.into(), table(&name)?, &query).await?,
    ))
}

#[utoipa::path(get, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id")),
    responses(
        (status = 200, description = "the record; ETag is its sync_version", body = Change),
        (status = 400, description = "bad input", body = ErrorBody),
        (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
        (status = 404, description = "not found", body = ErrorBody),
        (status = 429, description = "rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "a dependency is down", body = ErrorBody),
    ))]
pub async fn get_record(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let record = visible(&state, &caller.into(), table(&name)?, &record_id(&id)?).await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(post, path = "/api/{table}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names")), request_body = EntityWrite,
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
    ApiJson(body): ApiJson<EntityWrite>,
) -> Result<Response, ApiError> {
    let (scope, table) = (CallerScope::from(caller), table(&name)?);
    writable(&scope, table)?;
    let id = match body.record_id.as_deref() {
        Some(id) => record_id(id)?,
        None => record_id(&uuid::Uuid::new_v4().to_string())?,
    };
    let record = save(
        &state,
        &scope,
        table,
        &id,
        Some(body.data),
        false,
        Mode::CreateOnly,
    )
    .await?;
    Ok(respond(StatusCode::CREATED, &record))
}

#[utoipa::path(put, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects")), request_body = EntityWrite,
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
    writable(&scope, table)?;
    let expected = match if_match(&headers)? {
        Some(version) => version,
        None => visible(&state, &scope, table, &id).await?.sync_version,
    };
    let record = save(
        &state,
        &scope,
        table,
        &id,
        Some(body.data),
        false,
        Mode::Expect(expected),
    )
    .await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(patch, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects")), request_body = EntityWrite,
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
        &scope,
        table,
        &id,
        Some(merged),
        false,
        Mode::Expect(current.sync_version),
    )
    .await?;
    Ok(respond(StatusCode::OK, &record))
}

#[utoipa::path(delete, path = "/api/{table}/{id}", tag = "entities", security(("bearer" = [])), params(("table" = String, Path, description = "one of the 31 table names"), ("id" = String, Path, pattern = "^[A-Za-z0-9_.:-]{1,64}$", description = "record id"), ("If-Match" = Option<String>, Header, description = "the sync_version the write expects")),
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
    writable(&scope, table)?;
    let expected = match if_match(&headers)? {
        Some(version) => version,
        None => visible(&state, &scope, table, &id).await?.sync_version,
    };
    let record = save(
        &state,
        &scope,
        table,
        &id,
        None,
        true,
        Mode::Expect(expected),
    )
    .await?;
    Ok(respond(StatusCode::OK, &record))
}

/// Validates and writes one edit through the write path, then publishes it.
async fn save(
    state: &AppState,
    scope: &CallerScope,
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
        local_updated_at: Utc::now(),
        base_version: None,
    };
    let author = Author {
        scope: *scope,
        device: None,
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
