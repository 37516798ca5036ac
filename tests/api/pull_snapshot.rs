//! A pull to the end shows at least what was committed when it began, even while the rows
//! it reads keep moving to later positions (a stock row sold from another till): a row
//! that moves past the page's last position between the server reading that position and
//! reading the page must still come in its committed version.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

const PULLS: usize = 300;

fn sale(edit: usize) -> Value {
    json!([{"table_name": "product_stock", "record_id": "tea", "local_updated_at": "2025-12-07T10:30:00Z",
            "increments": {"quantity": 1}, "edit_id": format!("sale-{edit}"), "base_version": 0}])
}

async fn quantity_in_database(app: &TestIngest) -> i64 {
    let data: String = sqlx::query_scalar(
        "SELECT CAST(data AS CHAR) FROM records WHERE table_name = 'product_stock' AND record_id = 'tea'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    serde_json::from_str::<Value>(&data).unwrap()["quantity"]
        .as_i64()
        .unwrap()
}

/// Sells one tea at a time until told to stop; how many it sold.
async fn sell(app: Arc<TestIngest>, token: String, done: Arc<AtomicBool>) -> usize {
    let mut sold = 0;
    while !done.load(Ordering::SeqCst) {
        let answer = app.push(&token, "till-seller", sale(sold)).await;
        assert_eq!(answer["errors"], json!([]), "{answer}");
        sold += 1;
    }
    sold
}

/// Pulls from `cursor` to the end; the last quantity of tea among the changes, if any.
async fn pull_to_end(app: &TestIngest, token: &str, cursor: &mut Option<String>) -> Option<i64> {
    let mut quantity = None;
    loop {
        let mut path = "/api/sync/pull-changes?limit=100".to_owned();
        if let Some(cursor) = cursor.as_deref() {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = app.get_as(token, &path).await;
        assert_eq!(status, 200, "{page}");
        for change in page["changes"].as_array().unwrap() {
            if change["record_id"] == "tea" {
                quantity = change["data"]["quantity"].as_i64();
            }
        }
        if let Some(next) = page["next_cursor"].as_str() {
            *cursor = Some(next.to_owned());
        }
        if page["has_more"] == false {
            return quantity;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pull_shows_what_was_committed_before_it_began_while_the_row_keeps_moving() {
    let app = Arc::new(TestIngest::spawn().await);
    let tenant = Tenant::seed(&app, "shop").await;
    let seller_token = tenant.token(&app, 0, Role::Cashier);
    let reader_token = tenant.token(&app, 0, Role::Cashier);
    let stocked = json!([{"table_name": "product_stock", "record_id": "tea", "local_updated_at": "2025-12-07T10:30:00Z",
                          "data": {"product_id": "tea", "quantity": 0}}]);
    let answer = app.push(&seller_token, "till-seller", stocked).await;
    assert_eq!(answer["errors"], json!([]), "{answer}");
    let done = Arc::new(AtomicBool::new(false));
    let seller = tokio::spawn(sell(app.clone(), seller_token, done.clone()));

    let (mut cursor, mut shown, mut stale) = (None, 0, Vec::new());
    for _ in 0..PULLS {
        let committed = quantity_in_database(&app).await;
        if let Some(quantity) = pull_to_end(&app, &reader_token, &mut cursor).await {
            shown = quantity;
        }
        if shown < committed {
            stale.push((committed, shown));
        }
    }
    done.store(true, Ordering::SeqCst);
    let sold = seller.await.unwrap();
    assert!(
        sold > 20,
        "the row moved while the reader pulled ({sold} sales)"
    );
    assert_eq!(
        stale,
        vec![],
        "pulls that ended behind what was committed before they began (committed, shown)"
    );
}
