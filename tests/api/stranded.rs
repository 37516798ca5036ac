//! A service connected to a NATS node through which JetStream does not answer (as on a node
//! cut from the rest of its cluster) reconnects once others publish, and not before: with
//! nothing published it may be an outage or an election, where a reconnect helps nothing.

use std::sync::atomic::Ordering;
use std::time::Duration;

use possync_tests::{Tenant, TestIngest, TestNats};
use serde_json::json;
use shared::stranded::STRANDED_AFTER;
use shared::token::Role;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_client_on_a_node_without_jetstream_reconnects_once_others_publish() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let stranded = TestNats::without_jetstream().await;
    let client = async_nats::connect(stranded.url()).await.unwrap();
    let connects = || client.statistics().connects.load(Ordering::Relaxed);
    let first = connects();
    let stop = CancellationToken::new();
    tokio::spawn(shared::stranded::watch(
        client.clone(),
        app.db.pool.clone(),
        stop.clone(),
    ));

    tokio::time::sleep(STRANDED_AFTER + Duration::from_secs(2)).await;
    assert_eq!(connects(), first, "nobody published: no reconnect");

    let token = shop.token(&app, 0, Role::Cashier);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(12);
    let mut n = 0;
    while connects() == first && tokio::time::Instant::now() < deadline {
        let sale = json!([{"table_name": "invoices", "record_id": format!("inv-{n}"), "data": {"total": 1}, "local_updated_at": "2025-12-07T10:30:00Z"}]);
        app.push(&token, "till-w", sale).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.cancel();
    assert!(connects() > first, "reconnected once others published");
}
