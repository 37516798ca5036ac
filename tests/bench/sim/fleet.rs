//! Simulated devices: N devices over M clients and 2 branches each sell (invoices, items,
//! stock decrements as increments of the branch's stock rows, cash), edit the catalogue
//! (admins) and go offline for a while, all through the client crate; afterwards every
//! device must equal the server for its scope, and every stock row must be its start minus
//! everything sold, on the server and on every device of its branch.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use possync_client::{Client, Config, Retry};
use possync_tests::stock::{stock_branches, stock_row, START_STOCK};
use possync_tests::{TempPath, TestDb};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use shared::token::Role;
use tokio_util::sync::CancellationToken;

use crate::report::{spinner, Fleet, Throughput};
use crate::Bench;

const PASSWORD: &str = "simulated-password";
/// Products each branch stocks.
const PRODUCTS: usize = 200;

/// Everything sold, per client and stock row.
type Sold = Arc<Mutex<HashMap<(u64, String), i64>>>;

struct Device {
    client: Client,
    client_id: u64,
    branch_id: u64,
    admin: bool,
    _store: TempPath,
}

async fn seed(db: &TestDb, clients: usize, devices: usize, api: &str, ws: &str) -> Vec<Device> {
    let mut out = Vec::new();
    for c in 0..clients {
        let client_id = ingest::accounts::create_client(&db.pool, &format!("sim shop {c}"))
            .await
            .unwrap();
        let mut branches = Vec::new();
        for b in 0..2 {
            let branch_id =
                ingest::accounts::create_branch(&db.pool, client_id, &format!("branch {b}"))
                    .await
                    .unwrap();
            for (role, name) in [(Role::Cashier, "cashier"), (Role::Admin, "admin")] {
                let username = format!("c{c}-b{b}-{name}");
                let user = ingest::accounts::NewUser {
                    client_id,
                    branch_id,
                    username: &username,
                    password: PASSWORD,
                    role,
                };
                ingest::accounts::create_user(&db.pool, &user)
                    .await
                    .unwrap();
            }
            branches.push(branch_id);
        }
        for d in (c..devices).step_by(clients) {
            let b = d / clients % 2;
            let admin = d / clients % 5 == 4;
            let store = TempPath::new("possync-sim-");
            let config = Config {
                api_url: api.to_owned(),
                ws_url: ws.to_owned(),
                username: format!("c{c}-b{b}-{}", if admin { "admin" } else { "cashier" }),
                password: PASSWORD.to_owned(),
                device_id: format!("sim-{d}"),
                store_path: store.0.clone(),
                retry: Retry::default(),
                reconnect: Retry::reconnect(),
                durable_writes: false,
            };
            let client = Client::open(config).await.unwrap();
            out.push(Device {
                client,
                client_id,
                branch_id: branches[b],
                admin,
                _store: store,
            });
        }
    }
    out
}

/// One sale: an invoice, its items, their stock decrements and the cash: 2k + 2 records.
async fn sell(device: &Device, rng: &mut StdRng, index: usize, n: u64, sold: &Sold) -> u64 {
    let invoice = format!("sim{index}-inv-{n}");
    let items = rng.gen_range(1..=5);
    let mut total = 0.0;
    for i in 0..items {
        let product_no = rng.gen_range(0..PRODUCTS);
        let (product, quantity, price) = (
            format!("p{product_no}"),
            rng.gen_range(1..4),
            rng.gen_range(1..50) as f64,
        );
        total += quantity as f64 * price;
        let item = json!({"invoice_id": invoice, "product_id": product, "quantity": quantity, "price": price});
        device
            .client
            .edit("invoice_items", &format!("{invoice}-{i}"), item)
            .await
            .unwrap();
        let row = stock_row(device.branch_id, product_no);
        device
            .client
            .increment("product_stock", &row, json!({"quantity": -quantity}))
            .await
            .unwrap();
        *sold
            .lock()
            .unwrap()
            .entry((device.client_id, row))
            .or_default() += quantity;
    }
    device
        .client
        .edit("invoices", &invoice, json!({"total": total}))
        .await
        .unwrap();
    device
        .client
        .edit(
            "cash_movements",
            &format!("{invoice}-cash"),
            json!({"amount": total, "type": "in"}),
        )
        .await
        .unwrap();
    2 * items + 2
}

async fn run_device(
    device: Arc<Device>,
    index: usize,
    until: Instant,
    records: Arc<AtomicU64>,
    progress: ProgressBar,
    sold: Sold,
) {
    let mut rng = StdRng::seed_from_u64(index as u64);
    let offline_from = until - Duration::from_secs_f64(rng.gen_range(2.0..6.0));
    let offline_for = Duration::from_secs(2);
    let mut n = 0;
    while Instant::now() < until {
        let written = if device.admin {
            let product = format!("p{}", rng.gen_range(0..200));
            device
                .client
                .edit(
                    "products",
                    &product,
                    json!({"name": format!("Product {product}"), "price": rng.gen_range(1..50)}),
                )
                .await
                .unwrap();
            1
        } else {
            sell(&device, &mut rng, index, n, &sold).await
        };
        n += 1;
        let now = Instant::now();
        let offline = now > offline_from && now < offline_from + offline_for;
        if !offline && device.client.status().borrow().pending >= 40 {
            let report = device.client.push().await.unwrap();
            records.fetch_add(report.synced as u64, Ordering::Relaxed);
        }
        progress.inc(written);
    }
}

/// Runs `devices` devices over `clients` clients for `seconds`, then checks convergence.
pub async fn run(bench: &Bench, devices: usize, clients: usize, seconds: u64) -> Fleet {
    let ws = format!("ws://127.0.0.1:{}", bench.fanout.port);
    let fleet: Vec<Arc<Device>> = seed(&bench.db, clients, devices, &bench.ingest.base, &ws)
        .await
        .into_iter()
        .map(Arc::new)
        .collect();
    let tills: Vec<_> = fleet.iter().map(|d| (d.branch_id, &d.client)).collect();
    stock_branches(&tills, PRODUCTS).await.unwrap();
    let sold = Sold::default();
    let stop = CancellationToken::new();
    let live: Vec<_> = fleet
        .iter()
        .map(|d| {
            let (client, stop) = (d.client.clone(), stop.clone());
            tokio::spawn(async move { client.run_realtime(stop).await })
        })
        .collect();

    let progress = spinner("records written locally");
    let records = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let traffic: Vec<_> = fleet
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tokio::spawn(run_device(
                d.clone(),
                i,
                until,
                records.clone(),
                progress.clone(),
                sold.clone(),
            ))
        })
        .collect();
    for task in traffic {
        task.await.unwrap();
    }
    for device in &fleet {
        let report = device.client.push().await.unwrap();
        records.fetch_add(report.synced as u64, Ordering::Relaxed);
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let accepted = records.load(Ordering::Relaxed);

    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.cancel();
    for task in live {
        let _ = task.await;
    }
    let mut converged = 0;
    for device in &fleet {
        converged += usize::from(converges(&bench.db, device).await);
    }
    let sold = std::mem::take(&mut *sold.lock().unwrap());
    let stock_rows_wrong = wrong_stock(&bench.db, &fleet, &sold).await;
    Fleet {
        devices,
        clients,
        throughput: Throughput {
            writers: devices,
            seconds: elapsed,
            records: accepted,
            records_per_second: accepted as f64 / elapsed,
            write_ms: None,
            counter_held_ms: None,
            push_latency: None,
        },
        converged_devices: converged,
        stock_rows: sold.len(),
        stock_rows_wrong,
        ingest_rss_kib: bench.ingest.memory_kib("VmRSS:"),
        fanout_rss_kib: bench.fanout.memory_kib("VmRSS:"),
    }
}

/// Stock rows whose value is not their start minus all sold, on the server or on a device
/// of their branch; prints the first few.
async fn wrong_stock(
    db: &TestDb,
    fleet: &[Arc<Device>],
    sold: &HashMap<(u64, String), i64>,
) -> usize {
    let mut wrong = 0;
    for ((client_id, row), quantity) in sold {
        let expected = START_STOCK - quantity;
        let data: String = sqlx::query_scalar(
            "SELECT CAST(data AS CHAR) FROM records WHERE client_id = ? AND table_name = 'product_stock' AND record_id = ?",
        )
        .bind(client_id)
        .bind(row)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let on_server =
            serde_json::from_str::<serde_json::Value>(&data).unwrap()["quantity"].as_i64();
        let mut shown = Vec::new();
        for device in fleet
            .iter()
            .filter(|d| d.client_id == *client_id && row.starts_with(&format!("b{}-", d.branch_id)))
        {
            let record = device
                .client
                .store()
                .record("product_stock", row)
                .await
                .unwrap();
            shown.push(record.and_then(|r| r.data["quantity"].as_i64()));
        }
        if on_server != Some(expected) || shown.iter().any(|value| *value != Some(expected)) {
            if wrong < 3 {
                eprintln!("stock {row} of client {client_id}: expected {expected}, server {on_server:?}, devices {shown:?}");
            }
            wrong += 1;
        }
    }
    wrong
}

/// Pulls once more and compares the device's records and versions with the server's scope;
/// prints the first differences.
async fn converges(db: &TestDb, device: &Device) -> bool {
    device.client.pull().await.unwrap();
    let local: BTreeMap<(String, String), u64> = device
        .client
        .store()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.table_name, r.record_id), r.sync_version))
        .collect();
    let rows: Vec<(String, String, u64)> = sqlx::query_as(
        "SELECT CAST(table_name AS CHAR), CAST(record_id AS CHAR), sync_version FROM records \
         WHERE client_id = ? AND branch_scope IN (?, 0)",
    )
    .bind(device.client_id)
    .bind(device.branch_id)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let server: BTreeMap<(String, String), u64> =
        rows.into_iter().map(|(t, r, v)| ((t, r), v)).collect();
    if local == server {
        return true;
    }
    let differences: Vec<_> = server
        .iter()
        .filter(|(key, version)| local.get(*key) != Some(version))
        .map(|(key, version)| format!("{key:?}: server v{version}, device {:?}", local.get(key)))
        .chain(
            local
                .keys()
                .filter(|key| !server.contains_key(*key))
                .map(|key| format!("{key:?}: only on the device")),
        )
        .take(3)
        .collect();
    eprintln!(
        "device of client {} branch {} differs: {differences:?}",
        device.client_id, device.branch_id
    );
    false
}
