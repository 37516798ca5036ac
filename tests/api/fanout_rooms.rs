//! fanout rooms end to end: a push through ingest reaches exactly the devices that may see it.

use std::time::Duration;

use possync_tests::{Seen, Tenant, TestFanout, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(400);

pub(crate) fn invoice(id: &str) -> Value {
    json!([{"table_name": "invoices", "record_id": id, "data": {"total": 12.5},
            "local_updated_at": "2025-12-07T10:30:00Z"}])
}

pub(crate) fn product(id: &str) -> Value {
    json!([{"table_name": "products", "record_id": id, "data": {"name": "Tea", "price": 2},
            "local_updated_at": "2025-12-07T10:30:00Z"}])
}

#[tokio::test]
async fn a_push_reaches_the_other_device_of_the_branch_itself_only_as_a_marker_and_no_other_branch_or_client(
) {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let other = Tenant::seed(&app, "other").await;
    let fanout = TestFanout::spawn(&app).await;
    let till_a_token = shop.token(&app, 0, Role::Cashier);
    let mut till_a = fanout.connect(&till_a_token, "till-a").await;
    let mut till_b = fanout
        .connect(&shop.token(&app, 0, Role::Cashier), "till-b")
        .await;
    let mut branch_2 = fanout
        .connect(&shop.token(&app, 1, Role::Cashier), "till-c")
        .await;
    let mut other_client = fanout
        .connect(&other.token(&app, 0, Role::Cashier), "till-d")
        .await;

    app.push(&till_a_token, "till-a", invoice("i1")).await;

    let event = till_b.expect_json(WAIT).await;
    assert_eq!(event["type"], "sync");
    assert_eq!(event["table_name"], "invoices");
    assert_eq!(event["record_id"], "i1");
    assert_eq!(event["operation"], "create");
    assert_eq!(event["data"], json!({"total": 12.5}));
    assert_eq!(
        event["room"],
        format!("{}:{}", shop.client_id, shop.branches[0])
    );
    assert_eq!(event["sync_version"], 1);
    assert!(
        event["server_updated_at"].is_string()
            && event["position"].is_u64()
            && event["scope_seq"] == 1
    );
    assert_eq!(till_a.expect_json(WAIT).await["type"], "own");
    for device in [&mut till_a, &mut branch_2, &mut other_client] {
        assert!(matches!(device.next(QUIET).await, Seen::Nothing));
    }
}

#[tokio::test]
async fn shared_tables_reach_every_branch_of_the_client_only() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let other = Tenant::seed(&app, "other").await;
    let fanout = TestFanout::spawn(&app).await;
    let mut branch_1 = fanout
        .connect(&shop.token(&app, 0, Role::Cashier), "till-1")
        .await;
    let mut branch_2 = fanout
        .connect(&shop.token(&app, 1, Role::Cashier), "till-2")
        .await;
    let mut other_client = fanout
        .connect(&other.token(&app, 1, Role::Cashier), "till-3")
        .await;

    app.push(
        &shop.token(&app, 0, Role::Admin),
        "backoffice",
        product("p1"),
    )
    .await;

    assert_eq!(branch_1.expect_json(WAIT).await["record_id"], "p1");
    assert_eq!(branch_2.expect_json(WAIT).await["record_id"], "p1");
    assert!(matches!(other_client.next(QUIET).await, Seen::Nothing));
}

#[tokio::test]
async fn a_super_admin_on_the_client_room_gets_both_branches_and_nothing_else() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let other = Tenant::seed(&app, "other").await;
    let fanout = TestFanout::spawn(&app).await;
    let mut admin = fanout
        .connect(&shop.token(&app, 0, Role::SuperAdmin), "office")
        .await;
    admin.send(json!({"type": "unsubscribe", "room": format!("{}:{}", shop.client_id, shop.branches[0])})).await;
    assert_eq!(admin.expect_json(WAIT).await["type"], "unsubscribed");
    let joined = admin.subscribe(&format!("{}:*", shop.client_id)).await;
    assert_eq!(
        joined,
        json!({"type": "subscribed", "room": format!("{}:*", shop.client_id)})
    );

    app.push(&shop.token(&app, 0, Role::Cashier), "till-1", invoice("i1"))
        .await;
    app.push(&shop.token(&app, 1, Role::Cashier), "till-2", invoice("i2"))
        .await;
    app.push(
        &other.token(&app, 0, Role::Cashier),
        "till-3",
        invoice("i3"),
    )
    .await;

    let ids: Vec<Value> = admin
        .drain_syncs(QUIET)
        .await
        .iter()
        .map(|e| e["record_id"].clone())
        .collect();
    assert_eq!(ids, [json!("i1"), json!("i2")]);
}

#[tokio::test]
async fn rooms_outside_the_scope_malformed_or_with_wildcards_are_refused() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let other = Tenant::seed(&app, "other").await;
    let fanout = TestFanout::spawn(&app).await;
    let mut cashier = fanout
        .connect(&shop.token(&app, 0, Role::Cashier), "till-1")
        .await;
    let mut admin = fanout
        .connect(&shop.token(&app, 0, Role::SuperAdmin), "office")
        .await;
    let c = shop.client_id;

    let cases = [
        (format!("{c}:{}", shop.branches[1]), "forbidden"),
        (format!("{c}:*"), "forbidden"),
        (
            format!("{}:{}", other.client_id, other.branches[0]),
            "forbidden",
        ),
        (format!("{c}:>"), "bad_room"),
        ("sync.>".to_owned(), "bad_room"),
        (format!("{c}:1.2"), "bad_room"),
        (String::new(), "bad_room"),
    ];
    for (room, code) in cases {
        let answer = cashier.subscribe(&room).await;
        assert_eq!(
            (answer["type"].as_str(), answer["code"].as_str()),
            (Some("error"), Some(code)),
            "{room}"
        );
    }
    let foreign = admin.subscribe(&format!("{}:*", other.client_id)).await;
    assert_eq!(foreign["code"], "forbidden");
    cashier.send(json!({"type": "dance"})).await;
    assert_eq!(cashier.expect_json(WAIT).await["code"], "bad_message");
    cashier.send(json!({"type": "ping"})).await;
    assert_eq!(cashier.expect_json(WAIT).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn bad_tokens_and_device_ids_are_refused_before_the_upgrade() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let good = shop.token(&app, 0, Role::Cashier);
    let mut expired = app.keys.claims_for(&shared::token::Principal {
        user_id: 1,
        client_id: shop.client_id,
        branch_id: shop.branches[0],
        role: Role::Cashier,
    });
    expired.exp = expired.iat - 60;
    let expired = app.keys.sign(&expired);

    for (query, status) in [
        ("token=nonsense&device_id=t1".to_owned(), 401),
        (format!("token={expired}&device_id=t1"), 401),
        ("device_id=t1".to_owned(), 401),
        (format!("token={good}&device_id=bad%20id"), 400),
        (format!("token={good}"), 400),
    ] {
        let url = format!("ws://{}/ws?{query}", fanout.addr);
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), status, "{query}")
            }
            other => panic!(
                "{query}: expected a refused upgrade, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{}/ws?device_id=t2",
            fanout.addr
        ))
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {good}").parse().unwrap());
    assert!(
        tokio_tungstenite::connect_async(request).await.is_ok(),
        "a bearer header is accepted too"
    );
}

/// Browsers cannot send headers on a WebSocket but can name subprotocols: the token rides as
/// `possync.token.<JWT>` next to `possync`, out of the URL, and the answer selects `possync`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_sent_as_a_subprotocol_is_accepted_and_never_echoed() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let other = Tenant::seed(&app, "other").await;
    let fanout = TestFanout::spawn(&app).await;
    let with_protocols = |protocols: String| {
        let mut request = fanout.request("device_id=t3");
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
        request
    };

    let good = shop.token(&app, 0, Role::Cashier);
    let (socket, response) =
        tokio_tungstenite::connect_async(with_protocols(format!("possync, possync.token.{good}")))
            .await
            .expect("the upgrade is accepted");
    assert_eq!(response.headers()["sec-websocket-protocol"], "possync");
    drop(socket);

    for protocols in [
        "possync, possync.token.nonsense".to_owned(),
        "possync".to_owned(),
    ] {
        match tokio_tungstenite::connect_async(with_protocols(protocols.clone())).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401, "{protocols}")
            }
            other => panic!("{protocols}: expected 401, got {:?}", other.map(|_| ())),
        }
    }
    // Another tenant's token on a device bound to this shop is refused.
    let foreign = other.token(&app, 0, Role::Cashier);
    match tokio_tungstenite::connect_async(with_protocols(format!(
        "possync, possync.token.{foreign}"
    )))
    .await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!(
            "another tenant's token: expected 403, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[tokio::test]
async fn devices_on_two_replicas_both_receive_and_one_replica_survives_the_other() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let first = TestFanout::spawn(&app).await;
    let second = TestFanout::spawn(&app).await;
    let token = shop.token(&app, 0, Role::Cashier);
    let mut on_first = first.connect(&token, "till-1").await;
    let mut on_second = second.connect(&token, "till-2").await;

    app.push(&token, "till-3", invoice("i1")).await;
    assert_eq!(on_first.expect_json(WAIT).await["record_id"], "i1");
    assert_eq!(on_second.expect_json(WAIT).await["record_id"], "i1");
    assert!(
        matches!(on_first.next(QUIET).await, Seen::Nothing),
        "each device gets an event once"
    );

    first.shut_down().await;
    assert!(
        matches!(on_first.next(WAIT).await, Seen::Closed(Some(1001))),
        "drained with going away"
    );
    app.push(&token, "till-3", invoice("i2")).await;
    assert_eq!(on_second.expect_json(WAIT).await["record_id"], "i2");
}
