//! `GET /api/sync/pull-changes`: the caller's scope in change order, streamed.
//!
//! A page is one `SELECT` of the positions after the cursor, so it reads one committed state:
//! the counter lock orders commits, so the positions committed when it starts are a prefix
//! of the order and a page never passes a change that commits later. A row that moves to a
//! later position while the page is read still comes in the version the page's state holds
//! (a bound taken by an earlier statement would miss it, and a pull to the end would show
//! less than was committed when it began). A `since` pull starts just before the first
//! position changed at or after `since` (`ChangeOrder::position_before`) and keeps the time
//! as a filter. [`page`] reads and streams one page.

mod page;

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::registry::{self, Table};
use shared::wire::sync::PullResponse;
use shared::wire::ErrorBody;

use self::page::Page;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::responses;
use crate::scope::CallerScope;
use crate::state::AppState;
use crate::sync::cursor::{ChangeOrder, Cursor};

/// Changes per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 100;
/// Largest `limit`: a full resync may take a whole scope in one streamed page.
pub const MAX_LIMIT: u64 = 1_000_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// RFC 3339; only without `cursor`.
    since: Option<String>,
    /// Opaque, from `next_cursor`.
    cursor: Option<String>,
    /// Comma-separated table names.
    tables: Option<String>,
    /// 1 to 1000000, default 100.
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/sync/pull-changes", tag = "sync", params(PullQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "changes in change order", body = PullResponse),
        responses::BadInput,
        responses::Unauthenticated,
        (status = 410, description = "cursor cannot be served: resync from scratch", body = ErrorBody),
        responses::Unavailable,
    ))]
pub async fn pull_changes(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Response, ApiError> {
    let scope = CallerScope::from(caller);
    let limit = parse_limit(query.limit.as_deref())?;
    let tables = parse_tables(query.tables.as_deref())?;
    let start = parse_start(query.cursor.as_deref(), query.since.as_deref())?;
    let order = ChangeOrder::read(state.pool(), scope.client_id).await?;
    // The next cursor's floor: a resync from scratch or a served cursor has everything the
    // compaction floor left; a `since` pull does not, so its cursors get none.
    let (after, since, floor) = match start {
        Start::Cursor(cursor) => (order.check(&cursor)?, None, order.retained_from),
        Start::Since(since) => {
            let after = order
                .position_before(state.pool(), scope.client_id, since)
                .await?;
            (after, Some(since), 0)
        }
        Start::Scratch => (0, None, order.retained_from),
    };
    let page = Page {
        client_id: scope.client_id,
        ranges: page::ranges(state.pool(), &scope, tables).await?,
        after,
        last_position: order.last_position,
        since,
        limit,
        floor,
        epoch: order.epoch,
    };
    Ok(page::stream(state.pool().clone(), page))
}

/// Where a pull starts.
enum Start {
    Cursor(Cursor),
    /// Changes whose `server_updated_at` is at or after this time.
    Since(DateTime<Utc>),
    Scratch,
}

/// With a cursor, `since` is ignored: the cursor is exact, a time is not.
fn parse_start(cursor: Option<&str>, since: Option<&str>) -> Result<Start, ApiError> {
    let cursor = Cursor::from_param(cursor).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    if let Some(cursor) = cursor {
        return Ok(Start::Cursor(cursor));
    }
    match since.filter(|s| !s.is_empty()) {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|since| Start::Since(shared::times::clamp_filter_time(since.with_timezone(&Utc))))
            .map_err(|_| ApiError::BadRequest("since must be an RFC 3339 date-time".into())),
        None => Ok(Start::Scratch),
    }
}

fn parse_limit(text: Option<&str>) -> Result<u64, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(DEFAULT_LIMIT);
    };
    text.parse::<u64>()
        .ok()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "limit must be a whole number from 1 to {MAX_LIMIT}"
            ))
        })
}

fn parse_tables(text: Option<&str>) -> Result<Option<Vec<&'static Table>>, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let mut tables: Vec<&'static Table> = Vec::new();
    for name in text.split(',').map(str::trim) {
        let table = registry::lookup(name)
            .ok_or_else(|| ApiError::BadRequest(format!("unknown table {name:?} in tables")))?;
        if !tables.iter().any(|seen| seen.name == table.name) {
            tables.push(table);
        }
    }
    Ok(Some(tables))
}
