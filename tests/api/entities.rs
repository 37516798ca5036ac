//! Entity routes: CRUD with If-Match, validation, scope, admin-only tables, rate limits.

use std::time::Duration;

use possync_tests::{Tenant, TestFanout, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

async fn call(
    app: &TestIngest,
    method: &str,
    token: &str,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut request = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(version) = if_match {
        request = request.header("if-match", version);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), etag)
}

async fn round_trip(table: &str, data: Value, patch: Value) {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let admin = shop.token(&app, 0, Role::Admin);
    let base = format!("/api/{table}");

    let (status, created, etag) = call(
        &app,
        "POST",
        &admin,
        &base,
        Some(json!({"record_id": "r1", "data": data})),
        None,
    )
    .await;
    assert_eq!((status, etag.as_deref()), (201, Some("\"1\"")), "{created}");
    let item = format!("{base}/r1");
    let (status, got, _) = call(&app, "GET", &admin, &item, None, None).await;
    assert_eq!((status, got["data"].clone()), (200, data.clone()));

    let (status, replaced, _) = call(
        &app,
        "PUT",
        &admin,
        &item,
        Some(json!({"data": data})),
        Some("\"1\""),
    )
    .await;
    assert_eq!((status, replaced["sync_version"].as_u64()), (200, Some(2)));
    let (status, stale, _) = call(
        &app,
        "PUT",
        &admin,
        &item,
        Some(json!({"data": data})),
        Some("\"1\""),
    )
    .await;
    assert_eq!(
        (status, stale["error"]["code"].as_str()),
        (412, Some("version_mismatch"))
    );

    let (status, patched, _) = call(
        &app,
        "PATCH",
        &admin,
        &item,
        Some(json!({"data": patch})),
        None,
    )
    .await;
    assert_eq!((status, patched["sync_version"].as_u64()), (200, Some(3)));
    let mut expected = data.clone();
    expected
        .as_object_mut()
        .unwrap()
        .extend(patch.as_object().unwrap().clone());
    assert_eq!(patched["data"], expected, "patch merges top-level fields");

    let (status, deleted, _) = call(&app, "DELETE", &admin, &item, None, Some("3")).await;
    assert_eq!((status, deleted["is_deleted"].as_bool()), (200, Some(true)));
    assert_eq!(call(&app, "GET", &admin, &item, None, None).await.0, 404);
    let (_, listed, _) = call(&app, "GET", &admin, &base, None, None).await;
    assert_eq!(listed["items"], json!([]));
    let (_, tombstones, _) = call(
        &app,
        "GET",
        &admin,
        &format!("{base}?deleted=true"),
        None,
        None,
    )
    .await;
    assert_eq!(tombstones["items"][0]["record_id"], "r1");
    let (changes, _) = app.pull_all(&admin, None, 10).await;
    assert_eq!(
        (
            changes.len(),
            changes[0]["is_deleted"].as_bool(),
            changes[0]["sync_version"].as_u64()
        ),
        (1, Some(true), Some(4))
    );
}

#[tokio::test]
async fn crud_round_trip_on_a_branch_table() {
    round_trip(
        "invoices",
        json!({"total": 10, "customer_id": "c1"}),
        json!({"total": 12}),
    )
    .await;
}

#[tokio::test]
async fn crud_round_trip_on_a_shared_table() {
    round_trip(
        "products",
        json!({"name": "Tea", "price": 2}),
        json!({"barcode": "123"}),
    )
    .await;
}

#[tokio::test]
async fn invalid_writes_are_refused_with_the_field_named() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let admin = shop.token(&app, 0, Role::Admin);

    let cases = [
        (
            "POST",
            "/api/products",
            json!({"data": {"name": "", "price": 1}}),
            422,
            "data.name must be a non-empty string",
        ),
        (
            "POST",
            "/api/invoice_items",
            json!({"data": {"product_id": "p", "quantity": 1, "price": 1}}),
            422,
            "data.invoice_id is required",
        ),
        (
            "POST",
            "/api/products",
            json!({"record_id": "a b", "data": {"name": "Tea", "price": 1}}),
            400,
            "record_id may contain only letters, digits, '_', '-', '.' and ':'",
        ),
        (
            "POST",
            "/api/no_such_table",
            json!({"data": {}}),
            404,
            "no table \"no_such_table\"",
        ),
        ("POST", "/api/products", json!({"name": "Tea"}), 400, ""),
    ];
    for (method, path, body, status, message) in cases {
        let (got, answer, _) = call(&app, method, &admin, path, Some(body), None).await;
        assert_eq!(got, status, "{path}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{answer}"
        );
    }
    call(
        &app,
        "POST",
        &admin,
        "/api/products",
        Some(json!({"record_id": "p1", "data": {"name": "Tea", "price": 1}})),
        None,
    )
    .await;
    let (status, _, _) = call(
        &app,
        "POST",
        &admin,
        "/api/products",
        Some(json!({"record_id": "p1", "data": {"name": "Tea", "price": 1}})),
        None,
    )
    .await;
    assert_eq!(status, 409);
    let (status, _, _) = call(
        &app,
        "PATCH",
        &admin,
        "/api/products/p1",
        Some(json!({"data": {"price": -1}})),
        None,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn lists_filter_on_declared_fields_and_page_in_a_stable_order() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let admin = shop.token(&app, 0, Role::Admin);
    for i in 0..7 {
        let data = json!({"name": format!("P{i}"), "price": i, "category_id": if i % 2 == 0 { "even" } else { "odd" }});
        call(
            &app,
            "POST",
            &admin,
            "/api/products",
            Some(json!({"record_id": format!("p{i}"), "data": data})),
            None,
        )
        .await;
    }

    let (_, even, _) = call(
        &app,
        "GET",
        &admin,
        "/api/products?category_id=even",
        None,
        None,
    )
    .await;
    let (_, first, _) = call(&app, "GET", &admin, "/api/products?page_size=3", None, None).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second, _) = call(
        &app,
        "GET",
        &admin,
        &format!("/api/products?page_size=3&cursor={cursor}"),
        None,
        None,
    )
    .await;
    let (status, unknown, _) =
        call(&app, "GET", &admin, "/api/products?colour=red", None, None).await;

    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["record_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&even), ["p0", "p2", "p4", "p6"]);
    assert_eq!(ids(&first), ["p0", "p1", "p2"]);
    assert_eq!(ids(&second), ["p3", "p4", "p5"]);
    assert_eq!(status, 400, "{unknown}");
}

#[tokio::test]
async fn an_entity_write_reaches_pulls_and_websocket_devices() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let cashier = shop.token(&app, 0, Role::Cashier);
    let mut till = fanout.connect(&cashier, "till-1").await;

    call(
        &app,
        "POST",
        &shop.token(&app, 0, Role::Admin),
        "/api/products",
        Some(json!({"record_id": "p1", "data": {"name": "Tea", "price": 2}})),
        None,
    )
    .await;

    let event = till.expect_json(Duration::from_secs(5)).await;
    assert_eq!(
        (event["type"].as_str(), event["record_id"].as_str()),
        (Some("sync"), Some("p1"))
    );
    assert_eq!(
        app.pull_all(&cashier, None, 10).await.0[0]["record_id"],
        "p1"
    );
}

#[tokio::test]
async fn another_clients_ids_are_not_found_and_its_lists_are_empty() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let rival = Tenant::seed(&app, "rival").await;
    let (mine, theirs) = (
        shop.token(&app, 0, Role::SuperAdmin),
        rival.token(&app, 0, Role::SuperAdmin),
    );
    call(
        &app,
        "POST",
        &mine,
        "/api/invoices",
        Some(json!({"record_id": "i1", "data": {"total": 5}})),
        None,
    )
    .await;

    assert_eq!(
        call(&app, "GET", &theirs, "/api/invoices/i1", None, None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(
            &app,
            "PUT",
            &theirs,
            "/api/invoices/i1",
            Some(json!({"data": {"total": 0}})),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            &app,
            "PATCH",
            &theirs,
            "/api/invoices/i1",
            Some(json!({"data": {"total": 0}})),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(&app, "DELETE", &theirs, "/api/invoices/i1", None, None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(
            &app,
            "PUT",
            &theirs,
            "/api/invoices/i1",
            Some(json!({"data": {"total": 0}})),
            Some("1")
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(&app, "GET", &theirs, "/api/invoices", None, None)
            .await
            .1["items"],
        json!([])
    );
    let branch_2 = shop.token(&app, 1, Role::Cashier);
    assert_eq!(
        call(&app, "GET", &branch_2, "/api/invoices/i1", None, None)
            .await
            .0,
        404,
        "another branch's invoice"
    );
    assert_eq!(
        call(&app, "GET", &mine, "/api/invoices/i1", None, None)
            .await
            .1["data"]["total"],
        5,
        "untouched"
    );
}

#[tokio::test]
async fn tables_that_need_an_admin_refuse_cashier_writes_everywhere() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let cashier = shop.token(&app, 0, Role::Cashier);
    let setting = json!({"record_id": "tax", "data": {"key": "tax_rate", "value": 0.15}});

    assert_eq!(
        call(
            &app,
            "POST",
            &cashier,
            "/api/settings",
            Some(setting.clone()),
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(
            &app,
            "POST",
            &shop.token(&app, 0, Role::Admin),
            "/api/settings",
            Some(setting),
            None
        )
        .await
        .0,
        201
    );
    assert_eq!(
        call(&app, "GET", &cashier, "/api/settings/tax", None, None)
            .await
            .0,
        200,
        "cashiers read them"
    );
    let pushed = app.push(&cashier, "till-1", json!([{"table_name": "settings", "record_id": "tax", "data": {"key": "tax_rate", "value": 0}, "local_updated_at": "2025-12-07T10:30:00Z"}])).await;
    assert_eq!(
        pushed["errors"][0]["message"],
        "writing settings needs an admin"
    );
}

#[tokio::test]
async fn the_101st_entity_request_in_a_minute_is_refused_but_sync_is_not_limited() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let token = shop.token(&app, 0, Role::Cashier);
    for n in 0..100 {
        assert_eq!(
            call(&app, "GET", &token, "/api/products", None, None)
                .await
                .0,
            200,
            "request {n}"
        );
    }

    let response = app
        .get("/api/products")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    for _ in 0..120 {
        assert_eq!(app.get_as(&token, "/api/sync/pull-changes").await.0, 200);
    }
    let principal = shared::token::Principal {
        user_id: 2,
        client_id: shop.client_id,
        branch_id: shop.branches[1],
        role: Role::Cashier,
    };
    let other_user = app.keys.issue(&principal);
    assert_eq!(
        call(&app, "GET", &other_user, "/api/products", None, None)
            .await
            .0,
        200,
        "limits are per user"
    );
}

#[tokio::test]
async fn posting_a_deleted_id_is_a_conflict_and_put_with_the_tombstones_version_revives_it() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let admin = shop.token(&app, 0, Role::Admin);
    let body = json!({"record_id": "c1", "data": {"name": "Ann"}});
    call(
        &app,
        "POST",
        &admin,
        "/api/customers",
        Some(body.clone()),
        None,
    )
    .await;
    call(&app, "DELETE", &admin, "/api/customers/c1", None, None).await;

    let (posted, conflict, _) =
        call(&app, "POST", &admin, "/api/customers", Some(body), None).await;
    let put = |if_match| {
        let data = json!({"data": {"name": "Ann"}});
        call(
            &app,
            "PUT",
            &admin,
            "/api/customers/c1",
            Some(data),
            if_match,
        )
    };
    let (put_blind, _, _) = put(None).await;
    let (revived, record, _) = put(Some("\"2\"")).await;

    assert_eq!(
        (posted, conflict["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    assert!(conflict["error"]["message"]
        .as_str()
        .unwrap()
        .contains("sync_version 2"));
    assert_eq!(put_blind, 404);
    assert_eq!(
        (revived, record["is_deleted"].clone()),
        (200, json!(false)),
        "{record}"
    );
    assert_eq!(record["sync_version"], 3);
}
