//! Entity routes for the 31 tables: list, get, create, replace, patch and soft delete.
//!
//! Writes go through the push write path (same transaction with the outbox, same publish),
//! so devices see them in real time and pulls return them. `If-Match` carries the
//! `sync_version` a write expects (412 otherwise); responses carry it as `ETag`. Reads and
//! writes are scoped like pulls; tables in `registry::ADMIN_WRITE` need an admin to write.

pub mod limit;
pub mod list;
pub mod placement;
pub mod writes;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shared::ids::{DeviceId, RecordId};
use shared::registry::{self, Table};
use shared::wire::sync::{Change, EntityPage};
use shared::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::scope::CallerScope;
use crate::store::{read, StoredRecord};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{table}", get(list_records).post(writes::create))
        .route(
            "/api/{table}/{id}",
            get(get_record)
                .put(writes::replace)
                .patch(writes::patch)
                .delete(writes::remove),
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

/// The `X-Device-Id` header: the device a write comes from, bound like a push's device, so
/// its own change is not sent back to it.
fn device(headers: &HeaderMap) -> Result<Option<DeviceId>, ApiError> {
    let Some(value) = headers.get("x-device-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    DeviceId::parse(text)
        .map(Some)
        .map_err(|err| ApiError::BadRequest(format!("X-Device-Id: {err}")))
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
    read::get(state.pool(), scope.client_id, table, id.as_str())
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
        list::page(state.pool(), &caller.into(), table(&name)?, &query).await?,
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
