//! Counters: increments from many tills add up, apply once per edit id however often they
//! are pushed, never conflict, and reach pulls, events and the entity routes.

use possync_tests::janitor_app::{sweep_config, sweeper};
use possync_tests::{changes_in, messages_until_quiet, nats_url, Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

const AT: &str = "2025-12-07T10:30:00Z";

fn stock(id: &str, quantity: i64) -> Value {
    json!({"table_name": "product_stock", "record_id": id, "local_updated_at": AT,
           "data": {"product_id": "tea", "quantity": quantity}})
}

fn sale(id: &str, edit_id: &str, by: i64, base: u64) -> Value {
    json!({"table_name": "product_stock", "record_id": id, "local_updated_at": AT,
           "increments": {"quantity": by}, "edit_id": edit_id, "base_version": base})
}

async fn setup() -> (TestIngest, Tenant, String) {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    (app, tenant, token)
}

/// The record as the entity route answers it: its data and `sync_version`.
async fn current(app: &TestIngest, token: &str, id: &str) -> (Value, u64) {
    let (status, body) = app.get_as(token, &format!("/api/product_stock/{id}")).await;
    assert_eq!(status, 200, "{body}");
    (body["data"].clone(), body["sync_version"].as_u64().unwrap())
}

async fn applied_edit_ids(app: &TestIngest) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM applied_edits")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_tills_that_each_sell_one_from_ten_leave_eight() {
    let (app, _, token) = setup().await;
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;

    let a = app
        .push(&token, "till-a", json!([sale("s1", "a-1", -1, 1)]))
        .await;
    let b = app
        .push(&token, "till-b", json!([sale("s1", "b-1", -1, 1)]))
        .await;

    for answer in [&a, &b] {
        assert_eq!(answer["synced_count"], 1, "{answer}");
        assert_eq!(answer["conflicts"], json!([]), "increments never conflict");
    }
    assert_eq!(a["versions"], json!([{"index": 0, "sync_version": 2}]));
    assert_eq!(b["versions"], json!([{"index": 0, "sync_version": 3}]));
    let (data, version) = current(&app, &token, "s1").await;
    assert_eq!(data, json!({"product_id": "tea", "quantity": 8}));
    assert_eq!(version, 3);
    let (changes, _) = app.pull_all(&token, None, 100).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["data"]["quantity"], 8);
    assert_eq!(changes[0]["sync_version"], 3);
}

#[tokio::test]
async fn a_push_sent_again_after_another_tills_sale_does_not_set_the_stock_back() {
    // Till A sets the stock; its answer is lost. Till B sells 5. A sends the same push again.
    let (app, _, token) = setup().await;
    app.push(&token, "till-a", json!([stock("s1", 100)])).await;
    app.push(&token, "till-b", json!([sale("s1", "b-1", -5, 1)]))
        .await;

    let again = app.push(&token, "till-a", json!([stock("s1", 100)])).await;
    assert_eq!(again["synced_count"], 1, "{again}");
    let (data, version) = current(&app, &token, "s1").await;
    assert_eq!(data["quantity"], 95, "B's sale is kept");
    assert_eq!(version, 2);

    let later = json!([{"table_name": "product_stock", "record_id": "s1",
        "local_updated_at": "2025-12-07T10:31:00Z", "data": {"product_id": "tea", "quantity": 90}}]);
    app.push(&token, "till-a", later).await;
    assert_eq!(
        current(&app, &token, "s1").await.0["quantity"],
        90,
        "a later count applies"
    );
}

#[tokio::test]
async fn an_edit_pushed_again_in_later_batches_in_one_batch_and_at_once_applies_once() {
    let (app, _, token) = setup().await;
    app.push(&token, "back-office", json!([stock("s1", 100)]))
        .await;

    let first = app
        .push(&token, "till-a", json!([sale("s1", "e-1", -3, 1)]))
        .await;
    // Another till moves the record on in between; the retry is still the same edit.
    app.push(&token, "till-b", json!([sale("s1", "e-2", -1, 2)]))
        .await;
    let retry = app
        .push(&token, "till-a", json!([sale("s1", "e-1", -3, 1)]))
        .await;
    let doubled = app
        .push(
            &token,
            "till-a",
            json!([sale("s1", "e-3", -5, 3), sale("s1", "e-3", -5, 3)]),
        )
        .await;
    let same = json!([sale("s1", "e-4", -7, 4)]);
    let (x, y) = tokio::join!(
        app.push(&token, "till-a", same.clone()),
        app.push(&token, "till-a", same.clone())
    );

    assert_eq!(first["versions"], json!([{"index": 0, "sync_version": 2}]));
    assert_eq!(retry["synced_count"], 1);
    assert_eq!(
        retry["versions"],
        json!([{"index": 0, "sync_version": 3}]),
        "a retry answers the version now current, which holds it"
    );
    assert_eq!(doubled["synced_count"], 2);
    assert_eq!(
        (x["synced_count"].clone(), y["synced_count"].clone()),
        (json!(1), json!(1))
    );
    let (data, version) = current(&app, &token, "s1").await;
    assert_eq!(data["quantity"], 100 - 3 - 1 - 5 - 7);
    assert_eq!(version, 5, "one version per distinct edit");
    assert_eq!(applied_edit_ids(&app).await, 4);
}

#[tokio::test]
async fn increments_apply_even_when_the_data_beside_them_conflicts() {
    let (app, _, token) = setup().await;
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    let later = "2025-12-07T11:00:00Z";
    let moved = json!({"table_name": "product_stock", "record_id": "s1", "local_updated_at": later,
        "data": {"product_id": "tea", "warehouse_id": "w2"}, "base_version": 1});
    app.push(&token, "till-b", json!([moved])).await;

    // Till A saw version 1 and edits the warehouse at an older time, selling two meanwhile.
    let mut both = sale("s1", "a-1", -2, 1);
    both["data"] = json!({"product_id": "tea", "warehouse_id": "w1"});
    let answer = app.push(&token, "till-a", json!([both])).await;

    let conflict = &answer["conflicts"][0];
    assert_eq!(conflict["server_data"]["warehouse_id"], "w2", "{answer}");
    assert_eq!(conflict["server_data"]["quantity"], 8, "the sale counted");
    assert_eq!(conflict["sync_version"], 3);
    let (data, _) = current(&app, &token, "s1").await;
    assert_eq!(
        data,
        json!({"product_id": "tea", "warehouse_id": "w2", "quantity": 8})
    );
}

#[tokio::test]
async fn data_that_leaves_a_counter_out_keeps_it_and_data_that_holds_it_sets_it() {
    let (app, _, token) = setup().await;
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    app.push(&token, "till-a", json!([sale("s1", "a-1", -4, 1)]))
        .await;
    let mut moved = stock("s1", 0);
    moved["data"] = json!({"product_id": "tea", "warehouse_id": "w9"});
    moved["base_version"] = json!(2);
    app.push(&token, "back-office", json!([moved])).await;
    assert_eq!(current(&app, &token, "s1").await.0["quantity"], 6);

    // A stock count sets the counter by value; later increments add to the count. (A count
    // claiming the very time of the device's earlier edit would be taken for its retry.)
    let mut count = stock("s1", 40);
    count["base_version"] = json!(3);
    count["local_updated_at"] = json!("2025-12-07T10:31:00Z");
    app.push(&token, "back-office", json!([count])).await;
    app.push(&token, "till-a", json!([sale("s1", "a-2", -1, 3)]))
        .await;

    let (data, version) = current(&app, &token, "s1").await;
    assert_eq!(data, json!({"product_id": "tea", "quantity": 39}));
    assert_eq!(version, 5);
}

#[tokio::test]
async fn bad_increments_are_refused_per_record_and_the_rest_of_the_batch_applies() {
    let (app, _, token) = setup().await;
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    let mut no_id = sale("s1", "x", -1, 1);
    no_id.as_object_mut().unwrap().remove("edit_id");
    let mut not_counter = sale("s1", "e-2", -1, 1);
    not_counter["increments"] = json!({"product_id": 1});
    let mut text = sale("s1", "e-3", -1, 1);
    text["increments"] = json!({"quantity": "1"});
    let mut deleting = sale("s1", "e-4", -1, 1);
    deleting["is_deleted"] = json!(true);
    let nobody = sale("s-none", "e-5", -1, 1);
    let mut products = sale("p1", "e-6", -1, 1);
    products["table_name"] = json!("products");
    let mut huge = sale("s1", "e-7", 0, 1);
    huge["increments"] = json!({"quantity": 1e308});
    let mut past_f64 = huge.clone();
    past_f64["edit_id"] = json!("e-9");
    let good = sale("s1", "e-8", -2, 1);

    let answer = app
        .push(
            &token,
            "till-a",
            json!([
                no_id,
                not_counter,
                text,
                deleting,
                nobody,
                products,
                huge,
                past_f64,
                good
            ]),
        )
        .await;

    let messages: Vec<(u64, String)> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        (0, "edit_id is required with increments"),
        (1, "increments.product_id: not a counter of product_stock"),
        (2, "increments.quantity must be a number"),
        (3, "a delete cannot carry increments"),
        (4, "no product_stock record s-none to add to"),
        (5, "increments.quantity: products has no counters"),
        (7, "data.quantity would be out of range"),
    ];
    assert_eq!(messages.len(), expected.len(), "{answer}");
    for ((index, message), (want_index, want)) in messages.iter().zip(expected) {
        assert_eq!(*index, want_index);
        assert!(message.starts_with(want), "{message}");
    }
    assert_eq!(
        answer["synced_count"], 2,
        "the first 1e308 and the good sale"
    );
    let (data, version) = current(&app, &token, "s1").await;
    assert_eq!(data["quantity"].as_f64(), Some(1e308));
    assert_eq!(version, 3);
}

#[tokio::test]
async fn another_tenants_edit_ids_and_records_are_its_own() {
    let (app, _, token) = setup().await;
    let other = Tenant::seed(&app, "other").await;
    let other_token = other.token(&app, 0, Role::Cashier);
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    app.push(&other_token, "other-office", json!([stock("s1", 50)]))
        .await;

    app.push(&token, "till-a", json!([sale("s1", "same-id", -1, 1)]))
        .await;
    let theirs = app
        .push(
            &other_token,
            "other-till",
            json!([sale("s1", "same-id", -1, 1)]),
        )
        .await;
    let stranger = app
        .push(
            &other_token,
            "other-till",
            json!([sale("s-only-mine", "x-1", -1, 1)]),
        )
        .await;

    assert_eq!(
        theirs["synced_count"], 1,
        "the same id in another client is another edit"
    );
    assert_eq!(current(&app, &token, "s1").await.0["quantity"], 9);
    assert_eq!(current(&app, &other_token, "s1").await.0["quantity"], 49);
    app.push(&token, "back-office", json!([stock("s-only-mine", 5)]))
        .await;
    assert!(stranger["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("no product_stock record s-only-mine"));
    assert_eq!(current(&app, &token, "s-only-mine").await.0["quantity"], 5);
}

#[tokio::test]
async fn events_carry_the_value_after_the_increment() {
    let (app, tenant, token) = setup().await;
    let prefix = app.config.nats.nats_subject_prefix.clone();
    let nats = async_nats::connect(nats_url()).await.unwrap();
    let mut events = nats.subscribe(format!("{prefix}.>")).await.unwrap();
    nats.flush().await.unwrap();
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    app.push(&token, "till-a", json!([sale("s1", "a-1", -1, 1)]))
        .await;
    app.push(&token, "till-a", json!([sale("s1", "a-1", -1, 1)]))
        .await;
    app.wait_published().await;

    let mut received = Vec::new();
    for message in messages_until_quiet(&mut events).await {
        received.extend(changes_in(&message.payload));
    }

    let seen: Vec<(Value, Value, Value)> = received
        .iter()
        .map(|e| {
            (
                e["data"]["quantity"].clone(),
                e["sync_version"].clone(),
                e["source_device_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (json!(10), json!(1), json!("back-office")),
            (json!(9), json!(2), json!("till-a"))
        ],
        "the retry published nothing"
    );
    assert_eq!(received[1]["branch_id"], tenant.branches[0]);
}

async fn patch(
    app: &TestIngest,
    token: &str,
    path: &str,
    key: Option<&str>,
    if_match: Option<u64>,
    body: Value,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .patch(app.url(path))
        .bearer_auth(token)
        .json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(version) = if_match {
        request = request.header("If-Match", version.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn patch_adds_increments_once_per_idempotency_key() {
    let (app, _, token) = setup().await;
    let other = Tenant::seed(&app, "other");
    let other_token = other.await.token(&app, 0, Role::Admin);
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    let path = "/api/product_stock/s1";
    let by = |n: i64| json!({"increments": {"quantity": n}});

    let first = patch(&app, &token, path, Some("k-1"), None, by(5)).await;
    let again = patch(&app, &token, path, Some("k-1"), Some(1), by(5)).await;
    let both = json!({"data": {"warehouse_id": "w1"}, "increments": {"quantity": -1}});
    let with_data = patch(&app, &token, path, Some("k-2"), None, both).await;

    assert_eq!(first.0, 200, "{first:?}");
    assert_eq!(
        (
            first.1["data"]["quantity"].clone(),
            first.1["sync_version"].clone()
        ),
        (json!(15), json!(2))
    );
    assert_eq!(again.0, 200, "a repeated key answers the record: {again:?}");
    assert_eq!(again.1["sync_version"], 2);
    assert_eq!(with_data.0, 200, "{with_data:?}");
    assert_eq!(
        with_data.1["data"],
        json!({"product_id": "tea", "quantity": 14, "warehouse_id": "w1"})
    );

    let cases = [
        (
            None,
            None,
            by(1),
            400,
            "an Idempotency-Key header is required",
        ),
        (Some("bad key"), None, by(1), 400, "Idempotency-Key: "),
        (
            Some("k-3"),
            None,
            json!({"increments": {"product_id": 1}}),
            422,
            "increments.product_id",
        ),
        (
            Some("k-4"),
            None,
            json!({"increments": {"quantity": "1"}}),
            422,
            "increments.quantity must be a number",
        ),
        (
            Some("k-5"),
            None,
            json!({}),
            422,
            "data must be a JSON object",
        ),
        (Some("k-6"), Some(1), by(1), 412, ""),
    ];
    for (key, if_match, body, status, message) in cases {
        let (got, answer) = patch(&app, &token, path, key, if_match, body.clone()).await;
        assert_eq!(got, status, "{body} {answer}");
        let text = answer["error"]["message"].as_str().unwrap_or("");
        assert!(text.starts_with(message), "{text}");
    }
    let (status, _) = patch(&app, &other_token, path, Some("k-7"), None, by(100)).await;
    assert_eq!(status, 404, "another tenant's record is not found");
    let (status, _) = patch(
        &app,
        &token,
        "/api/products/p1",
        Some("k-8"),
        None,
        json!({"increments": {"price": 1}}),
    )
    .await;
    assert_eq!(status, 422);
    let (data, version) = current(&app, &token, "s1").await;
    assert_eq!(
        (data["quantity"].clone(), version),
        (json!(14), 3),
        "nothing else applied"
    );
}

#[tokio::test]
async fn the_janitor_forgets_edit_ids_after_their_retention() {
    let (app, _, token) = setup().await;
    app.push(&token, "back-office", json!([stock("s1", 10)]))
        .await;
    app.push(&token, "till-a", json!([sale("s1", "a-1", -1, 1)]))
        .await;
    let kept = sweeper(&app, &nats_url(), sweep_config())
        .await
        .sweep_once()
        .await
        .unwrap();
    let mut config = sweep_config();
    config.janitor_edit_retention_secs = 0;
    let forgot = sweeper(&app, &nats_url(), config)
        .await
        .sweep_once()
        .await
        .unwrap();

    assert_eq!((kept.edits_forgotten, forgot.edits_forgotten), (0, 1));
    assert_eq!(applied_edit_ids(&app).await, 0);
}
