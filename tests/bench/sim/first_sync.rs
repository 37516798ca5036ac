//! First sync at shop scale: in a client holding a busy shop's history, fresh tills on the
//! client crate (SQLite) pull and store their scope, whole or a subset of tables, with
//! catch-up pages of several sizes, compressed and not; seconds and records/s of each.

use std::time::{Duration, Instant};

use possync_client::{Client, Config, PullOptions, Retry};
use possync_tests::{history, TempPath};
use serde::Serialize;
use shared::token::Role;

use crate::Bench;

const PASSWORD: &str = "first-sync-password";
/// The subset timed at each page size: 40 % of a branch till's client in two branches.
const SUBSET: &[&str] = &["invoices", "products"];

#[derive(Debug, Clone, Serialize)]
pub struct FirstSync {
    /// Records the client holds.
    pub records: u64,
    pub seed_seconds: f64,
    pub runs: Vec<FirstSyncRun>,
}

/// One fresh till's first sync.
#[derive(Debug, Clone, Serialize)]
pub struct FirstSyncRun {
    pub scope: String,
    pub catch_up_page: u32,
    pub compressed: bool,
    pub records: u64,
    pub seconds: f64,
    pub records_per_second: f64,
    /// The till's checksums over every record it then holds (what `Client::verify` reads).
    pub checksum_seconds: f64,
}

/// The ways timed: the subset at catch-up pages of 500 to 50,000 compressed and at the
/// default page not compressed, then the branch till's whole scope.
fn cases() -> Vec<(Option<&'static [&'static str]>, u32, bool)> {
    let mut cases: Vec<_> = [500, 5_000, 20_000, 50_000]
        .into_iter()
        .map(|page| (Some(SUBSET), page, true))
        .collect();
    cases.push((Some(SUBSET), PullOptions::CATCH_UP_PAGE, false));
    cases.push((None, PullOptions::CATCH_UP_PAGE, true));
    cases
}

/// Builds a client of `records` records in two branches and times fresh tills' first syncs.
pub async fn run(bench: &Bench, records: u64) -> FirstSync {
    let (client_id, branch, seed_seconds) = shop(bench, records).await;
    let mut runs = Vec::new();
    for (tables, catch_up_page, compressed) in cases() {
        let expected = scope_size(bench, client_id, branch, tables).await;
        let options = PullOptions {
            tables: tables.map(|t| t.iter().map(|name| name.to_string()).collect()),
            catch_up_page,
            compressed,
            ..PullOptions::default()
        };
        runs.push(said(first_sync(bench, options, expected).await));
    }
    FirstSync {
        records,
        seed_seconds,
        runs,
    }
}

/// A shop of `records` records in two branches with a cashier in the first: its client id,
/// the cashier's branch and the seconds the seeding took.
async fn shop(bench: &Bench, records: u64) -> (u64, u64, f64) {
    let (client_id, branch, _) = bench.tenant("first-sync").await;
    let (other, _) = bench.branch(client_id, "second").await;
    let user = ingest::accounts::NewUser {
        client_id,
        branch_id: branch,
        username: "first-sync-cashier",
        password: PASSWORD,
        role: Role::Cashier,
    };
    ingest::accounts::create_user(&bench.db.pool, &user)
        .await
        .unwrap();
    let started = Instant::now();
    history::seed(&bench.db.pool, client_id, &[branch, other], "h", records)
        .await
        .unwrap();
    (client_id, branch, started.elapsed().as_secs_f64())
}

/// A fresh till's first sync with `options`; it must store `expected` records.
async fn first_sync(bench: &Bench, options: PullOptions, expected: u64) -> FirstSyncRun {
    let store = TempPath::new("possync-first-sync-");
    let (catch_up_page, compressed) = (options.catch_up_page, options.compressed);
    let scope = match &options.tables {
        Some(tables) => format!("branch till, tables={}", tables.join(",")),
        None => "branch till, every table".into(),
    };
    let till = Client::open_with(config(bench, &store), options)
        .await
        .unwrap();
    let started = Instant::now();
    till.pull().await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let progress = *till.progress().borrow();
    let stored: u64 = till.store().record_counts().await.unwrap().values().sum();
    assert_eq!((stored, progress.pulled), (expected, expected), "{scope}");
    assert!(progress.first_sync_done);
    let summed = Instant::now();
    let sums = till.store().checksums().await.unwrap();
    let checksum_seconds = summed.elapsed().as_secs_f64();
    assert_eq!(
        sums.values().map(|sum| sum.record_count).sum::<u64>(),
        expected
    );
    FirstSyncRun {
        scope,
        catch_up_page,
        compressed,
        records: expected,
        seconds,
        records_per_second: expected as f64 / seconds,
        checksum_seconds,
    }
}

fn config(bench: &Bench, store: &TempPath) -> Config {
    Config {
        api_url: bench.ingest.base.clone(),
        ws_url: "ws://127.0.0.1:9".into(),
        username: "first-sync-cashier".into(),
        password: PASSWORD.into(),
        device_id: "first-sync-till".into(),
        store_path: store.0.clone(),
        retry: Retry {
            attempts: 3,
            base: Duration::from_millis(50),
            max: Duration::from_secs(1),
        },
        reconnect: Retry::reconnect(),
        durable_writes: true,
    }
}

/// Records of the branch's scope (its own and the shared ones), in `tables` when given, read
/// from the server.
async fn scope_size(bench: &Bench, client_id: u64, branch: u64, tables: Option<&[&str]>) -> u64 {
    let mut sql =
        "SELECT COUNT(*) FROM records WHERE client_id = ? AND branch_scope IN (?, 0)".to_owned();
    if let Some(tables) = tables {
        let names: Vec<String> = tables.iter().map(|t| format!("'{t}'")).collect();
        sql.push_str(&format!(" AND table_name IN ({})", names.join(",")));
    }
    sqlx::query_scalar(&sql)
        .bind(client_id)
        .bind(branch)
        .fetch_one(&bench.db.pool)
        .await
        .map(|n: i64| n as u64)
        .unwrap()
}

/// Prints a run's figures as soon as they are measured.
fn said(run: FirstSyncRun) -> FirstSyncRun {
    eprintln!(
        "  {}, pages of {}{}: {} records in {:.2} s ({:.0} records/s); their checksums in {:.2} s",
        run.scope,
        run.catch_up_page,
        if run.compressed { ", zstd" } else { "" },
        run.records,
        run.seconds,
        run.records_per_second,
        run.checksum_seconds
    );
    run
}

impl FirstSync {
    pub fn rows(&self) -> Vec<String> {
        self.runs
            .iter()
            .map(|r| format!(
                "| first sync of a fresh till (client crate, SQLite) in a client of {} records, {}, catch-up pages of {}{} | {} records in {:.2} s ({:.0} records/s); checksums of the copy {:.2} s | | 100,000 in ≤ 5 s |",
                self.records, r.scope, r.catch_up_page, if r.compressed { ", zstd" } else { "" },
                r.records, r.seconds, r.records_per_second, r.checksum_seconds
            ))
            .collect()
    }
}
