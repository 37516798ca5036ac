//! The original note's curl walkthrough, as written: login, push, pull, stats.

use possync_tests::TestIngest;
use serde_json::json;

#[tokio::test]
async fn the_notes_walkthrough_works_against_the_demo_tenant() {
    let app = TestIngest::spawn().await;
    ingest::demo::seed(&app.db.pool).await.unwrap();

    // 1. Login
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"username": "admin", "password": "password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let token = login.json::<serde_json::Value>().await.unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // 2. Push batch
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let body = json!({
        "device_id": "test-device",
        "records": [{
            "table_name": "products",
            "record_id": "test-123",
            "data": {"name": "Test Product", "price": 99.99},
            "local_updated_at": now,
            "is_deleted": false
        }]
    });
    let (status, pushed) = app.post_as(&token, "/api/sync/batch-push", &body).await;
    assert_eq!(status, 200, "{pushed}");
    assert_eq!(
        pushed,
        json!({"success": true, "synced_count": 1, "conflicts": [], "errors": []})
    );

    // 3. Pull changes
    let (status, pulled) = app
        .get_as(&token, "/api/sync/pull-changes?since=2025-01-01T00:00:00Z")
        .await;
    assert_eq!(status, 200, "{pulled}");
    let changes = pulled["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["table_name"], "products");
    assert_eq!(changes[0]["record_id"], "test-123");
    assert_eq!(
        changes[0]["data"],
        json!({"name": "Test Product", "price": 99.99})
    );
    assert_eq!(changes[0]["is_deleted"], false);
    assert_eq!(changes[0]["sync_version"], 1);
    assert_eq!(pulled["has_more"], false);
    assert!(pulled["next_cursor"].is_string());

    // 4. Get stats
    app.wait_published().await;
    let (status, stats) = app.get_as(&token, "/api/sync/stats").await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["pending_queue_count"], 0);
    assert!(stats["last_sync_at"].is_string());
    let products = stats["tables_stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table_name"] == "products")
        .unwrap();
    assert_eq!(products["record_count"], 1);
    assert_eq!(stats["tables_stats"].as_array().unwrap().len(), 31);
}
