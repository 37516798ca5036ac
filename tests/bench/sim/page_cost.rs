//! Pull page cost at shop scale: a client holding a busy shop's history (written straight
//! into the store), and the time of a page of 500 at the start of its change order against
//! pages behind a cursor halfway and near the head, for each way a device pulls: a branch's
//! till, a till syncing one table (also a rare one), a super admin, `since`; then one
//! catch-up page of 100,000 changes as JSON, gzip and zstd.

use std::time::{Duration, Instant};

use futures::StreamExt;
use ingest::sync::cursor::Cursor;
use possync_tests::history;
use serde::Serialize;
use shared::storage::Text;
use shared::token::{Principal, Role};

use crate::report::Latency;
use crate::Bench;

/// Changes in each timed page.
const PAGE: u64 = 500;
/// Changes in the catch-up page.
const CATCH_UP: u64 = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct PageCost {
    pub records: u64,
    pub seed_seconds: f64,
    pub shapes: Vec<ShapeCost>,
    pub catch_up: Vec<CatchUpPage>,
}

/// One way of pulling: p50 of a page at the start, halfway and near the head.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeCost {
    pub shape: &'static str,
    pub first_ms: f64,
    pub halfway_ms: f64,
    pub head_ms: f64,
}

impl ShapeCost {
    /// The deepest page's cost against the first page's.
    pub fn ratio(&self) -> f64 {
        self.halfway_ms.max(self.head_ms) / self.first_ms
    }
}

/// One page of up to [`CATCH_UP`] changes in one encoding, as the socket carried it.
#[derive(Debug, Clone, Serialize)]
pub struct CatchUpPage {
    pub encoding: &'static str,
    pub changes: u64,
    pub megabytes: f64,
    pub seconds: f64,
}

/// How a page starts.
#[derive(Clone, Copy)]
enum From {
    Cursor(u64),
    /// `since` the time of the seeded row at this position.
    Since(u64),
}

/// Builds a client of `records` records in two branches and times its pages.
pub async fn run(bench: &Bench, records: u64, samples: usize) -> PageCost {
    let (client_id, branch, cashier) = bench.tenant("page-cost").await;
    let (other, _) = bench.branch(client_id, "second").await;
    let started = Instant::now();
    let seeded = history::seed(&bench.db.pool, client_id, &[branch, other], "h", records)
        .await
        .unwrap();
    let seed_seconds = started.elapsed().as_secs_f64();
    // A rare shared table spread over the whole history: the hard shape for a subset.
    sqlx::query(
        "UPDATE records SET table_name = 'suppliers', branch_scope = 0 \
         WHERE client_id = ? AND position % 1000 = 500",
    )
    .bind(client_id)
    .execute(&bench.db.pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE TABLE records")
        .execute(&bench.db.pool)
        .await
        .unwrap();
    let admin = bench.keys.issue(&Principal {
        user_id: 1,
        client_id,
        branch_id: branch,
        role: Role::SuperAdmin,
    });
    let epoch: Text = sqlx::query_scalar("SELECT epoch FROM server_meta WHERE id = 1")
        .fetch_one(&bench.db.pool)
        .await
        .unwrap();
    let pages = Pages {
        bench,
        epoch: epoch.0,
        first: seeded.first,
        records,
        samples,
    };
    let (halfway, head) = (records / 2, records.saturating_sub(2 * PAGE));
    let mut shapes = Vec::new();
    for (shape, token, tables) in [
        ("branch till", &cashier, None),
        ("branch till, tables=products", &cashier, Some("products")),
        ("branch till, tables=invoices", &cashier, Some("invoices")),
        (
            "branch till, tables=suppliers (1 row in 1,000)",
            &cashier,
            Some("suppliers"),
        ),
        ("super admin", &admin, None),
        ("super admin, tables=invoices", &admin, Some("invoices")),
    ] {
        shapes.push(said(ShapeCost {
            shape,
            first_ms: pages.p50(token, tables, From::Cursor(0)).await,
            halfway_ms: pages.p50(token, tables, From::Cursor(halfway)).await,
            head_ms: pages.p50(token, tables, From::Cursor(head)).await,
        }));
    }
    shapes.push(said(ShapeCost {
        shape: "branch till, since",
        first_ms: pages.p50(&cashier, None, From::Cursor(0)).await,
        halfway_ms: pages.p50(&cashier, None, From::Since(halfway)).await,
        head_ms: pages.p50(&cashier, None, From::Since(head)).await,
    }));
    let catch_up_from = records.saturating_sub(CATCH_UP + CATCH_UP / 2);
    let mut catch_up = Vec::new();
    for encoding in ["identity", "gzip", "zstd"] {
        catch_up.push(pages.catch_up(&admin, catch_up_from, encoding).await);
    }
    PageCost {
        records,
        seed_seconds,
        shapes,
        catch_up,
    }
}

/// Prints a shape's figures as soon as they are measured (the phase takes minutes).
fn said(cost: ShapeCost) -> ShapeCost {
    eprintln!(
        "  {}: {:.1} / {:.1} / {:.1} ms",
        cost.shape, cost.first_ms, cost.halfway_ms, cost.head_ms
    );
    cost
}

struct Pages<'b> {
    bench: &'b Bench,
    epoch: String,
    /// The client's position of seeded row 1.
    first: u64,
    records: u64,
    samples: usize,
}

impl Pages<'_> {
    fn url(&self, tables: Option<&str>, from: From, limit: u64) -> String {
        let mut url = format!(
            "{}/api/sync/pull-changes?limit={limit}",
            self.bench.ingest.base
        );
        if let Some(tables) = tables {
            url.push_str(&format!("&tables={tables}"));
        }
        match from {
            From::Cursor(0) => {}
            From::Cursor(row) => {
                let cursor = Cursor {
                    epoch: self.epoch.clone(),
                    position: self.first - 1 + row,
                    floor: 0,
                };
                url.push_str(&format!("&cursor={}", cursor.encode()));
            }
            From::Since(row) => {
                // Seeded rows are ten seconds apart, the last one at the seeding's end.
                let ago = Duration::from_secs((self.records - row) * 10 + 5);
                let since = chrono::Utc::now() - ago;
                url.push_str(&format!(
                    "&since={}",
                    since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ));
            }
        }
        url
    }

    /// The median time of a page of [`PAGE`] changes, read to its end.
    async fn p50(&self, token: &str, tables: Option<&str>, from: From) -> f64 {
        let url = self.url(tables, from, PAGE);
        let mut times = Vec::with_capacity(self.samples);
        for _ in 0..self.samples {
            let started = Instant::now();
            let (bytes, _) = self.fetch(token, &url, "identity").await;
            assert!(bytes > 0);
            times.push(started.elapsed());
        }
        Latency::of(times).p50_ms
    }

    /// One page of [`CATCH_UP`] changes after row `from`, in `encoding`.
    async fn catch_up(&self, token: &str, from: u64, encoding: &'static str) -> CatchUpPage {
        let url = self.url(None, From::Cursor(from), CATCH_UP);
        let started = Instant::now();
        let (bytes, seen) = self.fetch(token, &url, encoding).await;
        assert_eq!(seen, encoding, "ingest did not answer in {encoding}");
        CatchUpPage {
            encoding,
            changes: CATCH_UP.min(self.records - from),
            megabytes: bytes as f64 / 1e6,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// The body's size on the wire and its `Content-Encoding`.
    async fn fetch(&self, token: &str, url: &str, encoding: &str) -> (usize, String) {
        let response = self
            .bench
            .http
            .get(url)
            .bearer_auth(token)
            .header("Accept-Encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "page refused: {url}");
        let seen = response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("identity")
            .to_owned();
        let mut body = response.bytes_stream();
        let mut bytes = 0;
        while let Some(chunk) = body.next().await {
            bytes += chunk.unwrap().len();
        }
        (bytes, seen)
    }
}
