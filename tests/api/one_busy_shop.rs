//! One busy shop: many tills of one client push at once. Their pushes run concurrently up
//! to the commit; nothing is lost, no version is taken twice, and a reader paging meanwhile
//! sees every change exactly once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use possync_tests::cut_link::CutLink;
use possync_tests::{Tenant, TestIngest};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use shared::token::Role;

const TILLS: usize = 8;
const BATCHES: usize = 10;

fn invoices(till: usize, batch: usize) -> Value {
    let records: Vec<Value> = (0..50)
        .map(|i| {
            json!({"table_name": "invoices", "record_id": format!("t{till}-b{batch}-{i}"),
                        "data": {"total": i}, "local_updated_at": chrono::Utc::now().to_rfc3339()})
        })
        .collect();
    json!(records)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tills_of_one_shop_creating_at_once_lose_nothing_and_a_paging_reader_sees_each_once() {
    let app = Arc::new(TestIngest::spawn().await);
    let tenant = Tenant::seed(&app, "busy").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = tokio::spawn({
        let (app, token, done) = (app.clone(), token.clone(), done.clone());
        async move {
            let (mut seen, mut cursor) = (Vec::new(), None);
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (changes, next) = app.pull_all(&token, cursor.clone(), 37).await;
                seen.extend(changes);
                cursor = next;
                if finished {
                    return seen;
                }
            }
        }
    });

    let tills: Vec<_> = (0..TILLS)
        .map(|till| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                for batch in 0..BATCHES {
                    let answer = app
                        .push(&token, &format!("till-{till}"), invoices(till, batch))
                        .await;
                    assert_eq!(answer["synced_count"], 50, "{answer}");
                }
            })
        })
        .collect();
    for till in tills {
        till.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();

    let mut ids: Vec<&str> = seen
        .iter()
        .map(|c| c["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), TILLS * BATCHES * 50, "each change seen once");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), TILLS * BATCHES * 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tills_creating_the_same_records_at_once_take_each_version_once() {
    let app = Arc::new(TestIngest::spawn().await);
    let tenant = Tenant::seed(&app, "busy").await;
    let token = tenant.token(&app, 0, Role::Cashier);

    let tills: Vec<_> = (0..TILLS)
        .map(|till| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                let records: Vec<Value> = (0..20)
                    .map(|i| {
                        json!({"table_name": "products", "record_id": format!("same-{i}"),
                                    "data": {"name": format!("from till {till}"), "price": till},
                                    "local_updated_at": chrono::Utc::now().to_rfc3339()})
                    })
                    .collect();
                app.push(&token, &format!("till-{till}"), json!(records))
                    .await
            })
        })
        .collect();
    let mut synced = 0;
    for till in tills {
        let answer = till.await.unwrap();
        assert_eq!(answer["errors"], json!([]), "{answer}");
        synced += answer["synced_count"].as_u64().unwrap()
            + answer["conflicts"].as_array().unwrap().len() as u64;
    }

    assert_eq!(synced, (TILLS * 20) as u64, "every record answered");
    let rows: Vec<(String, u64)> = sqlx::query_as(
        "SELECT CAST(record_id AS CHAR), sync_version FROM sync_queue ORDER BY record_id, sync_version",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let mut versions: HashMap<String, Vec<u64>> = HashMap::new();
    for (id, version) in rows {
        versions.entry(id).or_default().push(version);
    }
    assert_eq!(versions.len(), 20);
    for (id, taken) in &versions {
        let expected: Vec<u64> = (1..=taken.len() as u64).collect();
        assert_eq!(taken, &expected, "{id}: versions 1, 2, … each once");
        let current: u64 =
            sqlx::query_scalar("SELECT sync_version FROM records WHERE record_id = ?")
                .bind(id)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(current, taken.len() as u64);
    }
}

/// A push that finds its shop's write under way waits for it, then commits in one group with
/// every other push that waited meanwhile; a push whose device is bound elsewhere still gets
/// its own 403, and the others are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_that_wait_for_their_shops_write_commit_together_and_keep_their_own_errors() {
    let app = Arc::new(TestIngest::spawn().await);
    let tenant = Tenant::seed(&app, "busy").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let other_branch = tenant.token(&app, 1, Role::Cashier);
    app.push(&other_branch, "till-elsewhere", invoices(99, 0))
        .await;
    // Stands in for a long write: holds the shop's counter row.
    let mut holder = app.db.pool.begin().await.unwrap();
    sqlx::query("SELECT last_position FROM change_counters WHERE client_id = ? FOR UPDATE")
        .bind(tenant.client_id)
        .execute(&mut *holder)
        .await
        .unwrap();
    let push = |token: &str, device: String, till: usize| {
        let (app, token) = (app.clone(), token.to_owned());
        tokio::spawn(async move {
            let body = json!({"device_id": device, "records": invoices(till, 1)});
            app.post_as(&token, "/api/sync/batch-push", &body).await
        })
    };
    let first = push(&token, "till-0".into(), 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut waiting: Vec<_> = (1..6)
        .map(|till| push(&token, format!("till-{till}"), till))
        .collect();
    waiting.push(push(&token, "till-elsewhere".into(), 6));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    holder.rollback().await.unwrap();

    let (status, answer) = first.await.unwrap();
    assert_eq!((status, answer["synced_count"].as_u64()), (200, Some(50)));
    let refused = waiting.pop().unwrap().await.unwrap();
    assert_eq!(refused.0, 403, "{}", refused.1);
    for push in waiting {
        let (status, answer) = push.await.unwrap();
        assert_eq!((status, answer["synced_count"].as_u64()), (200, Some(50)));
    }
    let devices_per_group: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT COUNT(DISTINCT q.source_device_id), COUNT(*) FROM sync_groups g JOIN sync_queue q \
         ON q.id BETWEEN g.id AND g.last_id AND q.client_id = g.client_id \
         AND q.branch_scope = g.branch_scope \
         WHERE g.client_id = ? AND q.source_device_id LIKE 'till-_' GROUP BY g.id ORDER BY g.id",
    )
    .bind(tenant.client_id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(devices_per_group, [(1, 50), (5, 250)]);
    let (seen, _) = app.pull_all(&token, None, 500).await;
    assert_eq!(seen.len(), 6 * 50, "every change of the branch once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tills_of_one_shop_get_their_503_together_when_the_database_refuses_connections() {
    let server = reqwest::Url::parse(&possync_tests::mysql_server_url()).unwrap();
    let link = CutLink::to(&format!(
        "{}:{}",
        server.host_str().unwrap(),
        server.port().unwrap_or(3306)
    ))
    .await;
    let app = Arc::new(
        TestIngest::spawn_with(|c| {
            let mut url = reqwest::Url::parse(c.database.database_url.expose_secret()).unwrap();
            url.set_port(Some(link.addr.port())).unwrap();
            c.database.database_url = SecretString::from(url.to_string());
        })
        .await,
    );
    let tenant = Tenant::seed(&app, "busy").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    app.push(&token, "till-0", invoices(0, 0)).await;

    // As a killed primary: every pooled connection closes, and connecting is refused, which
    // the pool retries for its 1.5 s. Pushes queued behind a round that found it so used to
    // wait for a connection again, one after another.
    link.refuse();
    let tills: Vec<_> = (0..TILLS)
        .map(|till| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let body =
                    json!({"device_id": format!("till-{till}"), "records": invoices(till, 1)});
                let answer = app.post_as(&token, "/api/sync/batch-push", &body).await;
                (answer, started.elapsed())
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for till in tills {
        let ((status, body), took) = till.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        slowest = slowest.max(took);
    }
    // At most one wait for a connection (the pool's 1.5 s) and what a round takes: not one
    // wait per push, as before (the slowest of the 8 answered after 13.5 s).
    assert!(
        slowest < Duration::from_secs(3),
        "slowest 503 after {slowest:?}"
    );

    // Nothing of the refused pushes was written.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 50);
}
