//! The Rust client crate and records the server refuses for good: they leave the queue,
//! kept aside with their message and counted in the status, and never block what follows.

use possync_tests::{Tenant, TestIngest};
use serde_json::json;

use crate::client::{open_device, server_rows, store_path};

#[tokio::test]
async fn records_refused_for_good_leave_the_queue_and_the_rest_syncs() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "refusals").await;
    let path = store_path();
    let device = open_device(&app, None, &tenant, "cashier1", "till-1", &path).await;
    let huge = "x".repeat(1_100_000);
    device
        .edit("invoices", "i1", json!({"total": 1}))
        .await
        .unwrap();
    let bad_time = json!({"opened_at": "2039-01-01T00:00:00Z"});
    device.edit("shifts", "s1", bad_time).await.unwrap();
    device
        .edit("invoices", "i2", json!({"total": 2, "note": huge}))
        .await
        .unwrap();
    device
        .edit("invoices", "i3", json!({"total": 3}))
        .await
        .unwrap();

    let report = device.sync().await.unwrap();

    assert_eq!((report.synced, report.rejected), (2, 2));
    let status = *device.status().borrow();
    assert_eq!((status.pending, status.rejected), (0, 2));
    let rejected = device.store().rejected().await.unwrap();
    let ids: Vec<&str> = rejected.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["s1", "i2"]);
    assert!(rejected[0]
        .message
        .starts_with("data.opened_at must lie from 2000-01-01"));
    assert!(
        rejected[1].message.contains("413"),
        "{}",
        rejected[1].message
    );
    assert_eq!(
        server_rows(&app).await,
        [("i1".into(), 1), ("i3".into(), 1)]
    );
    let again = device.sync().await.unwrap();
    assert_eq!((again.synced, again.rejected), (0, 0), "nothing is retried");
}
