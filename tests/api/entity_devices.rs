//! Entity-route writes name their device (`X-Device-Id`), bound like a push's, so the
//! device's own change is not sent back to it.

use possync_tests::{Tenant, TestIngest};
use serde_json::json;
use shared::token::Role;

async fn authors(app: &TestIngest) -> Vec<Option<String>> {
    sqlx::query_scalar("SELECT CAST(source_device_id AS CHAR) FROM sync_queue ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn entity_writes_carry_the_device_that_made_them() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let token = shop.token(&app, 0, Role::Admin);
    let body = json!({"record_id": "p1", "data": {"name": "Tea", "price": 1}});
    let created = app
        .post("/api/products")
        .bearer_auth(&token)
        .header("x-device-id", "office-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let patched = app
        .http
        .patch(app.url("/api/products/p1"))
        .bearer_auth(&token)
        .json(&json!({"data": {"price": 2}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    assert_eq!(authors(&app).await, [Some("office-1".into()), None]);
}

#[tokio::test]
async fn a_super_admin_placing_a_record_in_another_branch_keeps_its_device_in_its_own() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let body = json!({"record_id": "i1", "branch_id": shop.branches[1], "data": {"total": 5}});
    let created = app
        .post("/api/invoices")
        .bearer_auth(shop.token(&app, 0, Role::SuperAdmin))
        .header("x-device-id", "office-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let bound: u64 =
        sqlx::query_scalar("SELECT branch_id FROM devices WHERE device_id = 'office-1'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let placed: u64 = sqlx::query_scalar("SELECT branch_scope FROM records WHERE record_id = 'i1'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!((bound, placed), (shop.branches[0], shop.branches[1]));
    let cashier = shop.token(&app, 0, Role::Cashier);
    let pushed = app.push(&cashier, "office-1", json!([])).await;
    assert_eq!(
        pushed["success"], true,
        "the device still pushes from its branch"
    );
}

#[tokio::test]
async fn a_bad_or_foreign_device_header_writes_nothing() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let rival = Tenant::seed(&app, "rival").await;
    app.push(
        &rival.token(&app, 0, Role::Cashier),
        "rival-till",
        json!([]),
    )
    .await;
    let body = json!({"data": {"name": "Tea", "price": 1}});
    for (device, status) in [("has space", 400), ("rival-till", 403)] {
        let answer = app
            .post("/api/products")
            .bearer_auth(shop.token(&app, 0, Role::Admin))
            .header("x-device-id", device)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{device}");
    }
    assert!(authors(&app).await.is_empty());
}
