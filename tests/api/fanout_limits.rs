//! fanout's protections: token expiry and refresh, heartbeat, slow devices, limits, and no
//! silent loss when NATS goes away.

use std::collections::HashMap;
use std::time::Duration;

use possync_tests::{Device, Seen, Tenant, TestFanout, TestIngest};
use serde_json::{json, Value};
use shared::token::{Principal, Role};

const WAIT: Duration = Duration::from_secs(5);

fn token_lasting(app: &TestIngest, tenant: &Tenant, seconds: i64) -> String {
    let principal = Principal {
        user_id: 1,
        client_id: tenant.client_id,
        branch_id: tenant.branches[0],
        role: Role::Cashier,
    };
    let mut claims = app.keys.claims_for(&principal);
    claims.exp = claims.iat + seconds;
    app.keys.sign(&claims)
}

async fn closed_with(device: &mut Device, wait: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match device.next(deadline - tokio::time::Instant::now()).await {
            Seen::Closed(code) => return code,
            Seen::Nothing => panic!("still open after {wait:?}"),
            Seen::Json(_) => continue,
        }
    }
}

#[tokio::test]
async fn an_expiring_token_closes_the_connection_unless_refreshed() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let mut stale = fanout
        .connect(&token_lasting(&app, &shop, 2), "till-1")
        .await;
    let mut refreshed = fanout
        .connect(&token_lasting(&app, &shop, 2), "till-2")
        .await;

    refreshed
        .send(json!({"type": "auth", "token": token_lasting(&app, &shop, 600)}))
        .await;
    assert_eq!(refreshed.expect_json(WAIT).await["type"], "authenticated");
    refreshed
        .send(json!({"type": "auth", "token": "garbage"}))
        .await;
    assert_eq!(refreshed.expect_json(WAIT).await["code"], "auth_failed");

    assert_eq!(closed_with(&mut stale, WAIT).await, Some(4001));
    refreshed.send(json!({"type": "ping"})).await;
    assert_eq!(refreshed.expect_json(WAIT).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn a_silent_device_is_closed_after_the_heartbeat_timeout_and_a_live_one_is_not() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn_with(&app, |c| {
        c.socket.ws_ping_interval_secs = 0.2;
        c.socket.ws_pong_timeout_secs = 0.3;
    })
    .await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut silent = fanout.connect(&token, "till-1").await;
    let mut live = fanout.connect(&token, "till-2").await;

    // Reading answers pings (the client library replies); the silent device reads nothing.
    assert!(matches!(
        live.next(Duration::from_millis(1500)).await,
        Seen::Nothing
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(closed_with(&mut silent, WAIT).await, Some(4000));
    live.send(json!({"type": "ping"})).await;
    assert_eq!(live.expect_json(WAIT).await, json!({"type": "pong"}));
}

fn big_invoices(batch: usize) -> Value {
    let note = "x".repeat(8 * 1024);
    Value::Array(
        (0..50)
            .map(|i| json!({"table_name": "invoices", "record_id": format!("i{batch}-{i}"),
                            "data": {"total": i, "note": note}, "local_updated_at": "2025-12-07T10:30:00Z"}))
            .collect(),
    )
}

#[tokio::test]
async fn a_device_that_stops_reading_is_dropped_as_slow_and_the_others_keep_up() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    // Room for a whole push (50 events), far less than 40 pushes of 8 KiB events (16 MB, more
    // than loopback TCP buffers hold).
    let fanout = TestFanout::spawn_with(&app, |c| c.socket.ws_queue_messages = 128).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut slow = fanout.connect(&token, "till-slow").await;
    let mut fast = fanout.connect(&token, "till-fast").await;
    // The fast device reads all the while, as a till does.
    let reader = tokio::spawn(async move {
        let mut received = 0;
        while let Seen::Json(message) = fast.next(Duration::from_secs(2)).await {
            received += usize::from(message["type"] == "sync");
        }
        received
    });

    for batch in 0..40 {
        app.push(&token, "till-writer", big_invoices(batch)).await;
    }
    let received = reader.await.unwrap();

    assert_eq!(received, 2000, "the reading device got every event");
    let code = closed_with(&mut slow, Duration::from_secs(10)).await;
    assert!(
        matches!(code, Some(4008) | None),
        "closed as slow, got {code:?}"
    );
}

#[tokio::test]
async fn oversized_and_too_frequent_messages_close_the_connection() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut big = fanout.connect(&token, "till-1").await;
    let mut chatty = fanout.connect(&token, "till-2").await;

    big.send(json!({"type": "subscribe", "room": "x".repeat(10_000)}))
        .await;
    for _ in 0..60 {
        chatty.send(json!({"type": "ping"})).await;
    }

    assert_eq!(closed_with(&mut big, WAIT).await, Some(1009));
    assert_eq!(closed_with(&mut chatty, WAIT).await, Some(1008));
}

#[tokio::test]
async fn origins_outside_the_allow_list_and_connections_past_the_cap_are_refused() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn_with(&app, |c| {
        c.socket.ws_allowed_origins = vec!["https://pos.example".into()];
        c.socket.ws_max_connections = 2;
    })
    .await;
    let token = shop.token(&app, 0, Role::Cashier);
    let connect = |origin: Option<&'static str>, device: &'static str| {
        let url = format!("ws://{}/ws?token={token}&device_id={device}", fanout.addr);
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                .unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    let status = |result: Result<_, tokio_tungstenite::tungstenite::Error>| match result {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other}"),
    };

    assert_eq!(
        status(
            connect(Some("https://evil.example"), "d0")
                .await
                .map(|_| ())
        ),
        403
    );
    let first = connect(Some("https://pos.example"), "d1").await;
    let second = connect(None, "d2").await;
    assert_eq!(
        (
            status(first.as_ref().map(|_| ()).map_err(clone_err)),
            status(second.as_ref().map(|_| ()).map_err(clone_err))
        ),
        (101, 101)
    );
    assert_eq!(status(connect(None, "d3").await.map(|_| ())), 503);
}

fn clone_err(err: &tokio_tungstenite::tungstenite::Error) -> tokio_tungstenite::tungstenite::Error {
    tokio_tungstenite::tungstenite::Error::Io(std::io::Error::other(err.to_string()))
}

/// A device's local copy: applies events and pulls, idempotently by sync_version.
#[derive(Default)]
struct LocalCopy(HashMap<String, u64>);

impl LocalCopy {
    fn apply(&mut self, record_id: &str, version: u64) {
        let seen = self.0.entry(record_id.to_owned()).or_default();
        *seen = (*seen).max(version);
    }
}

#[tokio::test]
async fn devices_miss_nothing_silently_when_nats_is_killed_and_restarted() {
    let (mut nats, app) = TestIngest::spawn_on_own_nats().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut devices = [
        fanout.connect(&token, "till-1").await,
        fanout.connect(&token, "till-2").await,
    ];
    let invoice = |id: String| json!([{"table_name": "invoices", "record_id": id, "data": {"total": 1}, "local_updated_at": "2025-12-07T10:30:00Z"}]);

    app.push(&token, "till-w", invoice("before".into())).await;
    for device in &mut devices {
        assert_eq!(device.expect_json(WAIT).await["record_id"], "before");
    }
    nats.kill();
    for n in 0..5 {
        app.push(&token, "till-w", invoice(format!("during-{n}")))
            .await;
    }
    nats.restart().await;
    app.push(&token, "till-w", invoice("after".into())).await;

    for device in &mut devices {
        let mut copy = LocalCopy::default();
        copy.apply("before", 1);
        let mut told_to_resync = false;
        while let Seen::Json(message) = device.next(Duration::from_secs(3)).await {
            match message["type"].as_str() {
                Some("sync") => copy.apply(
                    message["record_id"].as_str().unwrap(),
                    message["sync_version"].as_u64().unwrap(),
                ),
                Some("resync") => told_to_resync = true,
                _ => {}
            }
        }
        assert!(
            told_to_resync || copy.0.len() == 7,
            "a device missed events without being told"
        );
        let (changes, _) = app.pull_all(&token, None, 100).await;
        for change in changes {
            copy.apply(
                change["record_id"].as_str().unwrap(),
                change["sync_version"].as_u64().unwrap(),
            );
        }
        let server: Vec<(String, u64)> =
            sqlx::query_as("SELECT CAST(record_id AS CHAR), sync_version FROM records")
                .fetch_all(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(copy.0, server.into_iter().collect::<HashMap<_, _>>());
    }
}
