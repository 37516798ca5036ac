//! Bad inputs to push and pull, cursors the server cannot serve, and tenant isolation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

fn product(id: &str, price: Value) -> Value {
    json!({"table_name": "products", "record_id": id, "data": {"name": "Tea", "price": price},
           "local_updated_at": "2025-12-07T10:30:00Z"})
}

async fn count(app: &TestIngest, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn setup() -> (TestIngest, Tenant, String) {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    (app, tenant, token)
}

#[tokio::test]
async fn push_of_51_records_is_rejected_with_400_and_writes_nothing() {
    let (app, _, token) = setup().await;
    let records: Vec<Value> = (0..51)
        .map(|i| product(&format!("p{i}"), json!(1)))
        .collect();

    let (status, body) = app
        .post_as(
            &token,
            "/api/sync/batch-push",
            &json!({"device_id": "t1", "records": records}),
        )
        .await;

    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 50"),
        "{body}"
    );
    assert_eq!(
        (
            count(&app, "records").await,
            count(&app, "sync_queue").await
        ),
        (0, 0)
    );
    let fifty: Vec<Value> = (0..50)
        .map(|i| product(&format!("p{i}"), json!(1)))
        .collect();
    assert_eq!(
        app.push(&token, "t1", json!(fifty)).await["synced_count"],
        50
    );
}

#[tokio::test]
async fn bad_records_are_reported_one_by_one_and_the_rest_applies() {
    let (app, _, token) = setup().await;
    let mut wrong_types = product("p5", json!(1));
    wrong_types["is_deleted"] = json!("no");
    let records = json!([
        product("p0", json!(1)),
        {"table_name": "users", "record_id": "u1", "data": {}, "local_updated_at": "2025-12-07T10:30:00Z"},
        product("p2", json!(-3)),
        {"table_name": "products; DROP TABLE records; --", "record_id": "p3", "data": {}, "local_updated_at": "2025-12-07T10:30:00Z"},
        product("has space", json!(1)),
        wrong_types,
        {"table_name": "products", "record_id": "p6", "data": {"name": "Tea", "price": 1}, "local_updated_at": "yesterday"},
        {"table_name": "invoice_items", "record_id": "ii", "data": {"product_id": "p0", "quantity": 1, "price": 1}, "local_updated_at": "2025-12-07T10:30:00Z"},
        product("p8", json!(2)),
    ]);

    let answer = app.push(&token, "t1", records).await;

    assert_eq!(answer["synced_count"], 2);
    let errors = answer["errors"].as_array().unwrap();
    let indexes: Vec<u64> = errors
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(errors[0]["message"], r#"unknown table "users""#);
    assert_eq!(errors[1]["message"], "data.price must be a number ≥ 0");
    assert_eq!(
        (
            errors[1]["table_name"].as_str(),
            errors[1]["record_id"].as_str()
        ),
        (Some("products"), Some("p2"))
    );
    assert!(errors[2]["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown table"));
    assert_eq!(errors[4]["message"], "is_deleted must be true or false");
    assert_eq!(
        errors[5]["message"],
        "local_updated_at must be an RFC 3339 date-time"
    );
    assert_eq!(errors[6]["message"], "data.invoice_id is required");
    assert_eq!(count(&app, "records").await, 2);
}

#[tokio::test]
async fn malformed_bodies_get_the_error_shape() {
    let (app, _, token) = setup().await;
    let send = |body: String| {
        app.post("/api/sync/batch-push")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    for (body, status) in [
        ("{\"device_id\": \"t1\", \"records\": [".to_owned(), 400),
        (r#"{"device_id": "t1", "records": {}}"#.to_owned(), 400),
        (r#"{"records": []}"#.to_owned(), 400),
        (r#"{"device_id": "a b", "records": []}"#.to_owned(), 400),
        (
            format!(
                r#"{{"device_id": "t1", "records": [{{"note": "{}"}}]}}"#,
                "x".repeat(2 * 1024 * 1024)
            ),
            413,
        ),
    ] {
        let response = send(body).await.unwrap();
        assert_eq!(response.status(), status);
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["code"].is_string() && error["error"]["message"].is_string());
    }
    let no_token = app
        .post_json(
            "/api/sync/batch-push",
            &json!({"device_id": "t1", "records": []}),
        )
        .await;
    assert_eq!(no_token.status(), 401);
}

#[tokio::test]
async fn a_device_bound_to_another_branch_is_refused() {
    let (app, tenant, token) = setup().await;
    app.push(&token, "till-1", json!([])).await;

    let (status, body) = app
        .post_as(
            &tenant.token(&app, 1, Role::Cashier),
            "/api/sync/batch-push",
            &json!({"device_id": "till-1", "records": []}),
        )
        .await;

    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn pull_parameters_are_checked() {
    let (app, _, token) = setup().await;
    for query in [
        "tables=products,users",
        "limit=0",
        "limit=abc",
        "limit=1000001",
        "since=yesterday",
        "cursor=%%%",
    ] {
        let (status, body) = app
            .get_as(&token, &format!("/api/sync/pull-changes?{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (_, body) = app
        .get_as(&token, "/api/sync/pull-changes?tables=products,users")
        .await;
    assert!(body["error"]["message"].as_str().unwrap().contains("users"));
}

#[tokio::test]
async fn cursors_the_server_cannot_serve_ask_for_a_resync() {
    let (app, tenant, token) = setup().await;
    app.push(
        &token,
        "t1",
        json!([product("p1", json!(1)), product("p2", json!(1))]),
    )
    .await;
    let (_, page) = app.get_as(&token, "/api/sync/pull-changes?limit=1").await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let epoch: String = sqlx::query_scalar("SELECT CAST(epoch AS CHAR) FROM server_meta")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let forged = |text: String| URL_SAFE_NO_PAD.encode(text);

    for cursor in [
        forged("v1.00000000-0000-0000-0000-000000000000.1".into()),
        forged(format!("v1.{epoch}.999")),
    ] {
        let (status, body) = app
            .get_as(&token, &format!("/api/sync/pull-changes?cursor={cursor}"))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (410, Some("resync_required")),
            "{body}"
        );
    }
    sqlx::query("UPDATE change_counters SET retained_from = 2 WHERE client_id = ?")
        .bind(tenant.client_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, _) = app
        .get_as(&token, &format!("/api/sync/pull-changes?cursor={cursor}"))
        .await;
    assert_eq!(status, 410);

    // The resync from scratch pages below the floor without being sent back to scratch.
    let (_, first) = app.get_as(&token, "/api/sync/pull-changes?limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, second) = app
        .get_as(
            &token,
            &format!("/api/sync/pull-changes?limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let ids: Vec<&Value> = [&first, &second]
        .iter()
        .map(|page| &page["changes"][0]["record_id"])
        .collect();
    assert_eq!(ids, [&json!("p1"), &json!("p2")]);
    // A `since` pull is not a resync: it may lack what was compacted, so its cursors are
    // held to the floor.
    let (_, first) = app
        .get_as(
            &token,
            "/api/sync/pull-changes?limit=1&since=2000-01-01T00:00:00Z",
        )
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, _) = app
        .get_as(
            &token,
            &format!("/api/sync/pull-changes?limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn paging_returns_every_record_once_with_a_cursor_to_resume() {
    let (app, _, token) = setup().await;
    let records: Vec<Value> = (0..25)
        .map(|i| product(&format!("p{i:02}"), json!(i)))
        .collect();
    app.push(&token, "t1", json!(records)).await;

    let (changes, cursor) = app.pull_all(&token, None, 7).await;
    app.push(&token, "t1", json!([product("p03", json!(99))]))
        .await;
    let (later, _) = app.pull_all(&token, cursor, 7).await;

    let ids: Vec<&str> = changes
        .iter()
        .map(|c| c["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, (0..25).map(|i| format!("p{i:02}")).collect::<Vec<_>>());
    assert_eq!(later.len(), 1);
    assert_eq!(
        (
            later[0]["record_id"].as_str(),
            later[0]["sync_version"].as_u64()
        ),
        (Some("p03"), Some(2))
    );
}

#[tokio::test]
async fn tenants_and_branches_see_only_their_own_records() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let rival = Tenant::seed(&app, "rival").await;
    let invoice = |id: &str, total: u32| json!({"table_name": "invoices", "record_id": id, "data": {"total": total}, "local_updated_at": "2025-12-07T10:30:00Z"});
    app.push(
        &shop.token(&app, 0, Role::Cashier),
        "s1",
        json!([product("same-id", json!(1)), invoice("inv-1", 1)]),
    )
    .await;
    app.push(
        &shop.token(&app, 1, Role::Cashier),
        "s2",
        json!([invoice("inv-2", 2)]),
    )
    .await;
    // The rival pushes the same record id: it gets its own record, not the shop's.
    app.push(
        &rival.token(&app, 0, Role::Cashier),
        "r1",
        json!([product("same-id", json!(500))]),
    )
    .await;
    // A branch-2 cashier cannot overwrite a branch-1 invoice by its id.
    let answer = app
        .push(
            &shop.token(&app, 1, Role::Cashier),
            "s2",
            json!([invoice("inv-1", 999)]),
        )
        .await;
    // The answer does not confirm that another branch has this id.
    assert_eq!(
        answer["errors"][0]["message"],
        "no invoices record inv-1 in your scope"
    );

    let ids = |changes: Vec<Value>| -> Vec<(String, Value)> {
        let mut ids: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c["record_id"].as_str().unwrap().to_owned(),
                    c["data"].clone(),
                )
            })
            .collect();
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        ids
    };
    let branch_1 = ids(app
        .pull_all(&shop.token(&app, 0, Role::Cashier), None, 50)
        .await
        .0);
    let branch_2 = ids(app
        .pull_all(&shop.token(&app, 1, Role::Cashier), None, 50)
        .await
        .0);
    let whole = ids(app
        .pull_all(&shop.token(&app, 0, Role::SuperAdmin), None, 50)
        .await
        .0);
    let rival_view = ids(app
        .pull_all(&rival.token(&app, 0, Role::SuperAdmin), None, 50)
        .await
        .0);

    let names =
        |view: &[(String, Value)]| view.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    assert_eq!(names(&branch_1), ["inv-1", "same-id"]);
    assert_eq!(names(&branch_2), ["inv-2", "same-id"]);
    assert_eq!(names(&whole), ["inv-1", "inv-2", "same-id"]);
    assert_eq!(whole[0].1, json!({"total": 1}));
    assert_eq!(whole[2].1["price"], 1);
    assert_eq!(names(&rival_view), ["same-id"]);
    assert_eq!(rival_view[0].1["price"], 500);
    let (status, _) = app
        .post_as(
            &rival.token(&app, 0, Role::SuperAdmin),
            "/api/sync/resolve-conflict",
            &json!({"table_name": "invoices", "record_id": "inv-1", "resolution": "accept_server"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, stats) = app
        .get_as(&rival.token(&app, 0, Role::SuperAdmin), "/api/sync/stats")
        .await;
    let counted: u64 = stats["tables_stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["record_count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 1);
}

#[tokio::test]
async fn deletes_are_tombstones_that_sync_and_leave_the_counts() {
    let (app, _, token) = setup().await;
    app.push(&token, "t1", json!([product("p1", json!(1))]))
        .await;

    let delete = json!([{"table_name": "products", "record_id": "p1", "is_deleted": true, "local_updated_at": "2025-12-07T11:00:00Z"}]);
    app.push(&token, "t1", delete).await;

    let (changes, _) = app.pull_all(&token, None, 10).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0]["is_deleted"].as_bool(),
            changes[0]["sync_version"].as_u64()
        ),
        (Some(true), Some(2))
    );
    assert_eq!(
        changes[0]["data"]["name"], "Tea",
        "the tombstone keeps the last data"
    );
    let (_, stats) = app.get_as(&token, "/api/sync/stats").await;
    let products = stats["tables_stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table_name"] == "products")
        .unwrap()
        .clone();
    assert_eq!(products["record_count"], 0);
}

#[tokio::test]
async fn resolving_a_conflict_either_way() {
    let (app, _, token) = setup().await;
    app.push(&token, "t1", json!([product("p1", json!(1))]))
        .await;
    let request = |resolution: &str, data: Value| json!({"table_name": "products", "record_id": "p1", "resolution": resolution, "client_data": data, "sync_version": 1});

    let (status, kept) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &request("accept_server", Value::Null),
        )
        .await;
    assert_eq!(
        (status, kept["record"]["sync_version"].as_u64()),
        (200, Some(1))
    );
    let (status, written) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &request("accept_client", json!({"name": "Tea", "price": 7})),
        )
        .await;
    assert_eq!(
        (status, written["record"]["sync_version"].as_u64()),
        (200, Some(2))
    );
    app.wait_published().await;
    let (status, _) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &request("accept_client", json!({"name": "Tea", "price": -1})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &request("accept_client", Value::Null),
        )
        .await;
    assert_eq!(status, 400);
    let (changes, _) = app.pull_all(&token, None, 10).await;
    assert_eq!(changes[0]["data"]["price"], 7);
}
