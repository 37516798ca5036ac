//! `since` pulls: exactly the changes at or after the time, started from `change_marks`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ingest::sync::cursor::{ChangeOrder, FIRST_POSITION_MARKED};
use possync_tests::{Tenant, TestIngest};
use serde_json::Value;
use shared::storage::Text;
use shared::token::Role;
use sqlx::Row;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// The time a row at `position` was changed: one minute per position (marks are filed by
/// the minute), except that two rows disagree with the change order (a write that took its
/// position late or early).
fn changed_at(position: u64) -> DateTime<Utc> {
    let minutes = match position {
        5 => 15,
        12 => 3,
        p => p,
    };
    base() + Duration::minutes(minutes as i64)
}

/// Rows at positions 1..=20: invoices of both branches (by parity) and every third a product,
/// each filed in `change_marks` as the write path would file it (under the latest time up
/// to it).
async fn insert_rows(app: &TestIngest, shop: &Tenant) {
    let mut mark = base();
    for position in 1..=20u64 {
        let (table, scope) = match position {
            p if p % 3 == 0 => ("products", 0),
            p => ("invoices", shop.branches[(p % 2) as usize]),
        };
        let at = changed_at(position);
        mark = mark.max(at);
        sqlx::query(
            "INSERT INTO records (client_id, table_name, record_id, branch_scope, origin_branch_id, \
             data, is_deleted, sync_version, position, local_updated_at, server_updated_at, \
             created_at) VALUES (?, ?, ?, ?, ?, '{}', 0, 1, ?, ?, ?, ?)",
        )
        .bind(shop.client_id)
        .bind(table)
        .bind(format!("r{position}"))
        .bind(scope)
        .bind(shop.branches[0])
        .bind(position)
        .bind(at)
        .bind(at)
        .bind(at)
        .execute(&app.db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO change_marks (client_id, marked_at, position) VALUES (?, ?, ?) \
             ON DUPLICATE KEY UPDATE position = position",
        )
        .bind(shop.client_id)
        .bind(mark)
        .bind(position)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE change_counters SET last_position = 20 WHERE client_id = ?")
        .bind(shop.client_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

fn ids(page: &Value) -> Vec<String> {
    page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["record_id"].as_str().unwrap().to_owned())
        .collect()
}

fn expected(visible: impl Fn(u64) -> bool, since: DateTime<Utc>) -> Vec<String> {
    (1..=20u64)
        .filter(|&p| visible(p) && changed_at(p) >= since)
        .map(|p| format!("r{p}"))
        .collect()
}

#[tokio::test]
async fn a_since_pull_returns_exactly_the_changes_at_or_after_it_even_out_of_change_order() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    insert_rows(&app, &shop).await;
    let since = base() + Duration::minutes(10);
    let path = |limit: u32| {
        format!(
            "/api/sync/pull-changes?limit={limit}&since={}",
            since.to_rfc3339().replace('+', "%2B")
        )
    };
    let in_branch_one = |p: u64| p % 3 == 0 || p % 2 == 0;

    let (_, whole) = app
        .get_as(&shop.token(&app, 0, Role::SuperAdmin), &path(100))
        .await;
    let (_, cashier) = app
        .get_as(&shop.token(&app, 0, Role::Cashier), &path(100))
        .await;
    let (_, first_two) = app
        .get_as(&shop.token(&app, 0, Role::SuperAdmin), &path(2))
        .await;

    let everything = expected(|_| true, since);
    assert_eq!(
        everything[0], "r5",
        "the early position changed late comes first"
    );
    assert!(!everything.contains(&"r12".to_owned()));
    assert_eq!(ids(&whole), everything);
    assert_eq!(ids(&cashier), expected(in_branch_one, since));
    assert_eq!(ids(&first_two), everything[..2]);
    assert_eq!(first_two["has_more"], true);
}

#[tokio::test]
async fn a_since_pull_that_matches_nothing_still_hands_out_the_cursor_of_the_end() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    insert_rows(&app, &shop).await;
    let token = shop.token(&app, 0, Role::SuperAdmin);

    let (status, page) = app
        .get_as(&token, "/api/sync/pull-changes?since=2030-01-01T00:00:00Z")
        .await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, after) = app
        .get_as(&token, &format!("/api/sync/pull-changes?cursor={cursor}"))
        .await;

    assert_eq!(
        (status, page["has_more"].clone()),
        (200, Value::Bool(false))
    );
    assert!(ids(&page).is_empty() && ids(&after).is_empty(), "{after}");
}

#[tokio::test]
async fn a_since_pull_starts_just_before_the_first_position_whose_mark_reaches_since() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    insert_rows(&app, &shop).await;
    let (pool, client) = (&app.db.pool, shop.client_id);
    let order = ChangeOrder::read(pool, client).await.unwrap();

    let looked_up = order
        .position_before(pool, client, base() + Duration::minutes(10))
        .await
        .unwrap();
    let nothing_since = order
        .position_before(pool, client, base() + Duration::days(1))
        .await
        .unwrap();

    assert_eq!(looked_up, 4, "r5 changed late at an early position");
    assert_eq!(nothing_since, 20, "the end of the order");
}

fn column(row: &sqlx::mysql::MySqlRow, name: &str) -> String {
    row.try_get::<Option<Text>, _>(name)
        .unwrap()
        .map(String::from)
        .unwrap_or_default()
}

#[tokio::test]
async fn the_start_of_a_since_pull_is_one_row_of_the_change_marks() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    insert_rows(&app, &shop).await;

    let plan = sqlx::query(&format!("EXPLAIN {FIRST_POSITION_MARKED}"))
        .bind(shop.client_id)
        .bind(base() + Duration::minutes(10))
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let row = plan
        .iter()
        .find(|row| column(row, "table") == "change_marks")
        .unwrap();

    assert_eq!(
        (column(row, "key").as_str(), column(row, "type").as_str()),
        ("PRIMARY", "range")
    );
    let extra = column(row, "Extra");
    assert!(!extra.contains("filesort"), "{extra}");
}
