//! A replica stopped on purpose: readiness turns false at once, devices are still let in
//! while the balancer notices (`WS_DRAIN_DELAY_MS`), then every connection is closed with
//! 1001 and new upgrades are refused with the contract's 503.

use std::time::{Duration, Instant};

use possync_tests::{Seen, Tenant, TestFanout, TestIngest};
use serde_json::Value;
use shared::token::Role;

const DELAY: Duration = Duration::from_millis(1_500);

async fn readiness(fanout: &TestFanout) -> (u16, Value) {
    let answer = reqwest::get(format!("http://{}/readyz", fanout.addr))
        .await
        .expect("readyz answers");
    (answer.status().as_u16(), answer.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_draining_replica_is_not_ready_at_once_lets_devices_in_for_the_delay_then_closes_them_all_with_1001(
) {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn_with(&app, |config| {
        config.socket.ws_drain_delay_ms = DELAY.as_millis() as u64;
    })
    .await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut before = fanout.connect(&token, "till-1").await;
    assert_eq!(readiness(&fanout).await.0, 200);

    let stopped = Instant::now();
    fanout.stop.cancel();
    let (status, ready) = readiness(&fanout).await;
    let mut during = fanout.connect(&token, "till-2").await;
    assert!(stopped.elapsed() < DELAY, "the checks ran within the delay");

    assert_eq!((status, &ready["draining"]), (503, &Value::Bool(true)));
    for device in [&mut before, &mut during] {
        assert!(
            matches!(device.next(DELAY * 3).await, Seen::Closed(Some(1001))),
            "closed with going away after the delay"
        );
    }
    assert!(
        stopped.elapsed() >= DELAY,
        "nothing was closed before the delay"
    );
    let refused = fanout
        .open(fanout.request(&format!("token={token}&device_id=till-3")))
        .await;
    let (status, body) = refused.err().expect("refused after the delay");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable"))
    );
}
