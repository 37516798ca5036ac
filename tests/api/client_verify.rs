//! The Rust client's verification against the server's checksums: an equal copy is left
//! alone, a table whose copy lost, kept stale or gained records is pulled whole and
//! replaced, other tables untouched, and a copy with edits still queued is not compared.

use possync_client::{Client, Replaced, Verified};
use possync_tests::{TempPath, Tenant, TestIngest};
use serde_json::json;

use crate::client::{open_device, store_path};

/// The device's products (id, version, data) in id order.
async fn products(device: &Client) -> Vec<(String, u64, String)> {
    let mut rows: Vec<(String, u64, String)> = device
        .store()
        .all()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.table_name == "products")
        .map(|r| (r.record_id, r.sync_version, r.data.to_string()))
        .collect();
    rows.sort();
    rows
}

/// The server's products (id, version, data) in id order.
async fn server_products(app: &TestIngest) -> Vec<(String, u64, String)> {
    let rows: Vec<(String, u64, serde_json::Value)> = sqlx::query_as(
        "SELECT CAST(record_id AS CHAR), sync_version, data FROM records \
         WHERE table_name = 'products' ORDER BY record_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, version, data)| (id, version, data.to_string()))
        .collect()
}

/// Changes the device's SQLite copy behind the client's back, as a bug or a lost write would.
async fn corrupt(store: &TempPath, statements: &[&str]) {
    let url = format!("sqlite://{}", store.0.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for statement in statements {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn a_copy_that_differs_is_repaired_table_by_table_and_an_equal_one_left_alone() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let path = store_path();
    let till = open_device(&app, None, &shop, "cashier1", "till-1", &path).await;
    for (id, name) in [("p1", "شاي"), ("p2", "قهوة"), ("p3", "ماء")] {
        till.edit("products", id, json!({"name": name, "price": 2}))
            .await
            .unwrap();
    }
    till.edit("invoices", "i1", json!({"total": 4}))
        .await
        .unwrap();
    till.sync().await.unwrap();
    till.edit("products", "p2", json!({"name": "قهوة عربية", "price": 3}))
        .await
        .unwrap();
    till.sync().await.unwrap();
    let equal = till.verify().await.unwrap();
    let invoices_before = till.store().record("invoices", "i1").await.unwrap();

    corrupt(
        &path,
        &[
            "DELETE FROM records WHERE table_name = 'products' AND record_id = 'p1'",
            "UPDATE records SET sync_version = 1, data = '{\"name\":\"stale\",\"price\":2}' \
             WHERE table_name = 'products' AND record_id = 'p2'",
            "INSERT INTO records (table_name, record_id, data, is_deleted, sync_version) \
             VALUES ('products', 'ghost', '{\"name\":\"ghost\"}', 0, 5)",
        ],
    )
    .await;
    let repaired = till.verify().await.unwrap();
    let after = till.verify().await.unwrap();

    assert_eq!(equal, Verified::Equal { tables: 31 });
    assert_eq!(
        repaired,
        Verified::Repaired {
            tables: vec![(
                "products".to_owned(),
                // p1 back and p2 fresh; p3 was equal and is not written again.
                Replaced {
                    written: 2,
                    dropped: 1
                }
            )]
        }
    );
    assert_eq!(products(&till).await, server_products(&app).await);
    assert_eq!(
        products(&till).await[1].1,
        2,
        "p2 back at the server's version"
    );
    assert_eq!(
        till.store().record("invoices", "i1").await.unwrap(),
        invoices_before,
        "another table untouched"
    );
    assert_eq!(after, Verified::Equal { tables: 31 });
}

#[tokio::test]
async fn edits_still_queued_are_not_compared_and_survive() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let path = store_path();
    let till = open_device(&app, None, &shop, "cashier1", "till-1", &path).await;
    till.edit("products", "p1", json!({"name": "شاي", "price": 2}))
        .await
        .unwrap();

    let verified = till.verify().await.unwrap();

    assert_eq!(verified, Verified::PendingEdits);
    assert_eq!(till.status().borrow().pending, 1);
    till.sync().await.unwrap();
    assert_eq!(products(&till).await, server_products(&app).await);
    assert_eq!(till.verify().await.unwrap(), Verified::Equal { tables: 31 });
}
