//! The restore drill: writes, a backup, more acknowledged writes from several tills, a
//! restore (which gives the database a new epoch), and the tills back: every acknowledged
//! write still on a till is back on the server exactly once, what no till holds any more is
//! gone from all of them, and every till's copy equals the server's.

use possync_client::{Client, Verified};
use possync_tests::{TempPath, Tenant, TestIngest};
use serde_json::{json, Value};

use crate::client::{open_device, store_path};

/// The server's records of the tenant: (table, id) → data, tombstones left out.
async fn server_records(app: &TestIngest) -> Vec<(String, String, Value)> {
    let rows: Vec<(String, String, Value)> = sqlx::query_as(
        "SELECT CAST(table_name AS CHAR), CAST(record_id AS CHAR), data FROM records \
         WHERE is_deleted = 0 ORDER BY table_name, record_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    rows
}

/// The device's records, as [`server_records`] lists them.
async fn device_records(device: &Client) -> Vec<(String, String, Value)> {
    let mut rows: Vec<(String, String, Value)> = device
        .store()
        .all()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| !r.is_deleted)
        .map(|r| (r.table_name, r.record_id, r.data))
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    rows
}

async fn field(app: &TestIngest, table: &str, id: &str, name: &str) -> Option<Value> {
    server_records(app)
        .await
        .into_iter()
        .find(|(t, i, _)| t == table && i == id)
        .map(|(_, _, data)| data[name].clone())
}

async fn till(app: &TestIngest, shop: &Tenant, name: &str, store: &TempPath) -> Client {
    open_device(app, None, shop, "cashier1", name, store).await
}

#[tokio::test]
async fn after_a_restore_every_acknowledged_write_on_a_till_is_back_once_and_tills_converge() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "drill").await;
    let stores = [store_path(), store_path(), store_path()];
    let a = till(&app, &shop, "till-a", &stores[0]).await;
    let b = till(&app, &shop, "till-b", &stores[1]).await;
    let lost = till(&app, &shop, "till-burnt", &stores[2]).await;
    a.edit("products", "p1", json!({"name": "شاي", "price": 2}))
        .await
        .unwrap();
    a.edit(
        "product_stock",
        "tea",
        json!({"product_id": "p1", "quantity": 100}),
    )
    .await
    .unwrap();
    a.sync().await.unwrap();
    b.sync().await.unwrap();

    let backup = TempPath::new("possync-backup-");
    ingest::backup::dump(&app.db.config(), &backup.0)
        .await
        .unwrap();

    // Acknowledged after the backup: a new invoice, a price change and a sale on each till,
    // and a product from a till that is then lost for good.
    a.edit("invoices", "inv-a1", json!({"total": 6, "note": "فاتورة"}))
        .await
        .unwrap();
    a.edit("products", "p1", json!({"name": "شاي", "price": 3}))
        .await
        .unwrap();
    a.increment("product_stock", "tea", json!({"quantity": -2}))
        .await
        .unwrap();
    b.edit("invoices", "inv-b1", json!({"total": 15}))
        .await
        .unwrap();
    b.increment("product_stock", "tea", json!({"quantity": -5}))
        .await
        .unwrap();
    lost.edit("products", "p-lost", json!({"name": "lost", "price": 1}))
        .await
        .unwrap();
    for device in [&a, &b, &lost] {
        device.sync().await.unwrap();
    }
    a.pull().await.unwrap();
    assert_eq!(
        field(&app, "product_stock", "tea", "quantity").await,
        Some(json!(93))
    );
    assert!(device_records(&a)
        .await
        .iter()
        .any(|(_, id, _)| id == "p-lost"));
    drop(lost);

    let epoch_before = ingest::epoch::current(&app.db.pool).await.unwrap();
    let epoch = ingest::backup::restore(&app.db.config(), &app.db.pool, &backup.0)
        .await
        .unwrap();
    assert_ne!(
        epoch, epoch_before,
        "a restore gives the database a new epoch"
    );
    assert_eq!(
        field(&app, "invoices", "inv-a1", "total").await,
        None,
        "restored to the backup"
    );
    assert_eq!(
        field(&app, "product_stock", "tea", "quantity").await,
        Some(json!(100))
    );

    // Each till's next sync is refused its cursor, pushes its acknowledged edits again and
    // resyncs; a second round brings each the other's.
    for _ in 0..2 {
        for device in [&a, &b] {
            device.sync().await.unwrap();
        }
    }

    assert_eq!(
        field(&app, "invoices", "inv-a1", "total").await,
        Some(json!(6))
    );
    assert_eq!(
        field(&app, "invoices", "inv-b1", "total").await,
        Some(json!(15))
    );
    assert_eq!(field(&app, "products", "p1", "price").await, Some(json!(3)));
    assert_eq!(
        field(&app, "product_stock", "tea", "quantity").await,
        Some(json!(93)),
        "each sale counted once: the ones the backup held were recognised as retries"
    );
    assert_eq!(field(&app, "products", "p-lost", "name").await, None);
    let server = server_records(&app).await;
    assert_eq!(server.len(), 4, "p1, tea and the two invoices: {server:?}");
    for device in [&a, &b] {
        assert_eq!(
            device_records(device).await,
            server,
            "the till holds what the server holds"
        );
        assert!(matches!(
            device.verify().await.unwrap(),
            Verified::Equal { .. }
        ));
        assert_eq!(device.status().borrow().pending, 0);
    }
}

#[tokio::test]
async fn promoting_a_server_that_is_no_replica_is_refused_and_changes_nothing() {
    let app = TestIngest::spawn().await;
    let before = ingest::epoch::current(&app.db.pool).await.unwrap();
    let refused = ingest::promote::promote(&app.db.pool, std::time::Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("not a replica"), "{refused:#}");
    assert_eq!(ingest::epoch::current(&app.db.pool).await.unwrap(), before);
}
