//! Entity routes for the 31 tables: list, get, create, replace, patch and soft delete.
//!
//! Writes go through the push write path (same transaction with the sync queue, same publish),
//! so devices see them in real time and pulls return them. `If-Match` carries the
//! `sync_version` a write expects (412 otherwise); responses carry it as `ETag`. Reads and
//! writes are scoped like pulls; tables in `registry::ADMIN_WRITE` need an admin to write.

pub mod limit;
pub mod list;
pub mod placement;
mod request;
pub mod writes;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use shared::wire::sync::{Change, EntityPage};

use self::request::{record_id, respond, table, visible};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::responses;
use crate::state::AppState;

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

#[utoipa::path(get, path = "/api/{table}", tag = "entities", security(("bearer" = [])),
    params(("table" = String, Path, description = "one of the 31 table names"),
        ("page_size" = Option<u32>, Query, description = "1 to 200, default 50"),
        ("cursor" = Option<String>, Query, description = "from next_cursor"),
        ("deleted" = Option<String>, Query, description = "false (default), true or any"),
        ("updated_since" = Option<String>, Query, description = "RFC 3339")),
    responses(
        (status = 200, description = "a page of records", body = EntityPage),
        responses::BadInput,
        responses::Unauthenticated,
        responses::NotFound,
        responses::RateLimited,
        responses::Unavailable,
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
        responses::BadInput,
        responses::Unauthenticated,
        responses::NotFound,
        responses::RateLimited,
        responses::Unavailable,
    ))]
pub async fn get_record(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let record = visible(&state, &caller.into(), table(&name)?, &record_id(&id)?).await?;
    Ok(respond(StatusCode::OK, &record))
}
