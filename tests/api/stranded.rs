//! A service connected to a NATS node through which JetStream does not store (as on a node
//! cut from the rest of its cluster) reconnects once others publish, and not before: with
//! nothing published it may be an outage, where a reconnect helps nothing. A service whose
//! node stores its probe never reconnects.

use std::sync::atomic::Ordering;
use std::time::Duration;

use possync_tests::{Tenant, TestIngest, TestNats};
use serde_json::json;
use shared::stranded::{Probe, STRANDED_AFTER};
use shared::token::Role;
use tokio_util::sync::CancellationToken;

/// Pushes a sale every 250 ms (so groups are published) until `done` or `within`.
async fn publish_sales_until(
    app: &TestIngest,
    shop: &Tenant,
    within: Duration,
    done: impl Fn() -> bool,
) {
    let token = shop.token(app, 0, Role::Cashier);
    let deadline = tokio::time::Instant::now() + within;
    let mut n = 0;
    while !done() && tokio::time::Instant::now() < deadline {
        let sale = json!([{"table_name": "invoices", "record_id": format!("inv-{n}"), "data": {"total": 1}, "local_updated_at": "2025-12-07T10:30:00Z"}]);
        app.push(&token, "till-w", sale).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A client of `nats` watched with the app's probe, and its connection count.
async fn watched_client(
    app: &TestIngest,
    nats: &TestNats,
) -> (async_nats::Client, CancellationToken) {
    let client = async_nats::connect(nats.url()).await.unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(shared::stranded::watch(
        client.clone(),
        Probe::of(&app.config.nats),
        app.db.pool.clone(),
        stop.clone(),
    ));
    (client, stop)
}

fn connects(client: &async_nats::Client) -> u64 {
    client.statistics().connects.load(Ordering::Relaxed)
}

#[tokio::test]
async fn a_client_on_a_node_without_jetstream_reconnects_once_others_publish() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let stranded = TestNats::without_jetstream().await;
    let (client, stop) = watched_client(&app, &stranded).await;
    let first = connects(&client);

    tokio::time::sleep(STRANDED_AFTER + Duration::from_secs(2)).await;
    assert_eq!(connects(&client), first, "nobody published: no reconnect");

    publish_sales_until(&app, &shop, Duration::from_secs(12), || {
        connects(&client) > first
    })
    .await;
    stop.cancel();
    assert!(
        connects(&client) > first,
        "reconnected once others published"
    );
}

#[tokio::test]
async fn a_client_whose_node_stores_the_probe_stays_while_others_publish() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let nats = TestNats::start().await;
    let (client, stop) = watched_client(&app, &nats).await;
    let first = connects(&client);

    publish_sales_until(&app, &shop, STRANDED_AFTER * 2, || false).await;
    stop.cancel();
    assert_eq!(connects(&client), first, "a working node: no reconnect");
    let js = async_nats::jetstream::new(client);
    let mut probe = js
        .get_stream(Probe::of(&app.config.nats).stream())
        .await
        .expect("the probe stream was made");
    let info = probe.info().await.unwrap();
    assert_eq!(info.state.messages, 1, "it keeps the last probe only");
    assert!(info.state.last_sequence >= 5, "probed every second");
}
