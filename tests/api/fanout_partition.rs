//! A fanout replica cut from NATS while ingest still publishes hands its devices over (1001,
//! so they reconnect to a replica that relays); when NATS is down for everyone, devices stay
//! and are told to resync once it is back, and again a few seconds later; so are the devices
//! of a replica that started while NATS was down.

use std::time::Duration;

use fanout::monitor::RESYNC_AGAIN_AFTER;
use possync_tests::{Device, Seen, Tenant, TestFanout, TestIngest, TestNats};
use serde_json::json;
use shared::token::Role;
use tokio::task::JoinHandle;

fn invoice(id: String) -> serde_json::Value {
    json!([{"table_name": "invoices", "record_id": id, "data": {"total": 1}, "local_updated_at": "2025-12-07T10:30:00Z"}])
}

/// `count` pushes from another till, one every 250 ms: others publish.
fn keep_pushing(app: TestIngest, token: String, count: usize) -> JoinHandle<TestIngest> {
    tokio::spawn(async move {
        for n in 0..count {
            app.push(&token, "till-w", invoice(format!("elsewhere-{n}")))
                .await;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        app
    })
}

#[tokio::test]
async fn a_replica_cut_from_nats_while_others_publish_closes_its_devices_with_1001() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let mut cut_off = TestNats::start().await;
    let url = cut_off.url();
    let fanout = TestFanout::spawn_with(&app, |c| c.nats.nats_url = url.clone()).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut device = fanout.connect(&token, "till-1").await;

    cut_off.kill();
    let pushes = keep_pushing(app, token, 40);
    let closed = device.next(Duration::from_secs(12)).await;
    pushes.abort();
    assert!(
        matches!(closed, Seen::Closed(Some(1001))),
        "handed over with going away, not {closed:?}"
    );
}

#[tokio::test]
async fn devices_stay_on_a_replica_when_nats_is_down_for_everyone_and_are_told_to_resync() {
    let (mut nats, app) = TestIngest::spawn_on_own_nats().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut device = fanout.connect(&token, "till-1").await;
    app.push(&token, "till-w", invoice("before".into())).await;
    assert_eq!(
        device.expect_json(Duration::from_secs(5)).await["record_id"],
        "before"
    );

    nats.kill();
    for n in 0..24 {
        app.push(&token, "till-w", invoice(format!("during-{n}")))
            .await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let during = device.next(Duration::from_secs(2)).await;
    assert!(
        matches!(during, Seen::Nothing),
        "still open and quiet 8 s into the outage, not {during:?}"
    );
    nats.restart().await;
    assert!(
        is_resync(&device.next(Duration::from_secs(10)).await),
        "told to resync once NATS was back"
    );
    // Events relayed meanwhile come in between.
    let again = next_resync(&mut device).await;
    assert!(
        is_resync(&again),
        "told again once the cluster's routes had time to come back, not {again:?}"
    );
}

fn is_resync(message: &Seen) -> bool {
    matches!(message, Seen::Json(m) if m["type"] == "resync")
}

/// The next `resync` within [`RESYNC_AGAIN_AFTER`] and 3 s, past other messages; or the
/// last thing seen.
async fn next_resync(device: &mut Device) -> Seen {
    let deadline = tokio::time::Instant::now() + RESYNC_AGAIN_AFTER + Duration::from_secs(3);
    let mut seen = Seen::Nothing;
    while tokio::time::Instant::now() < deadline && !is_resync(&seen) {
        seen = device.next(deadline - tokio::time::Instant::now()).await;
    }
    seen
}

#[tokio::test]
async fn a_replica_started_while_nats_was_down_tells_its_devices_to_resync_a_while_after_nats_came()
{
    let (mut nats, app) = TestIngest::spawn_on_own_nats().await;
    let shop = Tenant::seed(&app, "shop").await;
    nats.kill();
    let fanout = TestFanout::spawn(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    nats.restart().await;
    // As the balancer does: devices only once the replica is ready (connected to NATS).
    fanout.wait_until_ready(Duration::from_secs(15)).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut device = fanout.connect(&token, "till-1").await;
    let seen = next_resync(&mut device).await;
    assert!(
        is_resync(&seen),
        "told to resync once the cluster's routes had time to come back, not {seen:?}"
    );
}

#[tokio::test]
async fn a_replica_that_found_nats_at_once_tells_nobody_to_resync() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut device = fanout.connect(&token, "till-1").await;
    let quiet = device
        .next(RESYNC_AGAIN_AFTER + Duration::from_secs(1))
        .await;
    assert!(
        matches!(quiet, Seen::Nothing),
        "nothing to resync, not {quiet:?}"
    );
}

#[tokio::test]
async fn a_replica_on_a_nats_node_without_jetstream_while_others_publish_reconnects_and_tells_devices_to_resync(
) {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    // Connected, but JetStream does not answer through it and nothing that others publish
    // reaches it: a node cut from its cluster.
    let stranded = TestNats::without_jetstream().await;
    let url = stranded.url();
    let fanout = TestFanout::spawn_with(&app, |c| c.nats.nats_url = url.clone()).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut device = fanout.connect(&token, "till-1").await;

    let pushes = keep_pushing(app, token, 60);
    let told = device.next(Duration::from_secs(15)).await;
    pushes.abort();
    assert!(
        is_resync(&told),
        "reconnected to NATS and told to resync, not {told:?}"
    );
}
