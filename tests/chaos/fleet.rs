//! The simulated tills: full client-crate devices through the balancer (their own store,
//! realtime with reconnects, pushes and pulls) that keep selling while the faults run:
//! invoices, items, cash, and stock decrements as increments of their branch's rows. Each
//! notes what it wrote and which of it a push acknowledged with a 200.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use possync_client::{Client, Config, Retry};
use possync_tests::stock::{stock_branches, stock_row};
use possync_tests::TempPath;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::tenants::{Shop, PASSWORD};
use crate::timeline::Ticks;

/// Products each branch stocks.
pub const PRODUCTS: usize = 20;

/// One till.
pub struct Device {
    pub client: Client,
    pub client_id: u64,
    pub branch_id: u64,
    pub name: String,
    pub written: Mutex<Written>,
    _store: TempPath,
}

/// What a till wrote: each record with the data it wrote, what a push acknowledged, and
/// how much of each stock row it sold.
#[derive(Debug, Default)]
pub struct Written {
    pub records: HashMap<(String, String), Value>,
    /// How many of `records` a push had acknowledged (they are written in order).
    pub acknowledged: usize,
    pub sold: HashMap<String, i64>,
    /// Pushes that failed (network, 5xx after the client's retries); retried on the next tick.
    pub failed_pushes: u64,
    pub conflicts: usize,
    pub rejected: usize,
}

/// `devices` tills dealt over `shops` and their branches, named `{name}{n}`.
pub async fn open(
    shops: &[Shop],
    devices: usize,
    name: &str,
    api_url: &str,
    ws_url: &str,
) -> anyhow::Result<Vec<Arc<Device>>> {
    let mut fleet = Vec::new();
    for d in 0..devices {
        let shop = &shops[d % shops.len()];
        let b = d / shops.len() % shop.branches.len();
        let store = TempPath::new("possync-chaos-");
        let config = Config {
            api_url: api_url.to_owned(),
            ws_url: ws_url.to_owned(),
            username: shop.cashier(b),
            password: PASSWORD.to_owned(),
            device_id: format!("{}-{name}{d}", shop.prefix),
            store_path: store.0.clone(),
            retry: Retry::default(),
            reconnect: Retry::reconnect(),
            durable_writes: false,
        };
        fleet.push(Arc::new(Device {
            client: Client::open(config).await?,
            client_id: shop.client_id,
            branch_id: shop.branches[b],
            name: format!("{name}{d}"),
            written: Mutex::default(),
            _store: store,
        }));
    }
    Ok(fleet)
}

/// The first till of each branch stocks its products; every till then pulls them.
pub async fn stock(fleet: &[Arc<Device>]) -> anyhow::Result<()> {
    let tills: Vec<_> = fleet.iter().map(|d| (d.branch_id, &d.client)).collect();
    stock_branches(&tills, PRODUCTS).await
}

/// One sale: an invoice, its items, their stock decrements and the cash.
async fn sell(device: &Device, rng: &mut StdRng, n: u64) {
    let written = &device.written;
    let invoice = format!("{}-inv-{n}", device.name);
    let mut total = 0.0;
    let mut records = Vec::new();
    for i in 0..rng.gen_range(1..=3) {
        let product = rng.gen_range(0..PRODUCTS);
        let (quantity, price) = (rng.gen_range(1..4), rng.gen_range(1..50) as f64);
        total += quantity as f64 * price;
        let item = json!({"invoice_id": invoice, "product_id": format!("p{product}"), "quantity": quantity, "price": price});
        records.push(("invoice_items", format!("{invoice}-{i}"), item));
        let row = stock_row(device.branch_id, product);
        device
            .client
            .increment("product_stock", &row, json!({"quantity": -quantity}))
            .await
            .expect("a local increment");
        *written.lock().unwrap().sold.entry(row).or_default() += quantity;
    }
    records.push(("invoices", invoice.clone(), json!({"total": total})));
    records.push((
        "cash_movements",
        format!("{invoice}-cash"),
        json!({"amount": total, "type": "in"}),
    ));
    for (table, id, data) in records {
        device
            .client
            .edit(table, &id, data.clone())
            .await
            .expect("a local write");
        let mut written = written.lock().unwrap();
        written.records.insert((table.to_owned(), id), data);
    }
}

/// Sells every `every` and pushes after each sale until `stop`; a failed push is left for
/// the next tick (the queue keeps it).
pub async fn run_till(device: Arc<Device>, seed: u64, every: Duration, stop: CancellationToken) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ticks = Ticks::new(every, stop);
    for n in 0u64.. {
        if !ticks.next().await {
            break;
        }
        sell(&device, &mut rng, n).await;
        push(&device).await;
    }
}

/// Pushes the queue; on a 200 for all of it, everything written so far is acknowledged.
async fn push(device: &Device) -> bool {
    let written = &device.written;
    let before = written.lock().unwrap().records.len();
    match device.client.push().await {
        Ok(report) => {
            let mut written = written.lock().unwrap();
            written.conflicts += report.conflicts.len();
            written.rejected += report.rejected;
            written.acknowledged = before;
            true
        }
        Err(_) => {
            written.lock().unwrap().failed_pushes += 1;
            false
        }
    }
}

/// After the faults: pushes until the queue is empty (up to `patience`).
pub async fn drain(device: &Device, patience: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + patience;
    while tokio::time::Instant::now() < deadline {
        if push(device).await && device.client.status().borrow().pending == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}
