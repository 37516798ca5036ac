//! The checker, after the faults and once every till pushed its queue: every write a 200
//! acknowledged is on the server and on every device of its scope with what was written,
//! each stock row is its start minus all sold (increments applied exactly once), nothing is
//! there that nobody wrote, every device equals the server (record by record, and by the
//! server's checksums without a repair), each scope's event numbers have
//! no holes, every publish group is in the stream exactly once, and no device received an
//! event twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use futures::{StreamExt, TryStreamExt};
use possync_client::Verified;
use serde_json::Value;
use sqlx::MySqlPool;

use possync_tests::stock::{stock_row, START_STOCK};

use crate::fleet::{Device, PRODUCTS};
use crate::tenants::Shop;

/// What the checker needs to know of the run.
pub struct Run<'a> {
    pub pool: &'a MySqlPool,
    pub shops: &'a [Shop],
    pub fleet: &'a [Arc<Device>],
    pub probe_shop: u64,
    pub probe_sent: &'a HashSet<String>,
    pub probe_acknowledged: &'a [String],
    /// Till writes a push had acknowledged when the faults ended (the rest were pushed after).
    pub acknowledged_under_faults: usize,
    pub watcher_duplicates: u64,
    pub jetstream: &'a jetstream::Context,
    pub stream: &'a str,
    pub prefix: &'a str,
    /// When a NATS node's store was full (unix seconds, with a margin): JetStream may lose an
    /// acknowledged message or store a retry twice then.
    pub nats_store_full: Vec<(f64, f64)>,
}

/// The outcome: one line per check, and whether all held.
#[derive(Default)]
pub struct Verdict {
    pub lines: Vec<(bool, String)>,
}

impl Verdict {
    pub fn check(&mut self, held: bool, what: String) {
        self.lines.push((held, what));
    }

    pub fn passed(&self) -> bool {
        self.lines.iter().all(|(held, _)| *held)
    }
}

type Key = (String, String);

/// A record as stored: its version and data.
type Stored = BTreeMap<Key, (u64, Value)>;

async fn server_records(pool: &MySqlPool, client_id: u64, branch: Option<u64>) -> Stored {
    let rows: Vec<(String, String, u64, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS CHAR), CAST(record_id AS CHAR), sync_version, CAST(data AS CHAR) \
         FROM records WHERE client_id = ? AND (? IS NULL OR branch_scope IN (?, 0))",
    )
    .bind(client_id)
    .bind(branch)
    .bind(branch)
    .fetch_all(pool)
    .await
    .expect("records of the run");
    rows.into_iter()
        .map(|(t, r, v, d)| ((t, r), (v, serde_json::from_str(&d).unwrap_or(Value::Null))))
        .collect()
}

/// Equal JSON, with numbers compared by value (`24` and `24.0` are the same amount).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

pub async fn verify(run: &Run<'_>) -> Verdict {
    let mut verdict = Verdict::default();
    let mut servers = HashMap::new();
    for shop in run.shops {
        servers.insert(
            shop.client_id,
            server_records(run.pool, shop.client_id, None).await,
        );
    }
    writes_landed(run, &servers, &mut verdict);
    nothing_phantom(run, &servers, &mut verdict);
    // Each till pulls once more first, as a device does on its next connect.
    devices_converged(run, &mut verdict).await;
    stock_exact(run, &servers, &mut verdict).await;
    sequences_without_holes(run, &mut verdict).await;
    stream_holds_each_group_once(run, &mut verdict).await;
    verdict.check(
        run.watcher_duplicates == 0,
        format!(
            "events received twice on one connection: {}",
            run.watcher_duplicates
        ),
    );
    let (conflicts, rejected) = run.fleet.iter().fold((0, 0), |(c, r), d| {
        let written = d.written.lock().unwrap();
        (c + written.conflicts, r + written.rejected)
    });
    verdict.check(
        conflicts == 0 && rejected == 0,
        format!("conflicts {conflicts}, refused records {rejected} (each till writes its own ids)"),
    );
    verdict
}

fn writes_landed(run: &Run<'_>, servers: &HashMap<u64, Stored>, verdict: &mut Verdict) {
    let (mut written, mut missing, mut differ) = (0, Vec::new(), 0);
    for device in run.fleet {
        let server = &servers[&device.client_id];
        let log = device.written.lock().unwrap();
        for (key, data) in &log.records {
            written += 1;
            match server.get(key) {
                None => missing.push(key.clone()),
                Some((_, stored)) if !same(stored, data) => differ += 1,
                Some(_) => {}
            }
        }
    }
    let probe = &servers[&run.probe_shop];
    let probe_missing = run
        .probe_acknowledged
        .iter()
        .filter(|id| !probe.contains_key(&("products".to_owned(), (*id).clone())))
        .count();
    verdict.check(
        missing.is_empty() && differ == 0 && probe_missing == 0,
        format!(
            "writes on the server: {written} written by tills ({} acknowledged by a 200 while the faults ran, the rest after), {} missing {:?}, {differ} with other data; probe: {} acknowledged, {probe_missing} missing",
            run.acknowledged_under_faults,
            missing.len(),
            missing.iter().take(3).collect::<Vec<_>>(),
            run.probe_acknowledged.len()
        ),
    );
}

async fn stock_exact(run: &Run<'_>, servers: &HashMap<u64, Stored>, verdict: &mut Verdict) {
    let mut sold: HashMap<(u64, String), i64> = HashMap::new();
    for device in run.fleet {
        for (row, quantity) in &device.written.lock().unwrap().sold {
            *sold.entry((device.client_id, row.clone())).or_default() += quantity;
        }
    }
    let (mut rows, mut wrong) = (0, Vec::new());
    for device in run.fleet {
        for product in 0..PRODUCTS {
            let row = stock_row(device.branch_id, product);
            let expected = START_STOCK
                - sold
                    .get(&(device.client_id, row.clone()))
                    .copied()
                    .unwrap_or(0);
            let on_server = servers[&device.client_id]
                .get(&("product_stock".to_owned(), row.clone()))
                .and_then(|(_, data)| data["quantity"].as_i64());
            let shown = device
                .client
                .store()
                .record("product_stock", &row)
                .await
                .ok()
                .flatten()
                .and_then(|r| r.data["quantity"].as_i64());
            rows += 1;
            if on_server != Some(expected) || shown != Some(expected) {
                wrong.push(format!(
                    "{row}: expected {expected}, server {on_server:?}, {} {shown:?}",
                    device.name
                ));
            }
        }
    }
    verdict.check(
        wrong.is_empty(),
        format!(
            "stock rows (start minus all sold, on the server and each till): {rows} checked, {} wrong {:?}",
            wrong.len(),
            wrong.iter().take(3).collect::<Vec<_>>()
        ),
    );
}

fn nothing_phantom(run: &Run<'_>, servers: &HashMap<u64, Stored>, verdict: &mut Verdict) {
    let mut known: HashSet<Key> = HashSet::new();
    for device in run.fleet {
        known.extend(device.written.lock().unwrap().records.keys().cloned());
        for product in 0..PRODUCTS {
            known.insert(("product_stock".into(), stock_row(device.branch_id, product)));
        }
    }
    known.extend(
        run.probe_sent
            .iter()
            .map(|id| ("products".to_owned(), id.clone())),
    );
    let phantoms: Vec<&Key> = servers
        .values()
        .flat_map(|records| records.keys())
        .filter(|key| !known.contains(*key))
        .collect();
    verdict.check(
        phantoms.is_empty(),
        format!(
            "records nobody wrote: {} {:?}",
            phantoms.len(),
            phantoms.iter().take(3).collect::<Vec<_>>()
        ),
    );
}

async fn devices_converged(run: &Run<'_>, verdict: &mut Verdict) {
    let (mut differing, mut unverified) = (Vec::new(), Vec::new());
    for device in run.fleet {
        if let Err(err) = device.client.pull().await {
            differing.push(format!("{}: final pull failed: {err}", device.name));
            continue;
        }
        let server = server_records(run.pool, device.client_id, Some(device.branch_id)).await;
        let local: Stored = device
            .client
            .store()
            .all()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|r| ((r.table_name, r.record_id), (r.sync_version, r.data)))
            .collect();
        let equal = local.len() == server.len()
            && local.iter().all(|(key, (version, data))| {
                server
                    .get(key)
                    .is_some_and(|(v, d)| v == version && same(d, data))
            });
        if !equal {
            differing.push(format!(
                "{}: {} records, server scope {}",
                device.name,
                local.len(),
                server.len()
            ));
        }
        match device.client.verify().await {
            Ok(Verified::Equal { .. }) => {}
            other => unverified.push(format!("{}: {other:?}", device.name)),
        }
    }
    verdict.check(
        unverified.is_empty(),
        format!(
            "tills whose checksums equal the server's (GET /api/sync/checksums, nothing repaired): {} of {} {:?}",
            run.fleet.len() - unverified.len(),
            run.fleet.len(),
            unverified.iter().take(3).collect::<Vec<_>>()
        ),
    );
    verdict.check(
        differing.is_empty(),
        format!(
            "tills equal to the server's scope (records, versions, data): {} of {} {:?}",
            run.fleet.len() - differing.len(),
            run.fleet.len(),
            differing.iter().take(3).collect::<Vec<_>>()
        ),
    );
}

async fn sequences_without_holes(run: &Run<'_>, verdict: &mut Verdict) {
    let (mut scopes, mut broken) = (0, Vec::new());
    for shop in run.shops {
        let counters: Vec<(u64, u64)> =
            sqlx::query_as("SELECT branch_scope, last_seq FROM scope_counters WHERE client_id = ?")
                .bind(shop.client_id)
                .fetch_all(run.pool)
                .await
                .expect("scope counters");
        for (scope, last) in counters {
            let seqs: Vec<u64> = sqlx::query_scalar(
                "SELECT scope_seq FROM sync_queue WHERE client_id = ? AND branch_scope = ? ORDER BY scope_seq",
            )
            .bind(shop.client_id)
            .bind(scope)
            .fetch_all(run.pool)
            .await
            .expect("scope numbers");
            scopes += 1;
            if seqs != (1..=last).collect::<Vec<u64>>() {
                broken.push(format!(
                    "client {} scope {scope}: {} numbers for a last of {last}",
                    shop.client_id,
                    seqs.len()
                ));
            }
        }
    }
    verdict.check(
        broken.is_empty(),
        format!("event numbers without holes or repeats: {scopes} scopes, {broken:?}"),
    );
}

/// Waits (up to a minute) for the groups of the run to be published, then reads the stream.
async fn stream_holds_each_group_once(run: &Run<'_>, verdict: &mut Verdict) {
    let clients: Vec<u64> = run.shops.iter().map(|s| s.client_id).collect();
    let list = clients
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut unpublished = i64::MAX;
    for _ in 0..120 {
        unpublished = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM sync_groups WHERE client_id IN ({list}) AND published_at IS NULL"
        ))
        .fetch_one(run.pool)
        .await
        .unwrap_or(i64::MAX);
        if unpublished == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Each group with the sync queue rows in its span, which must be as many as it counts.
    // Counted here from two reads: MariaDB joined the spans as a nested loop (14 minutes for
    // 20,000 groups).
    let groups: Vec<(u64, u64, u64, u64, u64)> = sqlx::query_as(&format!(
        "SELECT id, last_id, client_id, branch_scope, change_count FROM sync_groups \
         WHERE client_id IN ({list})"
    ))
    .fetch_all(run.pool)
    .await
    .expect("publish groups");
    let queued: Vec<(u64, u64, u64)> = sqlx::query_as(&format!(
        "SELECT client_id, branch_scope, id FROM sync_queue WHERE client_id IN ({list}) ORDER BY id"
    ))
    .fetch_all(run.pool)
    .await
    .expect("sync queue rows");
    let mut ids_in_scope: HashMap<(u64, u64), Vec<u64>> = HashMap::new();
    for (client, scope, id) in &queued {
        ids_in_scope.entry((*client, *scope)).or_default().push(*id);
    }
    let in_span = |(first, last, client, scope, _): &(u64, u64, u64, u64, u64)| {
        ids_in_scope.get(&(*client, *scope)).map_or(0, |ids| {
            ids.partition_point(|id| id <= last) - ids.partition_point(|id| id < first)
        })
    };
    let whole = groups.iter().all(|group| in_span(group) as u64 == group.4)
        && groups.iter().map(in_span).sum::<usize>() == queued.len();
    let expected: HashSet<String> = groups.iter().map(|group| group.0.to_string()).collect();
    let mut stored: HashMap<String, u32> = HashMap::new();
    match read_stream(run, &clients, expected.len()).await {
        Ok(ids) => {
            for id in ids {
                *stored.entry(id).or_default() += 1;
            }
        }
        Err(err) => verdict.check(false, format!("reading the stream failed: {err}")),
    }
    let missing: Vec<u64> = expected
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .filter_map(|id| id.parse().ok())
        .collect();
    let twice: Vec<u64> = stored
        .iter()
        .filter(|(_, n)| **n > 1)
        .filter_map(|(id, _)| id.parse().ok())
        .collect();
    let extra = stored.keys().filter(|id| !expected.contains(*id)).count();
    // NATS's own loss: groups marked published while a node's store was full.
    let by_full_store = marked_while_store_full(run, &missing, &twice).await;
    let (missing, twice) = (missing.len(), twice.len());
    verdict.check(
        unpublished == 0 && whole && missing + twice == by_full_store && extra == 0,
        format!(
            "publish groups in the stream exactly once: {} groups, {unpublished} unpublished, {missing} missing, {twice} twice ({by_full_store} of those marked published while a NATS node's store was full), {extra} unknown",
            expected.len()
        ),
    );
}

/// How many of the groups `missing` from the stream or in it `twice` were marked published
/// while a NATS node's store was full (`Run::nats_store_full`).
async fn marked_while_store_full(run: &Run<'_>, missing: &[u64], twice: &[u64]) -> usize {
    let odd: Vec<String> = missing.iter().chain(twice).map(u64::to_string).collect();
    if odd.is_empty() {
        return 0;
    }
    let marked: Vec<(Option<chrono::DateTime<chrono::Utc>>,)> = sqlx::query_as(&format!(
        "SELECT published_at FROM sync_groups WHERE id IN ({})",
        odd.join(",")
    ))
    .fetch_all(run.pool)
    .await
    .unwrap_or_default();
    marked
        .iter()
        .filter_map(|(at,)| *at)
        .map(|at| at.timestamp_micros() as f64 / 1e6)
        .filter(|at| {
            run.nats_store_full
                .iter()
                .any(|(from, to)| at >= from && at <= to)
        })
        .count()
}

/// The `Nats-Msg-Id` of every stream message of `clients`: read until as many as the stream
/// counts for their subjects. A read that stalls (a consumer on a stream whose leader moves,
/// as after a partition heals) starts again, for up to a minute, so that a stalled read is
/// never taken for missing messages.
async fn read_stream(
    run: &Run<'_>,
    clients: &[u64],
    expected: usize,
) -> anyhow::Result<Vec<String>> {
    let stream = run.jetstream.get_stream(run.stream).await?;
    let filters: Vec<String> = clients
        .iter()
        .map(|c| format!("{}.{c}.>", run.prefix))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let held = stored_count(&stream, &filters).await?;
        let ids = read_once(&stream, &filters, expected).await?;
        if ids.len() as u64 >= held || tokio::time::Instant::now() >= deadline {
            anyhow::ensure!(
                ids.len() as u64 >= held,
                "read {} of the {held} messages the stream holds",
                ids.len()
            );
            return Ok(ids);
        }
        eprintln!(
            "  the stream read stalled at {} of {held} messages; reading again",
            ids.len()
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// How many messages the stream holds on `filters`, by its own count per subject.
async fn stored_count(
    stream: &jetstream::stream::Stream,
    filters: &[String],
) -> anyhow::Result<u64> {
    let mut total = 0;
    for filter in filters {
        let mut subjects = stream.info_with_subjects(filter).await?;
        while let Some((_, count)) = subjects.try_next().await? {
            total += count as u64;
        }
    }
    Ok(total)
}

/// One pass of an ordered consumer over `filters`, until 3 s pass without a message.
async fn read_once(
    stream: &jetstream::stream::Stream,
    filters: &[String],
    expected: usize,
) -> anyhow::Result<Vec<String>> {
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subjects: filters.to_vec(),
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let mut ids = Vec::new();
    let quiet = Duration::from_secs(if expected == 0 { 1 } else { 3 });
    while let Ok(Some(message)) = tokio::time::timeout(quiet, messages.next()).await {
        let message = message?;
        let id = message
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.to_string())
            .unwrap_or_default();
        ids.push(id);
    }
    Ok(ids)
}
