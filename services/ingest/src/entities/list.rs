//! `GET /api/{table}`: the caller's records of a table, in `record_id` order, paged.
//!
//! Query: `page_size` (1–200, default 50), `cursor` (from `next_cursor`), `deleted`
//! (`false` by default, `true`, or `any`), `updated_since` (RFC 3339), and equality on any
//! field the table declares (`?category_id=c1`). The page reads the primary key range
//! `(client, table, record_id > cursor)`, so its cost follows the page, not the table.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use shared::registry::{Scope, Table};
use shared::wire::sync::EntityPage;
use sqlx::{MySql, MySqlPool, QueryBuilder};

use crate::error::ApiError;
use crate::scope::CallerScope;
use crate::store::read;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// A checked list request.
struct Filters<'q> {
    page_size: u32,
    after: Option<String>,
    deleted: Option<bool>,
    updated_since: Option<DateTime<Utc>>,
    fields: Vec<(&'static str, &'q str)>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

/// Names every filter `table` takes: the paging ones and the fields it declares.
fn not_a_filter(table: &Table, name: &str) -> ApiError {
    let fields = table.fields.iter().map(|field| field.name);
    let filters: Vec<&str> = ["page_size", "cursor", "deleted", "updated_since"]
        .into_iter()
        .chain(fields)
        .collect();
    bad(format!(
        "{name} is not a filter of {}; its filters: {}",
        table.name,
        filters.join(", ")
    ))
}

fn parse<'q>(
    table: &'static Table,
    query: &'q HashMap<String, String>,
) -> Result<Filters<'q>, ApiError> {
    let mut filters = Filters {
        page_size: DEFAULT_PAGE_SIZE,
        after: None,
        deleted: Some(false),
        updated_since: None,
        fields: vec![],
    };
    for (key, value) in query {
        match key.as_str() {
            "page_size" => {
                filters.page_size = value
                    .parse()
                    .ok()
                    .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
                    .ok_or_else(|| {
                        bad(format!(
                            "page_size must be a whole number from 1 to {MAX_PAGE_SIZE}"
                        ))
                    })?
            }
            "cursor" if !value.is_empty() => {
                let bytes = URL_SAFE_NO_PAD
                    .decode(value)
                    .map_err(|_| bad("cursor is not one this server issued"))?;
                let after = String::from_utf8(bytes)
                    .ok()
                    .and_then(|text| shared::ids::RecordId::parse(&text).ok())
                    .ok_or_else(|| bad("cursor is not one this server issued"))?;
                filters.after = Some(after.as_str().to_owned());
            }
            "cursor" => {}
            "deleted" => {
                filters.deleted = match value.as_str() {
                    "false" => Some(false),
                    "true" => Some(true),
                    "any" => None,
                    _ => return Err(bad("deleted must be false, true or any")),
                }
            }
            "updated_since" => {
                let since = DateTime::parse_from_rfc3339(value)
                    .map_err(|_| bad("updated_since must be an RFC 3339 date-time"))?;
                filters.updated_since =
                    Some(shared::times::clamp_filter_time(since.with_timezone(&Utc)));
            }
            name => {
                let field = table.field(name).ok_or_else(|| not_a_filter(table, name))?;
                filters.fields.push((field.name, value.as_str()));
            }
        }
    }
    Ok(filters)
}

pub async fn page(
    pool: &MySqlPool,
    scope: &CallerScope,
    table: &'static Table,
    query: &HashMap<String, String>,
) -> Result<EntityPage, ApiError> {
    let filters = parse(table, query)?;
    let mut sql = QueryBuilder::<MySql>::new(format!(
        "SELECT {} FROM records WHERE client_id = ",
        read::COLUMNS
    ));
    sql.push_bind(scope.client_id)
        .push(" AND table_name = ")
        .push_bind(table.name);
    if !scope.whole_client {
        let branch_scope = match table.scope {
            Scope::Branch => scope.branch_id,
            Scope::Client => crate::scope::SHARED_SCOPE,
        };
        sql.push(" AND branch_scope = ").push_bind(branch_scope);
    }
    if let Some(deleted) = filters.deleted {
        sql.push(" AND is_deleted = ").push_bind(deleted);
    }
    if let Some(since) = filters.updated_since {
        sql.push(" AND server_updated_at >= ").push_bind(since);
    }
    for (field, value) in &filters.fields {
        sql.push(" AND JSON_UNQUOTE(JSON_EXTRACT(data, ")
            .push_bind(format!("$.{field}"))
            .push(")) = ")
            .push_bind(*value);
    }
    if let Some(after) = &filters.after {
        sql.push(" AND record_id > ").push_bind(after.as_str());
    }
    sql.push(" ORDER BY record_id LIMIT ")
        .push_bind(filters.page_size + 1);
    let rows = sql.build().fetch_all(pool).await?;
    let mut items = rows
        .iter()
        .map(read::decode)
        .collect::<sqlx::Result<Vec<_>>>()?;
    let next_cursor = if items.len() > filters.page_size as usize {
        items.truncate(filters.page_size as usize);
        items
            .last()
            .map(|last| URL_SAFE_NO_PAD.encode(&last.record_id))
    } else {
        None
    };
    Ok(EntityPage {
        items: items.iter().map(|r| r.to_change()).collect(),
        next_cursor,
    })
}
