//! `GET /api/sync/checksums`: per table, the records a scope holds and their checksum equal
//! what a device computes from its pulls (and what MariaDB's CRC32 computes over the
//! store), through creates, updates and deletes; with the device's cursor, whether the
//! scope changed after it; nothing of another branch or tenant; bad cursors refused.

use std::collections::BTreeMap;

use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;
use shared::wire::checksums::Sum;

fn product(id: &str, price: u32) -> Value {
    json!({"table_name": "products", "record_id": id, "data": {"name": "شاي", "price": price},
           "local_updated_at": "2025-12-07T10:30:00Z"})
}

fn invoice(id: &str) -> Value {
    json!({"table_name": "invoices", "record_id": id, "data": {"total": 12.5},
           "local_updated_at": "2025-12-07T10:30:00Z"})
}

/// (records, checksum) per table of a checksums answer, tables with records only.
fn answered(body: &Value) -> BTreeMap<String, (u64, u32)> {
    body["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter(|t| t["record_count"].as_u64() != Some(0))
        .map(|t| {
            let name = t["table_name"].as_str().unwrap().to_owned();
            let sum = (
                t["record_count"].as_u64().unwrap(),
                t["checksum"].as_u64().unwrap() as u32,
            );
            (name, sum)
        })
        .collect()
}

/// What a device that pulled `changes` (each record's latest state) computes.
fn computed(changes: &[Value]) -> BTreeMap<String, (u64, u32)> {
    let mut latest: BTreeMap<(String, String), (u64, bool)> = BTreeMap::new();
    for change in changes {
        let key = (
            change["table_name"].as_str().unwrap().to_owned(),
            change["record_id"].as_str().unwrap().to_owned(),
        );
        let state = (
            change["sync_version"].as_u64().unwrap(),
            change["is_deleted"].as_bool().unwrap(),
        );
        latest.insert(key, state);
    }
    let mut sums: BTreeMap<String, Sum> = BTreeMap::new();
    for ((table, id), (version, deleted)) in latest {
        sums.entry(table).or_default().add(&id, version, deleted);
    }
    sums.into_iter()
        .map(|(table, sum)| (table, (sum.record_count, sum.checksum)))
        .collect()
}

#[tokio::test]
async fn each_scope_s_checksums_equal_what_its_pulls_and_the_store_add_up_to() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let branch_1 = shop.token(&app, 0, Role::Cashier);
    let branch_2 = shop.token(&app, 1, Role::Cashier);
    let owner = shop.token(&app, 0, Role::SuperAdmin);
    app.push(
        &branch_1,
        "till-1",
        json!([product("p1", 1), product("p2", 2), invoice("i1")]),
    )
    .await;
    app.push(&branch_2, "till-2", json!([invoice("i2"), invoice("i3")]))
        .await;
    let delete = json!({"table_name": "products", "record_id": "p2", "is_deleted": true,
                        "local_updated_at": "2025-12-07T11:00:00Z"});
    app.push(&branch_1, "till-1", json!([product("p1", 5), delete]))
        .await;

    for (token, tables) in [
        (&branch_1, vec![("invoices", 1), ("products", 2)]),
        (&branch_2, vec![("invoices", 2), ("products", 2)]),
        (&owner, vec![("invoices", 3), ("products", 2)]),
    ] {
        let (changes, _) = app.pull_all(token, None, 2).await;
        let (status, body) = app.get_as(token, "/api/sync/checksums").await;

        assert_eq!(status, 200, "{body}");
        assert_eq!(body["tables"].as_array().unwrap().len(), 31, "every table");
        assert_eq!(body["changed_since_cursor"], Value::Null);
        let sums = answered(&body);
        assert_eq!(sums, computed(&changes));
        let counts: Vec<(&str, u64)> = sums
            .iter()
            .map(|(table, (count, _))| (table.as_str(), *count))
            .collect();
        assert_eq!(counts, tables, "tombstones counted");
    }
    let by_crc32: u64 = sqlx::query_scalar(
        "SELECT CAST(SUM(CRC32(CONCAT(record_id, ':', sync_version, ':', is_deleted))) \
         % 4294967296 AS UNSIGNED) FROM records WHERE table_name = 'products'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (_, body) = app.get_as(&owner, "/api/sync/checksums").await;
    assert_eq!(
        u64::from(answered(&body)["products"].1),
        by_crc32,
        "MariaDB's CRC32 over the store"
    );
}

#[tokio::test]
async fn with_a_cursor_the_answer_says_whether_the_scope_changed_after_it() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let branch_1 = shop.token(&app, 0, Role::Cashier);
    let branch_2 = shop.token(&app, 1, Role::Cashier);
    app.push(&branch_1, "till-1", json!([invoice("i1")])).await;
    let (_, cursor) = app.pull_all(&branch_1, None, 10).await;
    let cursor = cursor.expect("a cursor");
    let ask = |token: &str| {
        let path = format!("/api/sync/checksums?cursor={cursor}");
        let token = token.to_owned();
        let app = &app;
        async move { app.get_as(&token, &path).await }
    };

    let (status, at_head) = ask(&branch_1).await;
    app.push(&branch_2, "till-2", json!([invoice("i2")])).await;
    let (_, other_branch_wrote) = ask(&branch_1).await;
    app.push(&branch_2, "till-2", json!([product("p1", 1)]))
        .await;
    let (_, shared_table_written) = ask(&branch_1).await;

    assert_eq!(status, 200);
    assert_eq!(at_head["changed_since_cursor"], false);
    assert_eq!(
        other_branch_wrote["changed_since_cursor"], false,
        "another branch's invoice is not in this scope"
    );
    assert_eq!(
        shared_table_written["changed_since_cursor"], true,
        "a product is shared by every branch"
    );
}

#[tokio::test]
async fn bad_cursors_are_refused_and_another_tenant_sees_only_its_own_records() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let rival = Tenant::seed(&app, "rival").await;
    let token = shop.token(&app, 0, Role::Cashier);
    let rival_token = rival.token(&app, 0, Role::SuperAdmin);
    app.push(&token, "till-1", json!([invoice("i1"), product("p1", 1)]))
        .await;
    let (_, cursor) = app.pull_all(&token, None, 10).await;
    let cursor = cursor.unwrap();

    let (garbled, garbled_body) = app.get_as(&token, "/api/sync/checksums?cursor=%%%").await;
    let (ahead, ahead_body) = app
        .get_as(
            &rival_token,
            &format!("/api/sync/checksums?cursor={cursor}"),
        )
        .await;
    let (anonymous, anonymous_body) = app.get_as("", "/api/sync/checksums").await;
    let (_, rivals) = app.get_as(&rival_token, "/api/sync/checksums").await;

    assert_eq!(
        (garbled, garbled_body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    assert_eq!(
        (ahead, ahead_body["error"]["code"].as_str()),
        (410, Some("resync_required")),
        "the shop's cursor is past the rival's order: {ahead_body}"
    );
    assert_eq!(anonymous, 401, "{anonymous_body}");
    assert!(
        answered(&rivals).is_empty(),
        "the rival holds no record: {rivals}"
    );
}
