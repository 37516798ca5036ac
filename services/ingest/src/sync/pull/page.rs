//! One pull page: the index ranges it reads, their query, and the rows streamed from MySQL
//! to the socket as they arrive, through a small bounded channel, so memory stays flat
//! whatever the page size.

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;
use serde_json::value::RawValue;
use shared::registry::{Scope, Table};
use shared::storage::Text;
use sqlx::mysql::MySqlRow;
use sqlx::{MySql, MySqlPool, QueryBuilder, Row};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::scope::{CallerScope, SHARED_SCOPE};
use crate::store;
use crate::sync::cursor::Cursor;

/// Bytes gathered before a chunk goes to the socket.
const CHUNK_BYTES: usize = 64 * 1024;

/// What one page reads.
pub(super) struct Page {
    pub client_id: u64,
    pub ranges: Vec<Range>,
    pub after: u64,
    /// The client's last position, read before the page: where a page that reaches the end
    /// of the order resumes, unless it read a later change.
    pub last_position: u64,
    pub since: Option<DateTime<Utc>>,
    pub limit: u64,
    /// The compaction floor the next cursor carries.
    pub floor: u64,
    pub epoch: String,
}

/// One index range, read in change order by the index that holds exactly its rows: the
/// whole client, one scope, or one table of one scope. Every range is an equality prefix
/// of its index followed by `position`, so a page reads `limit + 1` entries of it from the
/// cursor on, whatever the client's size and wherever the cursor is.
pub(super) struct Range {
    branch_scope: Option<u64>,
    table: Option<&'static str>,
}

impl Range {
    /// The index whose order is this range's change order. Left to itself, MariaDB reads a
    /// scope through `records_in_client_order` and checks each row's scope (0.8-2.7 s a page
    /// behind a cursor in a client of 400,000 records).
    fn index(&self) -> &'static str {
        match (self.branch_scope, self.table) {
            (None, None) => "records_in_client_order",
            (Some(_), None) => "records_in_scope_order",
            (_, Some(_)) => "records_in_table_order",
        }
    }
}

/// The ranges a page reads: per visible scope, or per table of the scopes it lives in. A
/// super admin's branch tables live in every branch of the client, one range each.
pub(super) async fn ranges(
    pool: &MySqlPool,
    scope: &CallerScope,
    tables: Option<Vec<&'static Table>>,
) -> sqlx::Result<Vec<Range>> {
    let Some(tables) = tables else {
        let scopes = scope.visible_scopes();
        return Ok(match scopes {
            None => vec![Range {
                branch_scope: None,
                table: None,
            }],
            Some(scopes) => scopes
                .iter()
                .map(|&s| Range {
                    branch_scope: Some(s),
                    table: None,
                })
                .collect(),
        });
    };
    let branches = if scope.whole_client && tables.iter().any(|t| t.scope == Scope::Branch) {
        store::read::branches_of(pool, scope.client_id).await?
    } else {
        vec![scope.branch_id]
    };
    let mut ranges = Vec::new();
    for table in tables {
        let scopes = match table.scope {
            Scope::Client => &[SHARED_SCOPE][..],
            Scope::Branch => &branches[..],
        };
        ranges.extend(scopes.iter().map(|&s| Range {
            branch_scope: Some(s),
            table: Some(table.name),
        }));
    }
    Ok(ranges)
}

/// One `SELECT` per range, each in its index's order with a `LIMIT`, merged by position when
/// there are several (at most `ranges × (limit + 1)` rows to sort, however deep the cursor).
/// Plans on MariaDB 10.11 (docs/sync.md, "Page cost"): each range is `range` on its forced
/// index with `Using index condition` (or `Using where` for `since`), no filesort inside;
/// the merge is `<derived2> ALL` + `Using filesort` over those few rows.
fn page_query(page: &Page) -> QueryBuilder<'_, MySql> {
    let mut query = QueryBuilder::<MySql>::new("");
    let union = page.ranges.len() > 1;
    if union {
        query.push("SELECT * FROM (");
    }
    for (i, range) in page.ranges.iter().enumerate() {
        if i > 0 {
            query.push(" UNION ALL ");
        }
        query.push(format_args!(
            "(SELECT table_name, record_id, branch_scope, data, server_updated_at, is_deleted, \
             sync_version, position FROM records FORCE INDEX ({}) WHERE client_id = ",
            range.index()
        ));
        query.push_bind(page.client_id);
        if let Some(scope) = range.branch_scope {
            query.push(" AND branch_scope = ").push_bind(scope);
        }
        if let Some(table) = range.table {
            query.push(" AND table_name = ").push_bind(table);
        }
        query.push(" AND position > ").push_bind(page.after);
        if let Some(since) = page.since {
            query.push(" AND server_updated_at >= ").push_bind(since);
        }
        query
            .push(" ORDER BY position LIMIT ")
            .push_bind(page.limit + 1)
            .push(")");
    }
    if union {
        query
            .push(") AS page ORDER BY position LIMIT ")
            .push_bind(page.limit + 1);
    }
    query
}

pub(super) fn stream(pool: MySqlPool, page: Page) -> Response {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if let Err(err) = write_page(&pool, &page, &sender).await {
            tracing::warn!(error = %err, "pull stopped before its end");
            let _ = sender.send(Err(std::io::Error::other("pull failed"))).await;
        }
    });
    (
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(ReceiverStream::new(receiver)),
    )
        .into_response()
}

#[derive(Serialize)]
struct ChangeOut<'a> {
    table_name: &'a str,
    record_id: &'a str,
    branch_id: Option<u64>,
    data: &'a RawValue,
    server_updated_at: DateTime<Utc>,
    is_deleted: bool,
    sync_version: u64,
}

type Sender = mpsc::Sender<Result<Bytes, std::io::Error>>;

async fn write_page(pool: &MySqlPool, page: &Page, sender: &Sender) -> anyhow::Result<()> {
    let mut query = page_query(page);
    let mut rows = query.build().fetch(pool);
    let mut buffer = Vec::with_capacity(CHUNK_BYTES + 4096);
    buffer.extend_from_slice(b"{\"changes\":[");
    let (mut count, mut last, mut has_more) = (0u64, page.after, false);
    while let Some(row) = rows.try_next().await? {
        if count == page.limit {
            has_more = true;
            break;
        }
        if count > 0 {
            buffer.push(b',');
        }
        last = write_change(&mut buffer, &row)?;
        count += 1;
        if buffer.len() >= CHUNK_BYTES {
            send(sender, &mut buffer).await?;
        }
    }
    drop(rows);
    let resume = if has_more {
        last
    } else {
        page.last_position.max(last)
    };
    let next_cursor = (resume > 0).then(|| {
        Cursor {
            epoch: page.epoch.clone(),
            position: resume,
            floor: page.floor,
        }
        .encode()
    });
    buffer.extend_from_slice(b"],\"has_more\":");
    serde_json::to_writer(&mut buffer, &has_more)?;
    buffer.extend_from_slice(b",\"next_cursor\":");
    serde_json::to_writer(&mut buffer, &next_cursor)?;
    buffer.push(b'}');
    send(sender, &mut buffer).await
}

/// Appends one change as JSON and returns its position.
fn write_change(buffer: &mut Vec<u8>, row: &MySqlRow) -> anyhow::Result<u64> {
    let table_name: Text = row.try_get("table_name")?;
    let record_id: Text = row.try_get("record_id")?;
    let data: Text = row.try_get("data")?;
    let change = ChangeOut {
        table_name: &table_name.0,
        record_id: &record_id.0,
        branch_id: crate::record::branch_of(row.try_get("branch_scope")?),
        data: serde_json::from_str(&data.0)?,
        server_updated_at: row.try_get("server_updated_at")?,
        is_deleted: row.try_get("is_deleted")?,
        sync_version: row.try_get("sync_version")?,
    };
    serde_json::to_writer(&mut *buffer, &change)?;
    Ok(row.try_get("position")?)
}

async fn send(sender: &Sender, buffer: &mut Vec<u8>) -> anyhow::Result<()> {
    let chunk = Bytes::from(std::mem::replace(
        buffer,
        Vec::with_capacity(CHUNK_BYTES + 4096),
    ));
    sender
        .send(Ok(chunk))
        .await
        .map_err(|_| anyhow::anyhow!("the device went away"))
}
