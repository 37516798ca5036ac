//! Opening a socket: the bearer scheme in any case; device ids bound to one client and
//! branch whichever of push or socket uses them first; a 503 while the database is down,
//! except for devices the replica has seen, which stays ready.

use std::time::Duration;

use possync_tests::cut_link::CutLink;
use possync_tests::{Device, Tenant, TestFanout, TestIngest};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::token::Role;

const WAIT: Duration = Duration::from_secs(5);

fn invoice(id: &str) -> Value {
    json!([{"table_name": "invoices", "record_id": id, "data": {"total": 3},
            "local_updated_at": "2025-12-07T10:30:00Z"}])
}

async fn open(fanout: &TestFanout, token: &str, device_id: &str) -> Result<Device, (u16, Value)> {
    let request = fanout.request(&format!("token={token}&device_id={device_id}"));
    fanout.open(request).await
}

fn assert_forbidden(opened: Result<Device, (u16, Value)>, who: &str) {
    let (status, body) = opened.err().unwrap_or_else(|| panic!("{who} was let in"));
    assert_eq!(status, 403, "{who}: {body}");
    assert_eq!(body["error"]["code"], "forbidden", "{who}: {body}");
}

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

#[tokio::test]
async fn a_device_id_bound_by_a_push_is_refused_on_the_socket_to_another_branch_or_client() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let other = Tenant::seed(&app, "other").await;
    let fanout = TestFanout::spawn(&app).await;
    let owner = shop.token(&app, 0, Role::Cashier);
    app.push(&owner, "till-1", invoice("i-1")).await;

    let other_branch = open(&fanout, &shop.token(&app, 1, Role::Cashier), "till-1").await;
    let other_client = open(&fanout, &other.token(&app, 0, Role::Cashier), "till-1").await;
    let the_owner = open(&fanout, &owner, "till-1").await;

    assert_forbidden(other_branch, "another branch");
    assert_forbidden(other_client, "another client");
    assert!(the_owner.is_ok(), "the owner connects");
}

#[tokio::test]
async fn a_device_id_first_used_on_the_socket_is_bound_there_and_refused_to_a_push_from_elsewhere()
{
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let owner = shop.token(&app, 0, Role::Cashier);
    let stranger = shop.token(&app, 1, Role::Cashier);
    let fanout = TestFanout::spawn(&app).await;
    let _first = fanout.connect(&owner, "till-1").await;

    let body = json!({"device_id": "till-1", "records": invoice("i-1")});
    let (status, refusal) = app.post_as(&stranger, "/api/sync/batch-push", &body).await;
    let elsewhere = open(&fanout, &stranger, "till-1").await;

    assert_eq!(status, 403, "{refusal}");
    assert_forbidden(elsewhere, "another branch");
    app.push(&owner, "till-1", invoice("i-2")).await;
}

#[tokio::test]
async fn the_socket_answers_503_while_the_database_is_down() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn_with(&app, |c| {
        c.database.database_url = SecretString::from("mysql://root@127.0.0.1:1/none".to_owned());
    })
    .await;

    let opened = open(&fanout, &shop.token(&app, 0, Role::Cashier), "till-1").await;

    let (status, body) = opened.err().expect("refused");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
}

#[tokio::test]
async fn without_mysql_a_replica_stays_ready_and_lets_in_the_devices_it_has_seen() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let mut url = reqwest::Url::parse(&app.db.url).unwrap();
    let server = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(3306));
    let link = CutLink::to(&server).await;
    url.set_port(Some(link.addr.port())).unwrap();
    let fanout = TestFanout::spawn_with(&app, |c| {
        c.database.database_url = SecretString::from(url.to_string());
    })
    .await;
    let (cashier, other_branch) = (
        shop.token(&app, 0, Role::Cashier),
        shop.token(&app, 1, Role::Cashier),
    );
    drop(fanout.connect(&cashier, "till-seen").await);

    link.cut();
    // The replica checks MySQL every second; its readiness never waits for the check.
    let readyz = format!("http://{}/readyz", fanout.addr);
    let (mut status, mut ready) = (0, Value::Null);
    for _ in 0..50 {
        let started = std::time::Instant::now();
        let answer = reqwest::get(&readyz).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(1), "readyz waited");
        status = answer.status().as_u16();
        ready = answer.json().await.unwrap();
        if ready["mysql"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = open(&fanout, &cashier, "till-seen").await;
    let unseen = open(&fanout, &cashier, "till-new").await;
    let stranger = open(&fanout, &other_branch, "till-seen").await;

    assert_eq!(
        (status, ready),
        (
            200,
            json!({"mysql": false, "nats": true, "draining": false})
        )
    );
    assert!(seen.is_ok(), "a device the replica has seen gets in");
    let (status, body) = unseen.err().expect("an unseen device cannot be checked");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable"))
    );
    assert_forbidden(stranger, "another branch with a remembered device id");

    link.mend();
    let mut back = open(&fanout, &cashier, "till-new").await;
    for _ in 0..50 {
        if back.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        back = open(&fanout, &cashier, "till-new").await;
    }
    assert!(back.is_ok(), "with MySQL back the new device gets in");
}
