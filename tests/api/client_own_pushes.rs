//! The Rust client's realtime loop and its own pushes: the `own` markers keep its scope
//! numbers whole, so it pulls on connect and on a real gap, never because it pushed.

use ingest::record::{Author, Mode};
use ingest::scope::CallerScope;
use ingest::store::write;
use ingest::store::Store;
use ingest::sync::incoming;
use possync_client::Client;
use possync_tests::{TempPath, Tenant, TestFanout, TestIngest};
use serde_json::json;
use shared::subject::Subjects;
use shared::sync_queue::insert::IdAllocation;
use tokio_util::sync::CancellationToken;

use crate::client::{arrives, go_live, open_device, store_path};

/// A realtime device (`writer`) and a device that only pushes (`other`), both of the
/// first branch, with the writer's connect behind it.
struct Devices {
    writer: Client,
    other: Client,
    stop: CancellationToken,
    live: tokio::task::JoinHandle<()>,
    _fanout: TestFanout,
    app: TestIngest,
    tenant: Tenant,
    _stores: [TempPath; 2],
}

impl Devices {
    async fn start() -> Devices {
        let app = TestIngest::spawn().await;
        let tenant = Tenant::seed(&app, "shop").await;
        let fanout = TestFanout::spawn(&app).await;
        let stores = [store_path(), store_path()];
        let writer = open_device(
            &app,
            Some(&fanout),
            &tenant,
            "cashier1",
            "till-w",
            &stores[0],
        )
        .await;
        let other = open_device(&app, None, &tenant, "cashier1", "till-o", &stores[1]).await;
        let (stop, live) = go_live(&writer).await;
        // Once an event is applied the connect's push and pull have run: later edits are
        // pushed by the tests, not by the connect.
        push_invoice(&other, "o-first").await;
        arrives(&writer, "invoices", "o-first").await.unwrap();
        Devices {
            app,
            tenant,
            writer,
            other,
            stop,
            live,
            _fanout: fanout,
            _stores: stores,
        }
    }

    async fn stop(self) {
        self.stop.cancel();
        self.live.await.unwrap();
    }
}

/// Edits and pushes one invoice (no pull).
async fn push_invoice(device: &Client, id: &str) {
    device
        .edit("invoices", id, json!({"total": 1}))
        .await
        .unwrap();
    assert_eq!(device.push().await.unwrap().synced, 1);
}

/// Commits an invoice of `tenant`'s first branch whose event is never published: the
/// scope number it takes is a hole every device sees.
async fn commit_unannounced(app: &TestIngest, tenant: &Tenant, id: &str) {
    let store = Store {
        pool: app.db.pool.clone(),
        subjects: Subjects::new(&app.config.nats.nats_subject_prefix).unwrap(),
        queue_ids: IdAllocation::Consecutive,
    };
    let author = Author {
        scope: CallerScope {
            client_id: tenant.client_id,
            branch_id: tenant.branches[0],
            whole_client: false,
            can_administer: false,
        },
        device: Some("till-lost"),
        placed_in: None,
    };
    let record = json!({"table_name": "invoices", "record_id": id, "data": {"total": 7},
                        "local_updated_at": chrono::Utc::now()});
    let edit = incoming::parse(0, record, chrono::Utc::now()).unwrap();
    write::write(&store, author, &[edit], Mode::Sync)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_realtime_device_that_pushes_five_edits_pulls_only_on_connect() {
    let devices = Devices::start().await;
    let (writer, other) = (&devices.writer, &devices.other);

    for i in 0..5 {
        push_invoice(writer, &format!("w{i}")).await;
        push_invoice(other, &format!("o{i}")).await;
    }
    // The loop handles frames in order: once this one is applied, so are all before it.
    push_invoice(other, "o-last").await;
    arrives(writer, "invoices", "o-last").await.unwrap();

    assert_eq!(writer.pulls(), 1, "the connect's pull only");
    let own = writer.store().record("invoices", "w4").await.unwrap();
    assert_eq!(own.map(|r| r.sync_version), Some(1), "the marker's version");
    devices.stop().await;
}

#[tokio::test]
async fn a_realtime_device_still_pulls_when_an_event_is_missed() {
    let devices = Devices::start().await;
    let (writer, other) = (&devices.writer, &devices.other);
    push_invoice(writer, "w0").await;
    push_invoice(other, "o1").await;
    arrives(writer, "invoices", "o1").await.unwrap();
    assert_eq!(writer.pulls(), 1);

    commit_unannounced(&devices.app, &devices.tenant, "lost").await;
    push_invoice(other, "o2").await;

    let lost = arrives(writer, "invoices", "lost").await;
    assert_eq!(lost.map(|r| r.data), Some(json!({"total": 7})));
    assert_eq!(writer.pulls(), 2, "one pull for the hole");
    devices.stop().await;
}
