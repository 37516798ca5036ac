//! Service start-up: the secret check, health and readiness of all three services.

use possync_tests::{ingest_app, TestDb, TestIngest};
use secrecy::SecretString;
use serde_json::Value;
use shared::config::{HttpConfig, LogConfig};
use tokio_util::sync::CancellationToken;

fn port_zero() -> HttpConfig {
    HttpConfig {
        bind_addr: Some(([127, 0, 0, 1], 0).into()),
    }
}

#[tokio::test]
async fn ingest_refuses_to_start_with_a_31_byte_secret() {
    let db = TestDb::empty().await;
    let mut config = ingest_app::config(&db);
    config.jwt.jwt_secret = SecretString::from("x".repeat(31));

    let err = ingest::Application::build(config)
        .await
        .err()
        .expect("build fails");

    assert!(
        err.to_string()
            .contains("JWT_SECRET is 31 bytes long; it must be at least 32 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn fanout_refuses_to_start_with_a_short_secret() {
    let db = TestDb::empty().await;
    let mut jwt = ingest_app::config(&db).jwt;
    jwt.jwt_secret = SecretString::from("short".to_owned());
    let config = fanout::Config {
        http: port_zero(),
        database: db.config(),
        nats: ingest_app::config(&db).nats,
        jwt,
        log: LogConfig {
            log_format: "text".into(),
            log_spans: false,
        },
        socket: possync_tests::fanout_app::socket_config(),
    };

    assert!(fanout::Application::build(config).await.is_err());
}

async fn get_json(url: String) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn ingest_is_healthy_and_ready_with_mysql_and_nats() {
    let app = TestIngest::spawn().await;

    assert_eq!(get_json(app.url("/healthz")).await.0, 200);
    assert_eq!(wait_ready(app.url("/readyz")).await, 200);
    // Ready needs MySQL only; NATS connects in the background, and is waited for here.
    let mut body = serde_json::Value::Null;
    for _ in 0..50 {
        body = get_json(app.url("/readyz")).await.1;
        if body["nats"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(body, serde_json::json!({"mysql": true, "nats": true}));
}

#[tokio::test]
async fn fanout_and_janitor_start_and_report_ready() {
    let db = TestDb::empty().await;
    let base = ingest_app::config(&db);
    let log = LogConfig {
        log_format: "json".into(),
        log_spans: false,
    };
    let fanout = fanout::Application::build(fanout::Config {
        http: port_zero(),
        database: db.config(),
        nats: base.nats.clone(),
        jwt: base.jwt.clone(),
        log: log.clone(),
        socket: possync_tests::fanout_app::socket_config(),
    })
    .await
    .unwrap();
    let janitor = janitor::Application::build(janitor::Config {
        http: port_zero(),
        database: db.config(),
        nats: base.nats.clone(),
        log,
        sweep: possync_tests::janitor_app::sweep_config(),
        once: false,
    })
    .await
    .unwrap();
    let (fanout_addr, janitor_addr) = (fanout.local_addr(), janitor.local_addr());
    let stop = CancellationToken::new();
    tokio::spawn(fanout.run_until_stopped(stop.clone()));
    let janitor_task = tokio::spawn(janitor.run_until_stopped(stop.clone()));

    for addr in [fanout_addr, janitor_addr] {
        assert_eq!(get_json(format!("http://{addr}/healthz")).await.0, 200);
        assert_eq!(
            wait_ready(format!("http://{addr}/readyz")).await,
            200,
            "{addr}"
        );
    }
    stop.cancel();
    janitor_task.await.unwrap().expect("janitor stops cleanly");
}

/// NATS connects in the background: readiness may take a moment.
async fn wait_ready(url: String) -> u16 {
    for _ in 0..50 {
        let (status, _) = get_json(url.clone()).await;
        if status == 200 {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    503
}
