//! `GET /api/sync/checksums`: per table of the caller's scope, its stored records and their
//! checksum (`possync_wire::checksums`), read from `record_counts` (kept in the write
//! transaction: at most 62 rows whatever the records), and with the device's cursor whether
//! the scope changed after it, both in one snapshot.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::registry::TABLES;
use shared::storage::Text;
use shared::wire::checksums::{ChecksumsResponse, TableChecksum};
use sqlx::{MySql, MySqlConnection, QueryBuilder};

use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::responses;
use crate::scope::CallerScope;
use crate::state::AppState;
use crate::sync::cursor::{ChangeOrder, Cursor};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecksumsQuery {
    /// The device's cursor after its last pull: the answer says whether the scope changed
    /// after it.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/sync/checksums", tag = "sync", params(ChecksumsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "stored records and checksum per table, in scope", body = ChecksumsResponse),
        responses::BadInput,
        responses::Unauthenticated,
        (status = 410, description = "cursor cannot be served: resync from scratch", body = shared::wire::ErrorBody),
        responses::Unavailable,
    ))]
pub async fn checksums(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<ChecksumsQuery>,
) -> Result<Json<ChecksumsResponse>, ApiError> {
    let scope = CallerScope::from(caller);
    let cursor = Cursor::from_param(query.cursor.as_deref())
        .map_err(|err| ApiError::BadRequest(err.to_string()))?;
    let after = match cursor {
        Some(cursor) => {
            let order = ChangeOrder::read(state.pool(), scope.client_id).await?;
            Some(order.check(&cursor)?)
        }
        None => None,
    };
    // One snapshot: the sums and the probe after the cursor see the same commits.
    let mut tx = state.pool().begin().await?;
    let sums = sums_by_table(&mut tx, &scope).await?;
    let changed_since_cursor = match after {
        Some(position) => Some(changed_after(&mut tx, &scope, position).await?),
        None => None,
    };
    tx.commit().await?;
    let tables = TABLES
        .iter()
        .map(|table| {
            let (record_count, checksum) = sums.get(table.name).copied().unwrap_or((0, 0));
            TableChecksum {
                table_name: table.name.to_owned(),
                record_count,
                checksum,
            }
        })
        .collect();
    Ok(Json(ChecksumsResponse {
        changed_since_cursor,
        tables,
    }))
}

/// Stored records and checksum (modulo 2^32) per table, over the scopes the caller sees.
async fn sums_by_table(
    tx: &mut MySqlConnection,
    scope: &CallerScope,
) -> sqlx::Result<HashMap<String, (u64, u32)>> {
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT table_name, CAST(SUM(stored_count) AS SIGNED), \
         CAST(SUM(checksum) % 4294967296 AS UNSIGNED) FROM record_counts WHERE client_id = ",
    );
    query.push_bind(scope.client_id);
    scope.push_filter(&mut query, "branch_scope");
    query.push(" GROUP BY table_name");
    let rows: Vec<(Text, i64, u64)> = query.build_query_as().fetch_all(&mut *tx).await?;
    Ok(rows
        .into_iter()
        .map(|(table, stored, checksum)| (table.0, (stored.max(0) as u64, checksum as u32)))
        .collect())
}

/// Whether a record the caller sees sits after `position` (changed after a cursor there).
async fn changed_after(
    tx: &mut MySqlConnection,
    scope: &CallerScope,
    position: u64,
) -> sqlx::Result<bool> {
    let mut query = QueryBuilder::<MySql>::new(if scope.whole_client {
        "SELECT 1 FROM records FORCE INDEX (records_in_client_order) WHERE client_id = "
    } else {
        "SELECT 1 FROM records FORCE INDEX (records_in_scope_order) WHERE client_id = "
    });
    query.push_bind(scope.client_id);
    scope.push_filter(&mut query, "branch_scope");
    query
        .push(" AND position > ")
        .push_bind(position)
        .push(" LIMIT 1");
    let found: Option<i32> = query.build_query_scalar().fetch_optional(&mut *tx).await?;
    Ok(found.is_some())
}
