//! The Rust client crate against the real stack: offline edits survive restarts and
//! converge; two devices editing one record converge with one conflict; events arrive live.

use std::time::Duration;

use possync_client::{Client, Config, Retry};
use possync_tests::tenant::PASSWORD;
use possync_tests::{TempPath, Tenant, TestFanout, TestIngest};
use serde_json::json;
use tokio_util::sync::CancellationToken;

pub(crate) fn store_path() -> TempPath {
    TempPath::new("possync-device-")
}

fn config(
    app: &TestIngest,
    ws: Option<&TestFanout>,
    tenant: &Tenant,
    user: &str,
    device: &str,
    store: &TempPath,
) -> Config {
    Config {
        api_url: format!("http://{}", app.addr),
        ws_url: ws.map_or_else(
            || "ws://127.0.0.1:9".to_owned(),
            |f| format!("ws://{}", f.addr),
        ),
        username: tenant.username(user),
        password: PASSWORD.to_owned(),
        device_id: device.to_owned(),
        store_path: store.0.clone(),
        retry: Retry {
            attempts: 3,
            base: Duration::from_millis(10),
            max: Duration::from_millis(50),
        },
        reconnect: Retry {
            attempts: u32::MAX,
            base: Duration::from_millis(10),
            max: Duration::from_millis(50),
        },
        durable_writes: true,
    }
}

pub(crate) async fn server_rows(app: &TestIngest) -> Vec<(String, u64)> {
    sqlx::query_as("SELECT CAST(record_id AS CHAR), sync_version FROM records ORDER BY record_id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

/// A device of `user`, keeping its data at `store`; realtime through `ws` when given.
pub(crate) async fn open_device(
    app: &TestIngest,
    ws: Option<&TestFanout>,
    tenant: &Tenant,
    user: &str,
    name: &str,
    store: &TempPath,
) -> Client {
    Client::open(config(app, ws, tenant, user, name, store))
        .await
        .unwrap()
}

/// The device's records and versions, in record id order.
async fn local_rows(device: &Client) -> Vec<(String, u64)> {
    let records = device.store().all().await.unwrap();
    records
        .into_iter()
        .map(|r| (r.record_id, r.sync_version))
        .collect()
}

/// Waits up to 2 s for a record to reach the device's store.
pub(crate) async fn arrives(
    device: &Client,
    table: &str,
    id: &str,
) -> Option<possync_client::LocalRecord> {
    for _ in 0..100 {
        if let Some(record) = device.store().record(table, id).await.unwrap() {
            return Some(record);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Runs `device`'s realtime loop until the returned token is cancelled; returns once online.
pub(crate) async fn go_live(device: &Client) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stop = CancellationToken::new();
    let live = tokio::spawn({
        let (device, stop) = (device.clone(), stop.clone());
        async move { device.run_realtime(stop).await }
    });
    let mut status = device.status();
    tokio::time::timeout(Duration::from_secs(5), status.wait_for(|s| s.online))
        .await
        .unwrap()
        .unwrap();
    (stop, live)
}

#[tokio::test]
async fn a_device_that_edits_offline_and_restarts_converges_when_back() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let path = store_path();
    let mut offline = config(&app, None, &tenant, "cashier1", "till-1", &path);
    offline.api_url = "http://127.0.0.1:9".into();

    let device = Client::open(offline.clone()).await.unwrap();
    for i in 0..3 {
        device
            .edit("invoices", &format!("i{i}"), json!({"total": i}))
            .await
            .unwrap();
    }
    assert!(device.sync().await.is_err(), "no server: the sync fails");
    let status = *device.status().borrow();
    assert_eq!((status.online, status.pending), (false, 3));
    drop(device);

    let back = open_device(&app, None, &tenant, "cashier1", "till-1", &path).await;
    assert_eq!(
        back.status().borrow().pending,
        3,
        "the queue survived the restart"
    );
    let report = back.sync().await.unwrap();

    assert_eq!(report.synced, 3);
    assert_eq!(
        *back.status().borrow(),
        possync_client::Status {
            online: true,
            pending: 0,
            rejected: 0
        }
    );
    assert_eq!(
        server_rows(&app).await,
        [("i0".into(), 1), ("i1".into(), 1), ("i2".into(), 1)]
    );
    let other_path = store_path();
    let other = open_device(&app, None, &tenant, "cashier1", "till-2", &other_path).await;
    other.sync().await.unwrap();
    assert_eq!(local_rows(&other).await, server_rows(&app).await);
}

#[tokio::test]
async fn two_devices_editing_one_record_end_equal_with_one_conflict() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let (path_a, path_b) = (store_path(), store_path());
    let a = open_device(&app, None, &tenant, "admin1", "till-a", &path_a).await;
    let b = open_device(&app, None, &tenant, "admin1", "till-b", &path_b).await;
    a.edit("products", "p1", json!({"name": "Tea", "price": 1}))
        .await
        .unwrap();
    a.sync().await.unwrap();
    b.sync().await.unwrap();

    // Both edit while offline from each other; b's edit is the older one.
    b.edit("products", "p1", json!({"name": "Tea", "price": 2}))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    a.edit("products", "p1", json!({"name": "Tea", "price": 3}))
        .await
        .unwrap();
    let first = a.sync().await.unwrap();
    let second = b.sync().await.unwrap();
    a.sync().await.unwrap();

    assert_eq!(first.conflicts.len() + second.conflicts.len(), 1);
    assert_eq!(second.conflicts[0].local_data["price"], 2);
    let (ra, rb) = (
        a.store().record("products", "p1").await.unwrap().unwrap(),
        b.store().record("products", "p1").await.unwrap().unwrap(),
    );
    assert_eq!(ra, rb);
    assert_eq!((ra.data["price"].as_i64(), ra.sync_version), (Some(3), 2));
}

#[tokio::test]
async fn a_cursor_the_server_no_longer_serves_makes_the_device_resync_and_converge() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let (path_a, path_b) = (store_path(), store_path());
    let a = open_device(&app, None, &tenant, "cashier1", "till-a", &path_a).await;
    let b = open_device(&app, None, &tenant, "cashier1", "till-b", &path_b).await;
    for i in 0..3 {
        a.edit("invoices", &format!("i{i}"), json!({"total": i}))
            .await
            .unwrap();
    }
    a.sync().await.unwrap();
    assert_eq!(b.pull().await.unwrap(), 3);
    a.edit("invoices", "i3", json!({"total": 3})).await.unwrap();
    a.edit("invoices", "i0", json!({"total": 10}))
        .await
        .unwrap();
    a.sync().await.unwrap();
    // Compaction past b's cursor: its next pull is refused with 410.
    sqlx::query("UPDATE change_counters SET retained_from = last_position WHERE client_id = ?")
        .bind(tenant.client_id)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let applied = b.pull().await.unwrap();

    assert_eq!(applied, 2, "i3 new and i0 changed, found by the resync");
    assert_eq!(local_rows(&b).await, server_rows(&app).await);
    assert_eq!(b.pull().await.unwrap(), 0, "the new cursor is served again");
}

#[tokio::test]
async fn a_realtime_device_receives_edits_without_polling_and_refused_records_are_kept() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let (path_w, path_r) = (store_path(), store_path());
    let writer = open_device(&app, Some(&fanout), &tenant, "cashier1", "till-w", &path_w).await;
    let reader = open_device(&app, Some(&fanout), &tenant, "cashier1", "till-r", &path_r).await;
    let (stop, live) = go_live(&reader).await;

    writer
        .edit("invoices", "i1", json!({"total": 9}))
        .await
        .unwrap();
    writer
        .edit("products", "bad", json!({"name": "", "price": 1}))
        .await
        .unwrap();
    let report = writer.sync().await.unwrap();

    assert_eq!(report.rejected, 1);
    assert_eq!(
        writer.store().rejected().await.unwrap()[0].message,
        "data.name must be a non-empty string"
    );
    let seen = arrives(&reader, "invoices", "i1").await;
    assert_eq!(seen.map(|r| r.data), Some(json!({"total": 9})));
    stop.cancel();
    live.await.unwrap();
}

#[tokio::test]
async fn a_realtime_device_refreshes_its_token_on_the_socket_and_stays_connected() {
    let app = TestIngest::spawn_with(|c| c.jwt.jwt_access_ttl_secs = 6).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let (path_w, path_r) = (store_path(), store_path());
    let writer = open_device(&app, Some(&fanout), &tenant, "cashier1", "till-w", &path_w).await;
    let reader = open_device(&app, Some(&fanout), &tenant, "cashier1", "till-r", &path_r).await;
    let (stop, live) = go_live(&reader).await;
    let mut status = reader.status();
    // Any drop of the socket (a close at token expiry) shows as a moment offline.
    let dropped = tokio::spawn(async move {
        while status.changed().await.is_ok() {
            if !status.borrow().online {
                return true;
            }
        }
        false
    });

    tokio::time::sleep(Duration::from_secs(8)).await;
    writer
        .edit("invoices", "late", json!({"total": 1}))
        .await
        .unwrap();
    writer.sync().await.unwrap();

    let seen = arrives(&reader, "invoices", "late").await;
    assert!(
        seen.is_some(),
        "the event arrived after the first token expired"
    );
    assert!(!dropped.is_finished(), "the socket was never dropped");
    stop.cancel();
    live.await.unwrap();
}
