//! A service connected to a NATS node through which JetStream does not store (as on a node
//! cut from the rest of its cluster) reconnects once others publish or another node of its
//! list stores its probe, and not before: otherwise it may be an outage, where a reconnect
//! helps nothing. A service whose node stores its probe never reconnects.

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

/// A client of `nats` watched with the app's probe, `servers` the list it was given.
async fn watched_client(
    app: &TestIngest,
    nats: &TestNats,
    servers: &[&str],
) -> (async_nats::Client, CancellationToken) {
    let client = async_nats::connect(nats.url()).await.unwrap();
    let stop = CancellationToken::new();
    let mut config = app.config.nats.clone();
    config.nats_url = servers.join(",");
    tokio::spawn(shared::stranded::watch(
        client.clone(),
        Probe::of(&config),
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
    let (client, stop) = watched_client(&app, &stranded, &[&stranded.url()]).await;
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
    // Counted where Prometheus scrapes it (the process's recorder, shared by its tests).
    let counted = forced_reconnects_counted();
    assert!(counted >= 1.0, "counted {counted} forced reconnects");
}

/// `possync_nats_forced_reconnects_total` in the process's metrics text (0 when missing).
fn forced_reconnects_counted() -> f64 {
    let text = shared::metrics::handle().render();
    text.lines()
        .find_map(|line| line.strip_prefix("possync_nats_forced_reconnects_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_client_on_a_node_without_jetstream_reconnects_when_another_node_stores_the_probe() {
    let app = TestIngest::spawn().await;
    let stranded = TestNats::without_jetstream().await;
    let servers = [&stranded.url(), app.config.nats.nats_url.as_str()];
    let (client, stop) = watched_client(&app, &stranded, &servers).await;
    let first = connects(&client);

    // Nobody publishes: only the other node's answer can tell a partition from an outage.
    let deadline = tokio::time::Instant::now() + STRANDED_AFTER + Duration::from_secs(8);
    while connects(&client) == first && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.cancel();
    assert!(
        connects(&client) > first,
        "reconnected on the other node's word"
    );
}

#[tokio::test]
async fn a_client_whose_node_stores_the_probe_stays_while_others_publish() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let nats = TestNats::start().await;
    let (client, stop) = watched_client(&app, &nats, &[&nats.url()]).await;
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
