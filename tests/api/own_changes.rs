//! A device's own changes over the socket: an `own` marker in stream order, never the full
//! change, so its scope numbers run without holes and others still get the whole change.

use std::collections::BTreeMap;
use std::time::Duration;

use possync_tests::{Device, Seen, Tenant, TestFanout, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

use crate::fanout_rooms::{invoice, product};

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(400);

/// Every message a device receives until `QUIET` passes without one.
async fn received(device: &mut Device) -> Vec<Value> {
    let mut messages = Vec::new();
    while let Seen::Json(message) = device.next(QUIET).await {
        messages.push(message);
    }
    messages
}

#[tokio::test]
async fn the_pushing_device_receives_an_own_marker_and_the_other_device_the_full_change() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut till_a = fanout.connect(&token, "till-a").await;
    let mut till_b = fanout.connect(&token, "till-b").await;

    app.push(&token, "till-a", invoice("i1")).await;

    let marker = till_a.expect_json(WAIT).await;
    let full = till_b.expect_json(WAIT).await;
    let room = format!("{}:{}", shop.client_id, shop.branches[0]);
    assert_eq!(
        marker,
        json!({"type": "own", "room": room, "table_name": "invoices", "record_id": "i1",
               "sync_version": 1, "branch_id": shop.branches[0],
               "position": full["position"], "scope_seq": 1})
    );
    assert_eq!(
        (&full["type"], &full["data"], &full["scope_seq"]),
        (&json!("sync"), &json!({"total": 12.5}), &json!(1))
    );
    assert!(matches!(till_a.next(QUIET).await, Seen::Nothing));
}

#[tokio::test]
async fn the_pushing_device_sees_every_scope_number_without_holes() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut till_a = fanout.connect(&token, "till-a").await;

    let pushes = [
        ("till-a", invoice("i1")),
        ("till-b", invoice("i2")),
        ("till-a", product("p1")),
        ("till-a", invoice("i3")),
        ("till-b", product("p2")),
        ("till-a", invoice("i4")),
        ("till-b", invoice("i5")),
    ];
    for (device, records) in pushes {
        app.push(&token, device, records).await;
    }
    let messages = received(&mut till_a).await;

    let mut seqs: BTreeMap<u64, Vec<(String, u64)>> = BTreeMap::new();
    for message in &messages {
        let kind = message["type"].as_str().unwrap().to_owned();
        let scope = message["branch_id"].as_u64().unwrap();
        seqs.entry(scope)
            .or_default()
            .push((kind, message["scope_seq"].as_u64().unwrap()));
    }
    let own = |seq: u64| ("own".to_owned(), seq);
    let sync = |seq: u64| ("sync".to_owned(), seq);
    assert_eq!(
        seqs,
        BTreeMap::from([
            (0, vec![own(1), sync(2)]),
            (
                shop.branches[0],
                vec![own(1), sync(2), own(3), own(4), sync(5)]
            ),
        ])
    );
    assert!(messages
        .iter()
        .all(|m| m["type"] == "own" || m["source_device_id"] != "till-a"));
}
