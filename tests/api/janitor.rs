//! The janitor: retention of the sync queue and its groups, and the relay of what was never
//! published.

use std::time::Duration;

use futures::StreamExt;
use janitor::retention;
use possync_tests::janitor_app::{sweep_config, sweeper};
use possync_tests::{
    changes_in, messages_until_quiet, nats_url, Seen, Tenant, TestFanout, TestIngest, TestNats,
};
use serde_json::{json, Value};
use shared::token::Role;

const DEAD_NATS: &str = "nats://127.0.0.1:9";

fn invoices(prefix: &str, n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                json!({"table_name": "invoices", "record_id": format!("{prefix}-{i}"),
                            "data": {"total": i}, "local_updated_at": "2025-12-07T10:30:00Z"})
            })
            .collect(),
    )
}

/// Changes of groups not published.
async fn unpublished(app: &TestIngest) -> i64 {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(change_count), 0) AS SIGNED) FROM sync_groups \
         WHERE published_at IS NULL",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

async fn stream_messages(app: &TestIngest, nats: &str) -> u64 {
    let js = async_nats::jetstream::new(async_nats::connect(nats).await.unwrap());
    js.get_stream(&app.config.nats.nats_stream)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages
}

#[tokio::test]
async fn old_published_groups_go_with_their_rows_young_and_unpublished_ones_stay() {
    let app = TestIngest::spawn_with(|c| c.nats.nats_url = DEAD_NATS.into()).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    for push in 0..5 {
        app.push(&token, "t1", invoices(&format!("p{push}"), 2))
            .await;
    }
    let pool = &app.db.pool;
    let groups: Vec<u64> = sqlx::query_scalar("SELECT id FROM sync_groups ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(groups, [1, 3, 5, 7, 9], "one group of two rows per push");
    // Groups 1 and 3 published 8 days ago, 5 an hour ago; 7 and 9 never, written 30 days ago.
    let set = |sql: &'static str| sqlx::query(sql).execute(pool);
    set("UPDATE sync_groups SET published_at = NOW(6) - INTERVAL 8 DAY WHERE id <= 3")
        .await
        .unwrap();
    set("UPDATE sync_groups SET published_at = NOW(6) - INTERVAL 1 HOUR WHERE id = 5")
        .await
        .unwrap();
    set("UPDATE sync_groups SET created_at = NOW(6) - INTERVAL 30 DAY WHERE id > 5")
        .await
        .unwrap();

    let cutoff = chrono::Utc::now() - chrono::Duration::days(7);
    let deleted = retention::delete_published_before(pool, cutoff, 1)
        .await
        .unwrap();

    assert_eq!(deleted, 4, "two groups of two rows, one group a batch");
    let left: Vec<u64> = sqlx::query_scalar("SELECT id FROM sync_queue ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(left, [5, 6, 7, 8, 9, 10]);
    let groups_left: Vec<u64> = sqlx::query_scalar("SELECT id FROM sync_groups ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(groups_left, [5, 7, 9]);
}

#[tokio::test]
async fn a_change_committed_while_nats_is_down_is_relayed_once_when_it_returns() {
    let (mut nats, app) = TestIngest::spawn_on_own_nats().await;
    let url = nats.url();
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    app.push(&token, "t1", invoices("before", 1)).await;
    app.wait_published().await;

    nats.kill();
    app.push(&token, "t1", invoices("during", 1)).await;
    assert_eq!(unpublished(&app).await, 1);
    nats.restart().await;
    let subscriber_client = async_nats::connect(&url).await.unwrap();
    let mut subscriber = subscriber_client
        .subscribe(format!("{}.>", app.config.nats.nats_subject_prefix))
        .await
        .unwrap();
    subscriber_client.flush().await.unwrap();
    let mut config = sweep_config();
    config.janitor_grace_secs = 1.0;
    let janitor = sweeper(&app, &url, config).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(janitor.run(stop.clone()));

    let started = std::time::Instant::now();
    let message = tokio::time::timeout(Duration::from_secs(5), subscriber.next())
        .await
        .unwrap()
        .unwrap();
    let event = changes_in(&message.payload).remove(0);
    assert_eq!(event["record_id"], "during-0");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "delivered within grace + interval"
    );
    stop.cancel();
    running.await.unwrap();
    // Ingest's publisher tries the row again too once NATS is back (for ~14 s), so the
    // message above may be its send, marked published when the stream's answer arrives.
    let mut left = unpublished(&app).await;
    for _ in 0..50 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = unpublished(&app).await;
    }
    assert_eq!(left, 0);
    assert_eq!(
        stream_messages(&app, &url).await,
        2,
        "before and during, each once"
    );
}

#[tokio::test]
async fn a_push_whose_publish_failed_reaches_a_websocket_device_through_the_relay() {
    let app = TestIngest::spawn_with(|c| c.nats.nats_url = DEAD_NATS.into()).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn_with(&app, |c| c.nats.nats_url = nats_url()).await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let mut device = fanout.connect(&token, "till-reader").await;

    app.push(&token, "till-writer", invoices("lost", 1)).await;
    assert!(matches!(
        device.next(Duration::from_millis(300)).await,
        Seen::Nothing
    ));
    let report = sweeper(&app, &nats_url(), sweep_config())
        .await
        .sweep_once()
        .await
        .unwrap();

    assert_eq!(report.relayed, 1);
    let event = device.expect_json(Duration::from_secs(5)).await;
    assert_eq!(
        (event["type"].as_str(), event["record_id"].as_str()),
        (Some("sync"), Some("lost-0"))
    );
    assert_eq!(event["scope_seq"], 1);
}

#[tokio::test]
async fn two_janitors_over_one_backlog_publish_each_group_once() {
    let app = TestIngest::spawn_with(|c| c.nats.nats_url = DEAD_NATS.into()).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    for batch in 0..30 {
        app.push(&token, "t1", invoices(&format!("b{batch}"), 50))
            .await;
    }
    let (one, two) = (
        sweeper(&app, &nats_url(), sweep_config()).await,
        sweeper(&app, &nats_url(), sweep_config()).await,
    );

    let (a, b) = tokio::join!(one.sweep_once(), two.sweep_once());
    // Each takes whole groups; one skipped while the other held it goes in a later sweep.
    let after = one.sweep_once().await;

    let relayed = a.unwrap().relayed + b.unwrap().relayed + after.unwrap().relayed;
    assert_eq!(relayed, 1500);
    assert_eq!(unpublished(&app).await, 0);
    assert_eq!(
        stream_messages(&app, &nats_url()).await,
        30,
        "one message per push, each stored once"
    );
}

#[tokio::test]
async fn the_relay_publishes_the_groups_ingest_would_have_published() {
    let app = TestIngest::spawn_with(|c| c.nats.nats_url = DEAD_NATS.into()).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let prefix = app.config.nats.nats_subject_prefix.clone();
    let nats = async_nats::connect(nats_url()).await.unwrap();
    let mut subscriber = nats.subscribe(format!("{prefix}.>")).await.unwrap();
    nats.flush().await.unwrap();
    let mut batch = invoices("inv", 3);
    let product = json!({"table_name": "products", "record_id": "p1",
        "data": {"name": "Tea", "price": 2}, "local_updated_at": "2025-12-07T10:30:00Z"});
    batch.as_array_mut().unwrap().insert(1, product);
    app.push(&token, "t1", batch).await;
    app.push(&token, "t1", invoices("more", 2)).await;

    let report = sweeper(&app, &nats_url(), sweep_config())
        .await
        .sweep_once()
        .await
        .unwrap();

    assert_eq!(report.relayed, 6);
    let ids: Vec<u64> = sqlx::query_scalar("SELECT id FROM sync_queue ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let mut messages = Vec::new();
    for message in messages_until_quiet(&mut subscriber).await {
        let headers = message.headers.as_ref().expect("headers");
        let id = headers
            .get(async_nats::header::NATS_MESSAGE_ID)
            .unwrap()
            .to_string();
        let records: Vec<Value> = changes_in(&message.payload)
            .iter()
            .map(|change| change["record_id"].clone())
            .collect();
        messages.push((message.subject.to_string(), id, records));
    }
    let c = tenant.client_id;
    let b = tenant.branches[0];
    // The first push's rows go by scope and table: the product, then its three invoices.
    assert_eq!(
        messages,
        [
            (
                format!("{prefix}.{c}.shared"),
                ids[0].to_string(),
                vec![json!("p1")]
            ),
            (
                format!("{prefix}.{c}.{b}"),
                ids[1].to_string(),
                vec![json!("inv-0"), json!("inv-1"), json!("inv-2")]
            ),
            (
                format!("{prefix}.{c}.{b}"),
                ids[4].to_string(),
                vec![json!("more-0"), json!("more-1")]
            ),
        ]
    );
    // Relayed again (the janitor died before marking them): the stream keeps each group once.
    sqlx::query("UPDATE sync_groups SET published_at = NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let again = sweeper(&app, &nats_url(), sweep_config())
        .await
        .sweep_once()
        .await
        .unwrap();
    assert_eq!(again.relayed, 6);
    assert_eq!(stream_messages(&app, &nats_url()).await, 3);
}

#[tokio::test]
async fn retention_never_removes_what_a_recent_cursor_needs() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    app.push(&token, "t1", invoices("old", 5)).await;
    let (_, cursor) = app.pull_all(&token, None, 100).await;
    app.push(&token, "t1", invoices("new", 5)).await;
    app.wait_published().await;

    let mut config = sweep_config();
    config.janitor_retention_secs = 0;
    let report = sweeper(&app, &nats_url(), config)
        .await
        .sweep_once()
        .await
        .unwrap();

    assert_eq!(report.deleted, 10, "every published sync queue row went");
    let (since_cursor, _) = app.pull_all(&token, cursor, 3).await;
    let ids: Vec<&str> = since_cursor
        .iter()
        .map(|c| c["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["new-0", "new-1", "new-2", "new-3", "new-4"]);
    assert_eq!(app.pull_all(&token, None, 100).await.0.len(), 10);
}

#[tokio::test]
async fn the_backlog_is_read_from_the_ends_of_the_unpublished_range() {
    use shared::sync_queue::backlog::backlog;
    let app = TestIngest::spawn_with(|c| c.nats.nats_url = DEAD_NATS.to_owned()).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let empty = backlog(&app.db.pool).await.unwrap();
    for n in 0..3 {
        app.push(&token, "t1", invoices(&format!("p{n}"), 1)).await;
    }
    let ids: Vec<u64> = sqlx::query_scalar("SELECT id FROM sync_queue ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let first_written: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT created_at FROM sync_groups ORDER BY id LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let publish = |id: u64| {
        sqlx::query("UPDATE sync_groups SET published_at = NOW(6) WHERE id = ?")
            .bind(id)
            .execute(&app.db.pool)
    };
    let all_waiting = backlog(&app.db.pool).await.unwrap();
    publish(ids[1]).await.unwrap();
    let middle_published = backlog(&app.db.pool).await.unwrap();
    publish(ids[0]).await.unwrap();
    let first_published = backlog(&app.db.pool).await.unwrap();

    assert_eq!((empty.span, empty.oldest), (0, None));
    assert_eq!(ids.len(), 3);
    let from_first_to_last = ids[2] - ids[0] + 1;
    assert_eq!(
        (all_waiting.span, all_waiting.oldest),
        (from_first_to_last, Some(first_written))
    );
    assert_eq!(
        middle_published.span, from_first_to_last,
        "an upper bound: the ends did not move"
    );
    assert_eq!(first_published.span, 1, "only the last waits");
    assert!(first_published.oldest > Some(first_written));
}

#[tokio::test]
async fn a_stream_made_with_other_limits_gets_the_configured_age_and_byte_limit() {
    let app = TestIngest::spawn().await;
    let js = app.jetstream().await;
    let name = &app.config.nats.nats_stream;
    js.delete_stream(name).await.ok();
    let prefix = &app.config.nats.nats_subject_prefix;
    js.create_stream(async_nats::jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![format!("{prefix}.>")],
        max_age: Duration::from_secs(24 * 3600),
        ..Default::default()
    })
    .await
    .unwrap();

    shared::stream::ensure(&js, &app.config.nats).await.unwrap();

    let mut stream = js.get_stream(name).await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert_eq!(
        (config.max_age, config.max_bytes, config.duplicate_window),
        (Duration::from_secs(600), 16 << 20, Duration::from_secs(120))
    );
    assert_eq!(
        config.discard,
        async_nats::jetstream::stream::DiscardPolicy::Old
    );
    assert_eq!(config.subjects, [format!("{prefix}.>")], "subjects kept");
}

#[tokio::test]
async fn when_nats_has_no_room_left_the_relay_keeps_what_it_could_not_store_and_sends_it_later() {
    let nats = TestNats::with_file_store(256 * 1024).await;
    let url = nats.url();
    let app = TestIngest::spawn_with(|c| {
        c.nats.nats_url = DEAD_NATS.into();
        c.nats.nats_stream_max_bytes = -1;
    })
    .await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let wide = "x".repeat(2_000);
    // 10 groups of ~40 KB: the 256 KB store takes about 6, and the rest once purged.
    for batch in 0..10 {
        let records: Vec<Value> = (0..20)
            .map(|i| {
                json!({"table_name": "invoices", "record_id": format!("b{batch}-{i}"),
                       "data": {"total": i, "note": wide}, "local_updated_at": "2025-12-07T10:30:00Z"})
            })
            .collect();
        app.push(&token, "t1", Value::Array(records)).await;
    }
    let janitor = sweeper(&app, &url, sweep_config()).await;

    let full = janitor.sweep_once().await.unwrap();
    let left = unpublished(&app).await;
    let stored = stream_messages(&app, &url).await;
    let js = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
    js.get_stream(&app.config.nats.nats_stream)
        .await
        .unwrap()
        .purge()
        .await
        .unwrap();
    let freed = janitor.sweep_once().await.unwrap();

    assert!(left > 0, "the store filled up before the backlog was out");
    assert_eq!(
        full.relayed,
        stored * 20,
        "marked published: exactly what the stream stored"
    );
    assert_eq!(full.relayed + freed.relayed, 200);
    assert_eq!(unpublished(&app).await, 0, "sent once there was room");
}
