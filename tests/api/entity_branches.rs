//! The branch of entity records: a super admin places a branch record in any branch of its
//! client, others only in their own, and every record says which branch it lives in.

use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

async fn create(app: &TestIngest, token: &str, table: &str, body: Value) -> (u16, Value) {
    app.post_as(token, &format!("/api/{table}"), &body).await
}

fn invoice(id: &str, branch_id: Option<u64>) -> Value {
    json!({"record_id": id, "branch_id": branch_id, "data": {"total": 5}})
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_super_admin_creates_a_branch_record_in_another_branch_of_its_client() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let boss = shop.token(&app, 0, Role::SuperAdmin);
    let (home, other) = (
        shop.token(&app, 0, Role::Cashier),
        shop.token(&app, 1, Role::Cashier),
    );

    let (status, created) = create(
        &app,
        &boss,
        "invoices",
        invoice("i1", Some(shop.branches[1])),
    )
    .await;

    assert_eq!(
        (status, created["branch_id"].as_u64()),
        (201, Some(shop.branches[1])),
        "{created}"
    );
    let (status, seen) = app.get_as(&other, "/api/invoices/i1").await;
    assert_eq!(
        (status, seen["branch_id"].as_u64()),
        (200, Some(shop.branches[1]))
    );
    assert_eq!(app.get_as(&home, "/api/invoices/i1").await.0, 404);
    let pulled = app.pull_all(&other, None, 10).await.0;
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0]["branch_id"].as_u64(), Some(shop.branches[1]));
    let listed = app.get_as(&boss, "/api/invoices").await.1;
    assert_eq!(
        listed["items"][0]["branch_id"].as_u64(),
        Some(shop.branches[1])
    );
}

#[tokio::test]
async fn another_tenants_super_admin_cannot_name_your_branch() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let rival = Tenant::seed(&app, "rival").await;
    let intruder = rival.token(&app, 0, Role::SuperAdmin);

    let (status, body) = create(
        &app,
        &intruder,
        "invoices",
        invoice("i1", Some(shop.branches[1])),
    )
    .await;

    assert_eq!((status, error_code(&body)), (403, "forbidden"), "{body}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing written anywhere");
}

#[tokio::test]
async fn a_cashier_or_admin_may_name_only_its_own_branch() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let cashier = shop.token(&app, 0, Role::Cashier);
    let admin = shop.token(&app, 0, Role::Admin);
    let [mine, theirs] = shop.branches;

    let (cashier_elsewhere, body) =
        create(&app, &cashier, "invoices", invoice("i1", Some(theirs))).await;
    let (admin_elsewhere, _) = create(&app, &admin, "invoices", invoice("i2", Some(theirs))).await;
    let (at_home, created) = create(&app, &cashier, "invoices", invoice("i3", Some(mine))).await;

    assert_eq!(
        (cashier_elsewhere, error_code(&body)),
        (403, "forbidden"),
        "{body}"
    );
    assert_eq!(admin_elsewhere, 403);
    assert_eq!(
        (at_home, created["branch_id"].as_u64()),
        (201, Some(mine)),
        "{created}"
    );
    let other = shop.token(&app, 1, Role::Cashier);
    assert!(app.pull_all(&other, None, 10).await.0.is_empty());
}

#[tokio::test]
async fn a_super_admin_cannot_name_a_branch_that_does_not_exist() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let boss = shop.token(&app, 0, Role::SuperAdmin);

    for branch in [0, shop.branches[1] + 1000] {
        let (status, body) = create(&app, &boss, "invoices", invoice("i1", Some(branch))).await;
        assert_eq!(status, 403, "branch {branch}: {body}");
    }
}

#[tokio::test]
async fn a_shared_table_refuses_a_branch_and_its_records_carry_none() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let boss = shop.token(&app, 0, Role::SuperAdmin);
    let product = |branch_id: Option<u64>| json!({"record_id": "p1", "branch_id": branch_id, "data": {"name": "Tea", "price": 2}});

    let (refused, body) = create(&app, &boss, "products", product(Some(shop.branches[0]))).await;
    let (created, record) = create(&app, &boss, "products", product(None)).await;
    create(&app, &boss, "invoices", invoice("i1", None)).await;

    assert_eq!((refused, error_code(&body)), (400, "bad_request"), "{body}");
    assert_eq!(
        (created, record["branch_id"].clone()),
        (201, Value::Null),
        "{record}"
    );
    let pulled = app.pull_all(&boss, None, 10).await.0;
    let branch_of = |id: &str| {
        let change = pulled.iter().find(|c| c["record_id"] == id).unwrap();
        change["branch_id"].clone()
    };
    assert_eq!(branch_of("p1"), Value::Null);
    assert_eq!(
        branch_of("i1"),
        json!(shop.branches[0]),
        "the caller's own branch by default"
    );
}
