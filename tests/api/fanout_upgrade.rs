//! Opening a socket: the bearer scheme in any case.

use std::time::Duration;

use possync_tests::{Tenant, TestFanout, TestIngest};
use serde_json::json;
use shared::token::Role;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_bearer_header_opens_the_socket_whatever_the_case_of_its_scheme() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);

    for scheme in ["Bearer", "bearer", "BEARER"] {
        let mut request = fanout.request("device_id=till-1");
        let header = format!("{scheme} {token}").parse().unwrap();
        request.headers_mut().insert("authorization", header);
        let opened = fanout.open(request).await;

        let mut device = opened.unwrap_or_else(|refusal| panic!("{scheme}: {refusal:?}"));
        device.send(json!({"type": "ping"})).await;
        assert_eq!(device.expect_json(WAIT).await, json!({"type": "pong"}));
    }
}
