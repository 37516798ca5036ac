//! The Rust client's counters against the real stack: a till shows the server value plus its
//! own pending increments before, during and after a sync, rebased as other tills' values
//! arrive by pull or event.

use std::time::Duration;

use possync_client::Client;
use possync_tests::{TempPath, Tenant, TestFanout, TestIngest};
use serde_json::json;

use crate::client::{go_live, open_device, store_path};

/// The quantity a device shows for stock row `id`.
pub(crate) async fn shown(device: &Client, id: &str) -> i64 {
    let record = device.store().record("product_stock", id).await.unwrap();
    record
        .and_then(|r| r.data["quantity"].as_i64())
        .expect("a stock row with a quantity")
}

pub(crate) async fn on_server(app: &TestIngest, id: &str) -> i64 {
    let data: String = sqlx::query_scalar(
        "SELECT CAST(data AS CHAR) FROM records WHERE table_name = 'product_stock' AND record_id = ?",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    serde_json::from_str::<serde_json::Value>(&data).unwrap()["quantity"]
        .as_i64()
        .unwrap()
}

/// Stock row `id` at `quantity`, made by a back-office device and pulled by `devices`.
pub(crate) async fn stocked(back_office: &Client, devices: &[&Client], id: &str, quantity: i64) {
    back_office
        .edit(
            "product_stock",
            id,
            json!({"product_id": id, "quantity": quantity}),
        )
        .await
        .unwrap();
    back_office.sync().await.unwrap();
    for device in devices {
        device.pull().await.unwrap();
    }
}

async fn three_tills(app: &TestIngest, tenant: &Tenant, stores: &[TempPath; 3]) -> [Client; 3] {
    let mut devices = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        devices.push(open_device(app, None, tenant, "cashier1", &format!("till-{i}"), store).await);
    }
    devices.try_into().ok().unwrap()
}

#[tokio::test]
async fn two_tills_selling_offline_show_their_sales_at_once_and_converge_on_both() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let stores = [store_path(), store_path(), store_path()];
    let [office, a, b] = three_tills(&app, &tenant, &stores).await;
    stocked(&office, &[&a, &b], "tea", 10).await;

    a.increment("product_stock", "tea", json!({"quantity": -1}))
        .await
        .unwrap();
    a.increment("product_stock", "tea", json!({"quantity": -2}))
        .await
        .unwrap();
    b.increment("product_stock", "tea", json!({"quantity": -3}))
        .await
        .unwrap();
    assert_eq!((shown(&a, "tea").await, shown(&b, "tea").await), (7, 7));
    assert_eq!(a.status().borrow().pending, 2);

    a.push().await.unwrap();
    assert_eq!(
        shown(&a, "tea").await,
        7,
        "pushed, not yet pulled: still shown"
    );
    b.sync().await.unwrap();
    assert_eq!(
        shown(&b, "tea").await,
        4,
        "b's pull brought a's sales under b's own"
    );
    a.sync().await.unwrap();
    office.sync().await.unwrap();

    assert_eq!(on_server(&app, "tea").await, 4);
    for device in [&office, &a, &b] {
        assert_eq!(shown(device, "tea").await, 4);
        assert_eq!(device.status().borrow().pending, 0);
    }
}

#[tokio::test]
async fn a_live_till_rebases_its_pending_sales_on_events_and_its_own_markers() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let stores = [store_path(), store_path(), store_path()];
    let [office, _, other] = three_tills(&app, &tenant, &stores).await;
    let live = open_device(
        &app,
        Some(&fanout),
        &tenant,
        "cashier1",
        "till-live",
        &stores[1],
    )
    .await;
    stocked(&office, &[&other], "tea", 50).await;
    let (stop, task) = go_live(&live).await;
    wait_for(&live, "tea", 50).await;

    // Offline from the server's view: queued, not pushed.
    live.store()
        .increment("product_stock", "tea", &json!({"quantity": -5}), "l-1")
        .await
        .unwrap();
    other
        .increment("product_stock", "tea", json!({"quantity": -1}))
        .await
        .unwrap();
    other.sync().await.unwrap();
    wait_for(&live, "tea", 44).await;
    live.push().await.unwrap();
    other
        .increment("product_stock", "tea", json!({"quantity": -2}))
        .await
        .unwrap();
    other.sync().await.unwrap();
    wait_for(&live, "tea", 42).await;
    live.increment("product_stock", "tea", json!({"quantity": -10}))
        .await
        .unwrap();
    live.push().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(
        shown(&live, "tea").await,
        32,
        "every marker and event kept the sum"
    );
    stop.cancel();
    task.await.unwrap();
    live.pull().await.unwrap();
    assert_eq!(
        (shown(&live, "tea").await, on_server(&app, "tea").await),
        (32, 32)
    );
}

async fn wait_for(device: &Client, id: &str, quantity: i64) {
    for _ in 0..150 {
        if device
            .store()
            .record("product_stock", id)
            .await
            .unwrap()
            .is_some()
            && shown(device, id).await == quantity
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never showed {quantity}: {}", shown(device, id).await);
}

#[tokio::test]
async fn a_stock_count_sets_the_value_over_earlier_sales_and_later_sales_count_on_it() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let stores = [store_path(), store_path(), store_path()];
    let [office, a, _] = three_tills(&app, &tenant, &stores).await;
    stocked(&office, &[&a], "tea", 10).await;

    a.increment("product_stock", "tea", json!({"quantity": -1}))
        .await
        .unwrap();
    a.edit(
        "product_stock",
        "tea",
        json!({"product_id": "tea", "quantity": 30}),
    )
    .await
    .unwrap();
    a.increment("product_stock", "tea", json!({"quantity": -4}))
        .await
        .unwrap();
    assert_eq!(shown(&a, "tea").await, 26);
    a.edit(
        "product_stock",
        "tea",
        json!({"product_id": "tea", "warehouse_id": "w2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        shown(&a, "tea").await,
        26,
        "data without the counter keeps it"
    );
    a.sync().await.unwrap();

    assert_eq!(
        (shown(&a, "tea").await, on_server(&app, "tea").await),
        (26, 26)
    );
}

#[tokio::test]
async fn bad_increments_are_refused_on_the_device_and_queue_nothing() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let stores = [store_path(), store_path(), store_path()];
    let [office, a, _] = three_tills(&app, &tenant, &stores).await;
    stocked(&office, &[&a], "tea", 10).await;

    let cases = [
        (
            "product_stock",
            "nobody",
            json!({"quantity": 1}),
            "no product_stock record nobody",
        ),
        (
            "product_stock",
            "tea",
            json!({"product_id": 1}),
            "increments.product_id: not a counter",
        ),
        (
            "product_stock",
            "tea",
            json!({"quantity": "1"}),
            "increments.quantity must be a number",
        ),
        (
            "products",
            "tea",
            json!({"price": 1}),
            "increments.price: products has no counters",
        ),
        ("nope", "tea", json!({"quantity": 1}), "no table nope"),
    ];
    for (table, id, increments, message) in cases {
        let err = a
            .increment(table, id, increments)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(message), "{err}");
    }
    assert_eq!(a.status().borrow().pending, 0);
    assert_eq!(shown(&a, "tea").await, 10);
}
