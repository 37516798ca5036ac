//! Values a device can send that once failed a whole batch with a 500: each is now either
//! accepted or one record's error, and the records around it still apply.

use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

const GOOD_TIME: &str = "2025-12-07T10:30:00Z";

fn product_text(id: &str, data: &str, time: &str) -> String {
    format!(
        r#"{{"table_name":"products","record_id":"{id}","data":{data},"local_updated_at":"{time}"}}"#
    )
}

/// Pushes `bad` between two good products, as raw JSON text; the status and body.
async fn push_between(app: &TestIngest, token: &str, bad: &str) -> (u16, Value) {
    let good = |id| product_text(id, r#"{"name":"Tea","price":1}"#, GOOD_TIME);
    let body = format!(
        r#"{{"device_id":"till-1","records":[{},{bad},{}]}}"#,
        good("before"),
        good("after")
    );
    let response = app
        .post("/api/sync/batch-push")
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn setup() -> (TestIngest, String) {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "poison").await;
    let token = tenant.token(&app, 0, Role::Admin);
    (app, token)
}

/// The bad record is index 1's only error; both neighbours synced.
fn assert_isolated(status: u16, body: &Value, needle: &str) {
    assert_eq!(status, 200, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["index"], 1, "{body}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    assert_eq!(body["synced_count"], 2, "{body}");
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test]
async fn edit_times_the_store_cannot_hold_or_no_sale_can_have_are_one_records_error() {
    let (app, token) = setup().await;
    let far_ahead = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    for time in [
        "2039-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",
        far_ahead.as_str(),
    ] {
        let bad = product_text("p", r#"{"name":"Tea","price":1}"#, time);
        let (status, body) = push_between(&app, &token, &bad).await;
        assert_isolated(status, &body, "local_updated_at");
    }
}

#[tokio::test]
async fn a_clock_a_few_hours_ahead_is_accepted_and_clamped() {
    let (app, token) = setup().await;
    let ahead = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let record = product_text("p", r#"{"name":"Tea","price":1}"#, &ahead);
    let (status, body) = push_between(&app, &token, &record).await;
    assert_eq!((status, body["synced_count"].clone()), (200, json!(3)));
}

#[tokio::test]
async fn data_the_database_or_the_parser_cannot_take_is_one_records_error() {
    let (app, token) = setup().await;
    let cases = [
        (
            format!(r#"{{"name":"Tea","price":1,"x":{}}}"#, nested(40)),
            "nests",
        ),
        (
            format!(r#"{{"name":"Tea","price":1,"x":{}}}"#, nested(200)),
            "invalid record",
        ),
        (
            r#"{"name":"Tea","price":1e400}"#.to_owned(),
            "invalid record",
        ),
        (
            r#"{"name":"\ud800","price":1}"#.to_owned(),
            "invalid record",
        ),
    ];
    for (data, needle) in &cases {
        let (status, body) = push_between(&app, &token, &product_text("p", data, GOOD_TIME)).await;
        assert_isolated(status, &body, needle);
    }
    let shift = r#"{"table_name":"shifts","record_id":"s1","data":{"opened_at":"0001-01-01T00:00:00Z"},"local_updated_at":"2025-12-07T10:30:00Z"}"#;
    let (status, body) = push_between(&app, &token, shift).await;
    assert_isolated(status, &body, "data.opened_at");
}

#[tokio::test]
async fn unusual_text_and_numbers_are_stored_and_pulled_back_identical() {
    let (app, token) = setup().await;
    let name = "شاي\u{200f} نعناع 🍵 e\u{301} \u{0}end";
    let data = json!({"name": name, "price": 18446744073709551615u64, "\u{0}key": -9223372036854775808i64,
                      "big": 1.7976931348623157e308, "tiny": 5e-324});
    let record = product_text(
        "p",
        &data.to_string(),
        "2025-12-07T10:30:00.123456789+14:00",
    );
    let (status, body) = push_between(&app, &token, &record).await;
    assert_eq!(
        (status, body["synced_count"].clone()),
        (200, json!(3)),
        "{body}"
    );

    let (changes, _) = app.pull_all(&token, None, 100).await;
    let pulled = changes.iter().find(|c| c["record_id"] == "p").unwrap();
    assert_eq!(pulled["data"], data);
}

#[tokio::test]
async fn a_retry_with_nanosecond_times_is_recognised_as_a_retry() {
    let (app, token) = setup().await;
    let record = product_text(
        "p",
        r#"{"name":"Tea","price":1}"#,
        "2025-12-07T10:30:00.123456789Z",
    );
    for _ in 0..2 {
        let (status, body) = push_between(&app, &token, &record).await;
        assert_eq!(
            (status, body["synced_count"].clone()),
            (200, json!(3)),
            "{body}"
        );
        assert_eq!(body["conflicts"], json!([]));
    }
    let (changes, _) = app.pull_all(&token, None, 100).await;
    let pulled = changes.iter().find(|c| c["record_id"] == "p").unwrap();
    assert_eq!(pulled["sync_version"], 1, "the retry wrote nothing");
}

#[tokio::test]
async fn ids_at_and_past_their_length_limits() {
    let (app, token) = setup().await;
    let at_limit = "i".repeat(64);
    let record = product_text(&at_limit, r#"{"name":"Tea","price":1}"#, GOOD_TIME);
    let (status, body) = push_between(&app, &token, &record).await;
    assert_eq!(
        (status, body["synced_count"].clone()),
        (200, json!(3)),
        "{body}"
    );
    for id in ["i".repeat(65), "مرحبا".to_owned(), String::new()] {
        let record = product_text(&id, r#"{"name":"Tea","price":1}"#, GOOD_TIME);
        let (status, body) = push_between(&app, &token, &record).await;
        assert_isolated(status, &body, "record_id");
    }
}

#[tokio::test]
async fn base_versions_out_of_range_are_one_records_error_or_harmless() {
    let (app, token) = setup().await;
    for (base, ok) in [
        ("18446744073709551615", true),
        ("-1", false),
        ("1.5", false),
    ] {
        let record = format!(
            r#"{{"table_name":"products","record_id":"b{ok}","data":{{"name":"Tea","price":1}},"local_updated_at":"{GOOD_TIME}","base_version":{base}}}"#
        );
        let (status, body) = push_between(&app, &token, &record).await;
        if ok {
            assert_eq!(
                (status, body["synced_count"].clone()),
                (200, json!(3)),
                "{body}"
            );
        } else {
            assert_isolated(status, &body, "base_version");
        }
    }
}

#[tokio::test]
async fn pull_and_list_times_far_outside_the_stores_range_answer_without_a_5xx() {
    let (app, token) = setup().await;
    for since in [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1969-01-01T00:00:00Z",
    ] {
        let (status, body) = app
            .get_as(&token, &format!("/api/sync/pull-changes?since={since}"))
            .await;
        assert_eq!(status, 200, "since={since}: {body}");
        let (status, body) = app
            .get_as(&token, &format!("/api/products?updated_since={since}"))
            .await;
        assert_eq!(status, 200, "updated_since={since}: {body}");
    }
    // A list cursor that decodes to text outside the ids' alphabet.
    let (status, body) = app.get_as(&token, "/api/products?cursor=w6k").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn entity_routes_and_resolve_refuse_what_push_refuses_with_a_4xx() {
    let (app, token) = setup().await;
    let deep: Value = serde_json::from_str(&nested(40)).unwrap_or(json!(null));
    let data = json!({"name": "Tea", "price": 1, "x": deep});
    let (status, body) = app
        .post_as(&token, "/api/products", &json!({"data": data}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .post_as(
            &token,
            "/api/sync/resolve-conflict",
            &json!({"table_name": "products", "record_id": "p", "resolution": "accept_client",
                    "client_data": data, "sync_version": 1}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let shift = json!({"data": {"opened_at": "2039-01-01T00:00:00Z"}});
    let (status, body) = app.post_as(&token, "/api/shifts", &shift).await;
    assert_eq!(status, 422, "{body}");
}
