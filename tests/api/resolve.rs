//! `resolve-conflict` writes only over the server version the conflict showed: an edit made
//! after the conflict was reported is never lost, and the resolving device is the author.

use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

fn product(price: u32, time: &str, base: Option<u64>) -> Value {
    json!([{"table_name": "products", "record_id": "p1", "data": {"name": "Tea", "price": price},
            "local_updated_at": time, "base_version": base}])
}

fn accept_client(price: u32, seen: Option<u64>) -> Value {
    json!({"table_name": "products", "record_id": "p1", "resolution": "accept_client",
           "client_data": {"name": "Tea", "price": price}, "sync_version": seen,
           "device_id": "till-a"})
}

/// Till B writes p1 (version 1), till A's older offline edit conflicts with it.
async fn reported_conflict() -> (TestIngest, String, Value) {
    let app = TestIngest::spawn().await;
    let token = Tenant::seed(&app, "resolve")
        .await
        .token(&app, 0, Role::Cashier);
    app.push(&token, "till-b", product(1, "2025-12-07T10:00:00Z", None))
        .await;
    let answer = app
        .push(&token, "till-a", product(2, "2025-12-07T09:00:00Z", None))
        .await;
    let conflict = answer["conflicts"][0].clone();
    assert_eq!(conflict["sync_version"], 1, "{answer}");
    (app, token, conflict)
}

#[tokio::test]
async fn accepting_the_client_over_a_record_that_moved_on_is_a_new_conflict_and_loses_nothing() {
    let (app, token, conflict) = reported_conflict().await;
    app.push(
        &token,
        "till-b",
        product(3, "2025-12-07T11:00:00Z", Some(1)),
    )
    .await;

    let path = "/api/sync/resolve-conflict";
    let (status, answer) = app.post_as(&token, path, &accept_client(2, Some(1))).await;

    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "conflict");
    assert_eq!(answer["conflict"]["sync_version"], 2);
    assert_eq!(
        answer["conflict"]["server_data"]["price"], 3,
        "B's later edit stands"
    );
    assert_eq!(answer["conflict"]["local_data"]["price"], 2);
    let (status, settled) = app.post_as(&token, path, &accept_client(2, Some(2))).await;
    assert_eq!(
        (status, settled["record"]["sync_version"].clone()),
        (200, json!(3))
    );
    let (changes, _) = app.pull_all(&token, None, 10).await;
    let settled = (
        changes[0]["data"]["price"].clone(),
        changes[0]["sync_version"].clone(),
    );
    assert_eq!(
        settled,
        (json!(2), json!(3)),
        "A's data is the newest version"
    );
    assert_eq!(conflict["record_id"], "p1");
}

#[tokio::test]
async fn a_resolution_retried_after_a_lost_answer_is_answered_as_settled() {
    let (app, token, _) = reported_conflict().await;
    let path = "/api/sync/resolve-conflict";
    let (first, _) = app.post_as(&token, path, &accept_client(2, Some(1))).await;
    let (again, answer) = app.post_as(&token, path, &accept_client(2, Some(1))).await;
    assert_eq!((first, again), (200, 200), "{answer}");
    assert_eq!(answer["record"]["sync_version"], 2, "no second version");
}

#[tokio::test]
async fn accepting_the_client_needs_the_version_the_conflict_showed() {
    let (app, token, _) = reported_conflict().await;
    let (status, answer) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &accept_client(2, None),
        )
        .await;
    assert_eq!(status, 400);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("sync_version"));
}

#[tokio::test]
async fn the_resolving_device_is_the_author_of_the_version_it_writes() {
    let (app, token, _) = reported_conflict().await;
    let (status, _) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &accept_client(2, Some(1)),
        )
        .await;
    assert_eq!(status, 200);

    let authors: Vec<(u64, Option<String>)> = sqlx::query_as(
        "SELECT sync_version, CAST(source_device_id AS CHAR) FROM sync_queue ORDER BY id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        authors,
        [(1, Some("till-b".into())), (2, Some("till-a".into()))]
    );
    // A's later own edit applies by its own rule, not as a conflict with itself.
    let answer = app
        .push(&token, "till-a", product(4, "2025-12-07T09:30:00Z", None))
        .await;
    assert_eq!(answer["conflicts"], json!([]));
}

#[tokio::test]
async fn another_tenants_token_cannot_resolve_or_learn_of_the_record() {
    let (app, _, _) = reported_conflict().await;
    let rival = Tenant::seed(&app, "rival")
        .await
        .token(&app, 0, Role::SuperAdmin);
    let mut request = accept_client(9, Some(1));
    request["device_id"] = json!("rival-till");
    let (status, _) = app
        .post_as(&rival, "/api/sync/resolve-conflict", &request)
        .await;
    assert_eq!(status, 404);
    request["resolution"] = json!("accept_server");
    let (status, _) = app
        .post_as(&rival, "/api/sync/resolve-conflict", &request)
        .await;
    assert_eq!(status, 404);
}
