//! The conflict rules end to end, including retries, own offline edits and skewed clocks.

use chrono::{Duration, SecondsFormat, Utc};
use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

fn product(id: &str, price: f64, minutes_ago: i64, base: Option<u64>) -> Value {
    let at =
        (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut record = json!({"table_name": "products", "record_id": id,
        "data": {"name": "Tea", "price": price}, "local_updated_at": at});
    if let Some(base) = base {
        record["base_version"] = json!(base);
    }
    record
}

async fn server_row(app: &TestIngest, id: &str) -> (u64, f64) {
    let (version, data): (u64, String) =
        sqlx::query_as("SELECT sync_version, CAST(data AS CHAR) FROM records WHERE record_id = ?")
            .bind(id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let data: Value = serde_json::from_str(&data).unwrap();
    (version, data["price"].as_f64().unwrap())
}

async fn queue_rows(app: &TestIngest) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sync_queue")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn setup() -> (TestIngest, String) {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    (app, token)
}

#[tokio::test]
async fn a_new_record_and_an_edit_on_the_current_version_apply() {
    let (app, token) = setup().await;

    let created = app
        .push(&token, "till-a", json!([product("p1", 1.0, 30, None)]))
        .await;
    let edited = app
        .push(&token, "till-b", json!([product("p1", 2.0, 40, Some(1))]))
        .await;

    assert_eq!(
        (
            created["synced_count"].clone(),
            edited["synced_count"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(edited["conflicts"], json!([]));
    // The edit applied although its edit time is older: it was made on the current version.
    assert_eq!(server_row(&app, "p1").await, (2, 2.0));
}

#[tokio::test]
async fn a_stale_edit_that_is_older_conflicts_and_the_server_keeps_its_version() {
    let (app, token) = setup().await;
    app.push(&token, "till-a", json!([product("p1", 1.0, 30, None)]))
        .await;
    app.push(&token, "till-a", json!([product("p1", 2.0, 20, Some(1))]))
        .await;

    let answer = app
        .push(&token, "till-b", json!([product("p1", 9.0, 25, Some(1))]))
        .await;

    assert_eq!(answer["synced_count"], 0);
    let conflict = &answer["conflicts"][0];
    assert_eq!(conflict["record_id"], "p1");
    assert_eq!(conflict["local_data"]["price"], 9.0);
    assert_eq!(conflict["server_data"]["price"], 2.0);
    assert_eq!(conflict["sync_version"], 2);
    assert!(conflict["local_updated_at"].is_string() && conflict["server_updated_at"].is_string());
    assert_eq!(server_row(&app, "p1").await, (2, 2.0));
}

#[tokio::test]
async fn a_stale_edit_that_is_newer_wins() {
    let (app, token) = setup().await;
    app.push(&token, "till-a", json!([product("p1", 1.0, 30, None)]))
        .await;
    app.push(&token, "till-a", json!([product("p1", 2.0, 20, Some(1))]))
        .await;

    let answer = app
        .push(&token, "till-b", json!([product("p1", 3.0, 10, Some(1))]))
        .await;

    assert_eq!(
        (answer["synced_count"].clone(), answer["conflicts"].clone()),
        (json!(1), json!([]))
    );
    assert_eq!(server_row(&app, "p1").await, (3, 3.0));
}

#[tokio::test]
async fn a_retried_batch_changes_nothing_and_reports_no_conflict() {
    let (app, token) = setup().await;
    let batch = json!([product("p1", 1.0, 5, None), product("p2", 2.0, 5, None)]);
    app.push(&token, "till-a", batch.clone()).await;
    let rows_before = queue_rows(&app).await;

    let retry = app.push(&token, "till-a", batch).await;

    assert_eq!(
        retry,
        json!({"success": true, "synced_count": 2, "conflicts": [], "errors": []})
    );
    assert_eq!(server_row(&app, "p1").await, (1, 1.0));
    assert_eq!(queue_rows(&app).await, rows_before);
}

#[tokio::test]
async fn own_consecutive_offline_edits_pushed_late_never_conflict() {
    let (app, token) = setup().await;
    app.push(&token, "till-a", json!([product("p1", 1.0, 60, None)]))
        .await;
    // till-b edits p1 after till-a, so till-a's offline edits below are on a stale base.
    app.push(&token, "till-b", json!([product("p1", 5.0, 50, Some(1))]))
        .await;
    let offline = json!([
        product("p1", 6.0, 20, Some(2)),
        product("p1", 7.0, 10, Some(2))
    ]);

    let first_batch = app.push(&token, "till-c", offline).await;
    let later_batch = app
        .push(&token, "till-c", json!([product("p1", 8.0, 5, Some(2))]))
        .await;
    let late_older = app
        .push(&token, "till-c", json!([product("p1", 6.5, 15, Some(2))]))
        .await;

    for answer in [&first_batch, &later_batch, &late_older] {
        assert_eq!(answer["conflicts"], json!([]), "{answer}");
    }
    // The older own edit that arrived last changes nothing: the newest own edit stands.
    assert_eq!(server_row(&app, "p1").await, (5, 8.0));
}

#[tokio::test]
async fn a_clock_two_hours_ahead_cannot_beat_later_edits() {
    let (app, token) = setup().await;
    app.push(&token, "till-a", json!([product("p1", 1.0, 30, None)]))
        .await;
    // till-fast believes it is two hours later than it is.
    app.push(&token, "till-fast", json!([product("p1", 2.0, -120, None)]))
        .await;

    // A correct clock edits a minute later, without having seen till-fast's version.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let later = app
        .push(&token, "till-b", json!([product("p1", 3.0, 0, Some(1))]))
        .await;

    assert_eq!(
        (later["synced_count"].clone(), later["conflicts"].clone()),
        (json!(1), json!([]))
    );
    assert_eq!(server_row(&app, "p1").await, (3, 3.0));
}

#[tokio::test]
async fn a_retry_from_a_fast_clock_is_still_a_retry() {
    let (app, token) = setup().await;
    let batch = json!([product("p1", 2.0, -120, None)]);
    app.push(&token, "till-fast", batch.clone()).await;

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let retry = app.push(&token, "till-fast", batch).await;

    assert_eq!(retry["conflicts"], json!([]));
    assert_eq!(server_row(&app, "p1").await, (1, 2.0));
}

#[tokio::test]
async fn a_clock_two_hours_behind_applies_on_the_current_version_and_is_never_lost() {
    let (app, token) = setup().await;
    app.push(&token, "till-a", json!([product("p1", 1.0, 5, None)]))
        .await;

    let saw_current = app
        .push(
            &token,
            "till-slow",
            json!([product("p1", 2.0, 125, Some(1))]),
        )
        .await;
    app.push(&token, "till-a", json!([product("p1", 3.0, 1, Some(2))]))
        .await;
    let blind = app
        .push(
            &token,
            "till-slow",
            json!([product("p1", 4.0, 124, Some(2))]),
        )
        .await;

    assert_eq!(saw_current["synced_count"], 1);
    // The slow clock's blind edit is not applied over the newer one, and not dropped either:
    // it comes back as a conflict for the app to resolve.
    assert_eq!(blind["conflicts"][0]["local_data"]["price"], 4.0);
    assert_eq!(server_row(&app, "p1").await, (3, 3.0));
}

#[tokio::test]
async fn a_retry_after_another_devices_edit_is_synced_not_a_conflict() {
    let (app, token) = setup().await;
    app.push(&token, "till-b", json!([product("p1", 1.0, 30, None)]))
        .await;
    // Till A's edit is applied, but its answer is lost; till B edits on top of it.
    let retry_source = product("p1", 2.0, 20, Some(1));
    let a_edit = json!([retry_source.clone()]);
    app.push(&token, "till-a", a_edit.clone()).await;
    app.push(&token, "till-b", json!([product("p1", 3.0, 10, Some(2))]))
        .await;

    let retry = app.push(&token, "till-a", a_edit).await;

    assert_eq!(retry["conflicts"], json!([]), "{retry}");
    assert_eq!(retry["synced_count"], 1);
    assert_eq!(
        server_row(&app, "p1").await,
        (3, 3.0),
        "B's later edit stands"
    );
    assert_eq!(queue_rows(&app).await, 3, "the retry wrote nothing");
    // Another edit of A's with the same time but other data is not a retry: a conflict.
    let mut same_time = a_edit_record(&retry_source);
    same_time["data"]["price"] = json!(5.0);
    let other = app.push(&token, "till-a", json!([same_time])).await;
    assert_eq!(other["conflicts"][0]["sync_version"], 3, "{other}");
    // A different, older edit of A's is still a conflict with B's newer version.
    let older = app
        .push(&token, "till-a", json!([product("p1", 4.0, 15, Some(1))]))
        .await;
    assert_eq!(older["conflicts"][0]["sync_version"], 3);
}

#[tokio::test]
async fn a_retry_from_a_fast_clock_after_another_devices_edit_changes_nothing() {
    let (app, token) = setup().await;
    // Till A's clock runs 2 s ahead: its edit counts as made when it arrived.
    let a_edit = json!([product("p1", 2.0, 0, None)]);
    let mut a_edit = a_edit;
    a_edit[0]["local_updated_at"] =
        json!((Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Micros, true));
    app.push(&token, "till-a", a_edit.clone()).await;
    app.push(&token, "till-b", json!([product("p1", 3.0, 0, Some(1))]))
        .await;

    // A's answer was lost; its retry arrives after B's edit, still before A's claimed time.
    let retry = app.push(&token, "till-a", a_edit).await;

    assert_eq!(retry["synced_count"], 1, "{retry}");
    assert_eq!(retry["conflicts"], json!([]));
    assert_eq!(server_row(&app, "p1").await, (2, 3.0), "B's edit stands");
    assert_eq!(queue_rows(&app).await, 2, "the retry wrote nothing");
}

/// The record of a pushed edit, to vary it.
fn a_edit_record(record: &Value) -> Value {
    let mut record = record.clone();
    record.as_object_mut().unwrap().remove("base_version");
    record
}
