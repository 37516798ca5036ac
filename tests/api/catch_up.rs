//! Catch-up in a large client: after a long offline spell, a device's pulls from its cursor
//! return exactly the records that changed in its scope (each once, in its latest state),
//! whole or a subset of tables, for a branch till and a super admin, and nothing of the
//! client to another tenant.

use std::collections::BTreeMap;

use possync_tests::{history, Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

/// Seeded history before the device's first sync, and during its offline spell.
const HISTORY: u64 = 40_000;
const WHILE_AWAY: u64 = 15_000;

/// `(table, id)` → `(sync_version, is_deleted)`.
type Copy = BTreeMap<(String, String), (u64, bool)>;

/// Every page after `cursor` (pages of `limit`, optional `tables`): the changes and the last
/// cursor; a record that appears twice is a failure.
async fn catch_up(
    app: &TestIngest,
    token: &str,
    mut cursor: Option<String>,
    tables: Option<&str>,
    limit: u32,
) -> (Copy, Vec<Value>, Option<String>) {
    let (mut copy, mut changes) = (Copy::new(), Vec::new());
    loop {
        let mut path = format!("/api/sync/pull-changes?limit={limit}");
        if let Some(tables) = tables {
            path.push_str(&format!("&tables={tables}"));
        }
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = app.get_as(token, &path).await;
        assert_eq!(status, 200, "pull accepted: {page}");
        for change in page["changes"].as_array().unwrap() {
            let key = (
                change["table_name"].as_str().unwrap().to_owned(),
                change["record_id"].as_str().unwrap().to_owned(),
            );
            let state = (
                change["sync_version"].as_u64().unwrap(),
                change["is_deleted"].as_bool().unwrap(),
            );
            assert!(copy.insert(key.clone(), state).is_none(), "{key:?} twice");
            changes.push(change.clone());
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned).or(cursor);
        if page["has_more"] == false {
            return (copy, changes, cursor);
        }
    }
}

/// What the store holds after `position` in `scopes` (all of the client when `None`) and
/// `tables`, read straight from it.
async fn changed_after(
    app: &TestIngest,
    client_id: u64,
    position: u64,
    scopes: Option<&[u64]>,
    tables: Option<&[&str]>,
) -> Copy {
    let records = history::changed_after(&app.db.pool, client_id, position)
        .await
        .unwrap();
    records
        .into_iter()
        .filter(|r| scopes.is_none_or(|scopes| scopes.contains(&r.branch_scope)))
        .filter(|r| tables.is_none_or(|tables| tables.contains(&r.table_name.as_str())))
        .map(|r| ((r.table_name, r.record_id), (r.sync_version, r.is_deleted)))
        .collect()
}

async fn last_position(app: &TestIngest, client_id: u64) -> u64 {
    sqlx::query_scalar("SELECT last_position FROM change_counters WHERE client_id = ?")
        .bind(client_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Seeded row `seq` of the first history, if it is a branch table row of branch index 0.
fn branch_one_invoice(seq: u64) -> bool {
    history::table_of_row(seq) == "invoices" && seq % 2 == 0
}

fn pushed_all(answer: Value, count: u64) {
    assert_eq!(answer["synced_count"], count, "{answer}");
}

/// The offline spell: edits of seeded invoices and customers, deletes, new sales in both
/// branches, and more history written meanwhile.
async fn changes_while_away(app: &TestIngest, shop: &Tenant) {
    let cashier1 = shop.token(app, 0, Role::Cashier);
    let cashier2 = shop.token(app, 1, Role::Cashier);
    let admin = shop.token(app, 0, Role::SuperAdmin);
    let now = chrono::Utc::now().to_rfc3339();
    let edited: Vec<Value> = (1..HISTORY)
        .filter(|&seq| branch_one_invoice(seq))
        .step_by(97)
        .take(50)
        .map(|seq| {
            json!({"table_name": "invoices", "record_id": format!("h-{seq}"),
            "data": {"total": 7, "note": "edited offline"}, "local_updated_at": now})
        })
        .collect();
    pushed_all(app.push(&cashier1, "till-b1", json!(edited)).await, 50);
    let deleted: Vec<Value> = (1..HISTORY)
        .filter(|&seq| history::table_of_row(seq) == "customers")
        .step_by(150)
        .take(20)
        .map(|seq| {
            json!({"table_name": "customers", "record_id": format!("h-{seq}"),
            "is_deleted": true, "local_updated_at": now})
        })
        .collect();
    pushed_all(app.push(&admin, "back-office", json!(deleted)).await, 20);
    for (token, device) in [(&cashier1, "till-b1"), (&cashier2, "till-b2")] {
        for batch in 0..2 {
            let sales: Vec<Value> = (0..50)
                .map(|i| {
                    json!({"table_name": "invoices", "record_id": format!("{device}-{batch}-{i}"),
                    "data": {"total": i}, "local_updated_at": now})
                })
                .collect();
            pushed_all(app.push(token, device, json!(sales)).await, 50);
        }
    }
    history::seed(
        &app.db.pool,
        shop.client_id,
        &shop.branches,
        "away",
        WHILE_AWAY,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_catch_up_after_a_long_offline_spell_in_a_large_client_returns_exactly_what_changed() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "busy").await;
    history::seed(&app.db.pool, shop.client_id, &shop.branches, "h", HISTORY)
        .await
        .unwrap();
    let cashier = shop.token(&app, 0, Role::Cashier);
    let admin = shop.token(&app, 0, Role::SuperAdmin);
    let (first_sync, _, till_cursor) = catch_up(&app, &cashier, None, None, 5_000).await;
    let (_, _, admin_cursor) = catch_up(&app, &admin, None, None, 5_000).await;
    let scope = [shop.branches[0], 0];
    assert_eq!(
        first_sync,
        changed_after(&app, shop.client_id, 0, Some(&scope), None).await
    );
    let went_offline_at = last_position(&app, shop.client_id).await;

    changes_while_away(&app, &shop).await;

    let (till, changes, _) = catch_up(&app, &cashier, till_cursor.clone(), None, 700).await;
    let expected = changed_after(&app, shop.client_id, went_offline_at, Some(&scope), None).await;
    assert_eq!(till.len(), expected.len());
    assert_eq!(till, expected);
    // 50 edits + 20 deletes + 100 own-branch sales + the branch's and shared share of history.
    assert!(
        till.len() > 170 + (WHILE_AWAY as usize) / 2,
        "{}",
        till.len()
    );
    let edited = changes
        .iter()
        .find(|c| c["data"]["note"] == "edited offline")
        .expect("an edited invoice came back");
    assert_eq!(edited["data"]["total"], 7);
    assert_eq!(
        till.values().filter(|(_, deleted)| *deleted).count(),
        20,
        "every delete came as a tombstone"
    );
    assert!(!till.keys().any(|(_, id)| id.starts_with("till-b2")));

    let subset = ["invoices", "customers"];
    let (tables, _, _) =
        catch_up(&app, &cashier, till_cursor, Some("invoices,customers"), 700).await;
    let expected_subset = changed_after(
        &app,
        shop.client_id,
        went_offline_at,
        Some(&scope),
        Some(&subset),
    )
    .await;
    assert_eq!(tables, expected_subset);

    let (whole, _, _) = catch_up(&app, &admin, admin_cursor, None, 900).await;
    assert_eq!(
        whole,
        changed_after(&app, shop.client_id, went_offline_at, None, None).await
    );
    assert!(whole.keys().any(|(_, id)| id.starts_with("till-b2")));
}

#[tokio::test]
async fn another_tenants_till_pulls_nothing_of_a_large_client() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "big").await;
    let other = Tenant::seed(&app, "small").await;
    history::seed(&app.db.pool, shop.client_id, &shop.branches, "h", 5_000)
        .await
        .unwrap();
    for role in [Role::Cashier, Role::SuperAdmin] {
        let token = other.token(&app, 0, role);
        for tables in [None, Some("invoices,products")] {
            let (copy, _, _) = catch_up(&app, &token, None, tables, 1_000).await;
            assert!(copy.is_empty(), "{role:?} {tables:?} saw {}", copy.len());
        }
    }
}
