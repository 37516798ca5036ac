//! What entity requests share: the table and record id of the path, the `X-Device-Id` and
//! `If-Match` headers, the visible record, and a record answered with its `ETag`.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::ids::{DeviceId, RecordId};
use shared::registry::{self, Table};

use crate::error::ApiError;
use crate::record::StoredRecord;
use crate::scope::CallerScope;
use crate::state::AppState;
use crate::store::read;

pub(super) fn table(name: &str) -> Result<&'static Table, ApiError> {
    registry::lookup(name).ok_or_else(|| ApiError::NotFound(format!("no table {name:?}")))
}

pub(super) fn record_id(text: &str) -> Result<RecordId, ApiError> {
    RecordId::parse(text).map_err(|err| ApiError::BadRequest(err.to_string()))
}

pub(super) fn writable(scope: &CallerScope, table: &Table) -> Result<(), ApiError> {
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
pub(super) fn device(headers: &HeaderMap) -> Result<Option<DeviceId>, ApiError> {
    let Some(value) = headers.get("x-device-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    DeviceId::parse(text)
        .map(Some)
        .map_err(|err| ApiError::BadRequest(format!("X-Device-Id: {err}")))
}

/// The `sync_version` in `If-Match` (`"3"` or `3`), if any.
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
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

pub(super) fn respond(status: StatusCode, record: &StoredRecord) -> Response {
    let mut response = (status, Json(record.to_change())).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", record.sync_version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The visible, not deleted record, or 404.
pub(super) async fn visible(
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
