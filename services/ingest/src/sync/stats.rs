//! `GET /api/sync/stats`: pending sync queue rows, last sync and live records per table, in scope.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::registry::TABLES;
use shared::storage::Text;
use shared::sync_queue::backlog;
use shared::wire::sync::{StatsResponse, TableStat};
use sqlx::{MySql, QueryBuilder};

use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::responses;
use crate::scope::CallerScope;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The calling device; without it `last_sync_at` is the latest of any device in scope.
    device_id: Option<String>,
}

#[utoipa::path(get, path = "/api/sync/stats", tag = "sync", params(StatsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "sync queue backlog, last sync, live records per table", body = StatsResponse),
        responses::BadInput,
        responses::Unauthenticated,
        responses::Unavailable,
    ))]
pub async fn stats(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<StatsResponse>, ApiError> {
    let scope = CallerScope::from(caller);
    let pool = state.pool();

    let scopes = scope.visible_scopes();
    let pending_queue_count =
        backlog::unpublished_of(pool, scope.client_id, scopes.as_ref().map(|s| &s[..])).await?;

    let mut last_sync =
        QueryBuilder::<MySql>::new("SELECT MAX(last_sync_at) FROM devices WHERE client_id = ");
    last_sync.push_bind(scope.client_id);
    if !scope.whole_client {
        last_sync
            .push(" AND branch_id = ")
            .push_bind(scope.branch_id);
    }
    if let Some(device_id) = query.device_id.as_deref().filter(|d| !d.is_empty()) {
        last_sync.push(" AND device_id = ").push_bind(device_id);
    }
    let last_sync_at: Option<DateTime<Utc>> =
        last_sync.build_query_scalar().fetch_one(pool).await?;

    let mut counts = QueryBuilder::<MySql>::new(
        "SELECT table_name, CAST(SUM(live_count) AS SIGNED) FROM record_counts WHERE client_id = ",
    );
    counts.push_bind(scope.client_id);
    scope.push_filter(&mut counts, "branch_scope");
    counts.push(" GROUP BY table_name");
    let rows: Vec<(Text, i64)> = counts.build_query_as().fetch_all(pool).await?;
    let by_table: HashMap<String, i64> = rows
        .into_iter()
        .map(|(name, count)| (name.0, count))
        .collect();
    let tables_stats = TABLES
        .iter()
        .map(|table| TableStat {
            table_name: table.name.to_owned(),
            record_count: by_table.get(table.name).copied().unwrap_or(0).max(0) as u64,
        })
        .collect();

    Ok(Json(StatsResponse {
        pending_queue_count: pending_queue_count as u64,
        last_sync_at,
        tables_stats,
    }))
}
