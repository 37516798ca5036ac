//! What reaches NATS: exactly the committed changes, on their subjects, once in the stream.

use std::collections::HashSet;
use std::time::Duration;

use ingest::record::{Author, Mode};
use ingest::scope::CallerScope;
use ingest::store::write;
use ingest::store::Store;
use ingest::sync::incoming;
use possync_tests::{changes_in, messages_until_quiet, nats_url, Tenant, TestFanout, TestIngest};
use serde_json::{json, Value};
use shared::subject::Subjects;
use shared::sync_queue::insert::IdAllocation;
use shared::token::Role;

fn record(table: &str, id: &str, data: Value) -> Value {
    json!({"table_name": table, "record_id": id, "data": data, "local_updated_at": "2025-12-07T10:30:00Z"})
}

#[tokio::test]
async fn a_subscriber_receives_exactly_the_committed_changes_on_their_subjects() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let [b1, b2] = tenant.branches;
    let c = tenant.client_id;
    let prefix = app.config.nats.nats_subject_prefix.clone();
    let nats = async_nats::connect(nats_url()).await.unwrap();
    let mut subscriber = nats.subscribe(format!("{prefix}.>")).await.unwrap();
    nats.flush().await.unwrap();
    let cashier1 = tenant.token(&app, 0, Role::Cashier);
    let cashier2 = tenant.token(&app, 1, Role::Cashier);

    app.push(
        &cashier1,
        "till-1",
        json!([
            record("products", "p1", json!({"name": "Tea", "price": 2})),
            record("invoices", "i1", json!({"total": 2})),
            record("products", "bad", json!({"name": "", "price": 2})),
        ]),
    )
    .await;
    app.push(
        &cashier2,
        "till-2",
        json!([record("invoices", "i2", json!({"total": 5}))]),
    )
    .await;
    // A conflict and a retry commit nothing, so they publish nothing.
    app.push(
        &cashier2,
        "till-2",
        json!([record("products", "p1", json!({"name": "Old", "price": 1}))]),
    )
    .await;
    app.push(
        &cashier2,
        "till-2",
        json!([record("invoices", "i2", json!({"total": 5}))]),
    )
    .await;
    app.wait_published().await;

    let mut received = Vec::new();
    for message in messages_until_quiet(&mut subscriber).await {
        let mut changes = changes_in(&message.payload);
        assert_eq!(changes.len(), 1, "one change on each subject");
        let event = changes.remove(0);
        let msg_id = message
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.to_string());
        received.push((message.subject.to_string(), event, msg_id));
    }

    let subjects: Vec<&str> = received
        .iter()
        .map(|(subject, _, _)| subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        [
            format!("{prefix}.{c}.shared"),
            format!("{prefix}.{c}.{b1}"),
            format!("{prefix}.{c}.{b2}"),
        ]
    );
    let (_, first, _) = &received[0];
    assert_eq!(first["table_name"], "products");
    assert_eq!(first["record_id"], "p1");
    assert_eq!(first["operation"], "create");
    assert_eq!(first["data"], json!({"name": "Tea", "price": 2}));
    assert_eq!(first["sync_version"], 1);
    assert_eq!(first["source_device_id"], "till-1");
    let queue_ids: Vec<u64> = sqlx::query_scalar("SELECT id FROM sync_queue ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(queue_ids.len(), 3);
    let msg_ids: Vec<String> = received
        .iter()
        .map(|(_, _, id)| id.clone().expect("Nats-Msg-Id set"))
        .collect();
    assert_eq!(
        msg_ids,
        queue_ids.iter().map(u64::to_string).collect::<Vec<_>>()
    );
    let positions: Vec<u64> = received
        .iter()
        .map(|(_, e, _)| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[tokio::test]
async fn the_stream_stores_each_change_once_even_when_published_again() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    app.push(
        &token,
        "till-1",
        json!([record("products", "p1", json!({"name": "Tea", "price": 2}))]),
    )
    .await;
    app.wait_published().await;
    let js = app.jetstream().await;

    // The relay's situation: the same sync queue row published a second time.
    let (id, subject): (u64, String) = (
        sqlx::query_scalar("SELECT id FROM sync_queue")
            .fetch_one(&app.db.pool)
            .await
            .unwrap(),
        format!(
            "{}.{}.shared",
            app.config.nats.nats_subject_prefix, tenant.client_id
        ),
    );
    let again = shared::stream::Outgoing {
        queue_ids: vec![id],
        subject,
        payload: "[]".into(),
    };
    assert_eq!(shared::stream::publish_all(&js, &[again]).await, [id]);

    let mut stream = js.get_stream(&app.config.nats.nats_stream).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
}

#[tokio::test]
async fn a_push_succeeds_while_nats_is_down_and_its_rows_wait_for_the_relay() {
    let app =
        TestIngest::spawn_with(|config| config.nats.nats_url = "nats://127.0.0.1:9".into()).await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);

    let answer = app
        .push(
            &token,
            "till-1",
            json!([record("products", "p1", json!({"name": "Tea", "price": 2}))]),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(answer["synced_count"], 1);
    let unpublished: Vec<u64> =
        sqlx::query_scalar("SELECT id FROM sync_groups WHERE published_at IS NULL")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(unpublished.len(), 1);
    let (status, stats) = app.get_as(&token, "/api/sync/stats").await;
    assert_eq!(
        (status, stats["pending_queue_count"].clone()),
        (200, json!(1))
    );
    // Still ready: pushes commit (their events wait in the outbox), so the balancer keeps it.
    let (status, ready) = app.get_as(&token, "/readyz").await;
    assert_eq!(
        (status, ready),
        (200, json!({"mysql": true, "nats": false}))
    );
    let seen: HashSet<String> = app
        .pull_all(&token, None, 10)
        .await
        .0
        .iter()
        .map(|c| c["record_id"].to_string())
        .collect();
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn events_number_each_scope_without_holes() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let prefix = app.config.nats.nats_subject_prefix.clone();
    let nats = async_nats::connect(nats_url()).await.unwrap();
    let mut subscriber = nats.subscribe(format!("{prefix}.>")).await.unwrap();
    nats.flush().await.unwrap();
    let cashier1 = tenant.token(&app, 0, Role::Cashier);
    let cashier2 = tenant.token(&app, 1, Role::Cashier);

    app.push(
        &cashier1,
        "till-1",
        json!([
            record("invoices", "i1", json!({"total": 1})),
            record("products", "p1", json!({"name": "Tea", "price": 2})),
            record("invoices", "i2", json!({"total": 2})),
        ]),
    )
    .await;
    app.push(
        &cashier2,
        "till-2",
        json!([record("invoices", "i3", json!({"total": 3}))]),
    )
    .await;
    app.push(
        &cashier1,
        "till-1",
        json!([record("invoices", "i4", json!({"total": 4}))]),
    )
    .await;
    app.wait_published().await;

    let mut seqs: Vec<Vec<(u64, u64)>> = Vec::new();
    for message in messages_until_quiet(&mut subscriber).await {
        seqs.push(
            changes_in(&message.payload)
                .iter()
                .map(|event| {
                    (
                        event["branch_id"].as_u64().unwrap(),
                        event["scope_seq"].as_u64().unwrap(),
                    )
                })
                .collect::<Vec<_>>(),
        );
    }

    // One message per transaction and subject; a batch's changes of one scope are numbered
    // together, table by table, so each message's numbers follow the one before.
    let [b1, b2] = tenant.branches;
    assert_eq!(
        seqs,
        [
            vec![(0, 1)],
            vec![(b1, 1), (b1, 2)],
            vec![(b2, 1)],
            vec![(b1, 3)]
        ]
    );
}

/// Writes a batch over two scopes and one over a single scope with `ids`, and checks the
/// sync queue ids and scope numbers the events carry against the rows.
async fn queue_ids_match_rows(ids: IdAllocation) {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "ids").await;
    let store = Store {
        pool: app.db.pool.clone(),
        subjects: Subjects::new(&app.config.nats.nats_subject_prefix).unwrap(),
        queue_ids: ids,
    };
    let author = Author {
        scope: CallerScope {
            client_id: tenant.client_id,
            branch_id: tenant.branches[0],
            whole_client: false,
            can_administer: true,
        },
        device: Some("till-ids"),
        placed_in: None,
    };
    let mut events = Vec::new();
    let batches = [
        vec![("products", "p1"), ("invoices", "i1"), ("products", "p2")],
        vec![("invoices", "i2"), ("invoices", "i3")],
    ];
    for batch in batches {
        let edits: Vec<_> = batch
            .iter()
            .enumerate()
            .map(|(index, (table, id))| {
                let data = json!({"name": "Tea", "price": 2, "total": 2});
                incoming::parse(index, record(table, id, data), chrono::Utc::now()).unwrap()
            })
            .collect();
        let written = write::write(&store, author, &edits, Mode::Sync)
            .await
            .unwrap();
        events.extend(written.events);
    }
    let rows: Vec<(u64, u64)> =
        sqlx::query_as("SELECT id, scope_seq FROM sync_queue WHERE client_id = ? ORDER BY id")
            .bind(tenant.client_id)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let sent: Vec<(u64, u64)> = events
        .iter()
        .flat_map(|message| {
            let changes = changes_in(&message.payload);
            assert_eq!(changes.len(), message.queue_ids.len());
            assert_eq!(message.message_id(), message.queue_ids[0]);
            let seqs = changes
                .into_iter()
                .map(|c| c["scope_seq"].as_u64().unwrap());
            message
                .queue_ids
                .iter()
                .copied()
                .zip(seqs)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(sent, rows);
    // Shared: p1, p2; branch: i1, i2, i3, each numbered from 1 in its scope; the first batch's
    // rows go by scope and table (p1, p2, i1), one message each.
    let seqs: Vec<u64> = rows.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(seqs, [1, 2, 1, 2, 3]);
    let sizes: Vec<usize> = events.iter().map(|m| m.queue_ids.len()).collect();
    assert_eq!(sizes, [2, 1, 2]);
    // Each message has its group's row: its first and last sync queue ids and its size.
    let groups: Vec<(u64, u64, u16)> = sqlx::query_as(
        "SELECT id, last_id, change_count FROM sync_groups WHERE client_id = ? ORDER BY id",
    )
    .bind(tenant.client_id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let mut messages: Vec<(u64, u64, u16)> = events
        .iter()
        .map(|m| {
            (
                m.message_id(),
                m.queue_ids[m.queue_ids.len() - 1],
                m.queue_ids.len() as u16,
            )
        })
        .collect();
    messages.sort();
    assert_eq!(groups, messages);
}

#[tokio::test]
async fn queue_ids_from_last_insert_id_match_the_rows() {
    queue_ids_match_rows(IdAllocation::Consecutive).await;
}

#[tokio::test]
async fn queue_ids_read_back_from_the_first_id_match_the_rows() {
    queue_ids_match_rows(IdAllocation::ReadBack).await;
}

/// A shop with a NATS subscriber to all its subjects and a device connected to fanout,
/// both listening before anything is pushed.
struct Watched {
    app: TestIngest,
    tenant: Tenant,
    _fanout: TestFanout,
    prefix: String,
    subscriber: async_nats::Subscriber,
    token: String,
    device: possync_tests::Device,
}

impl Watched {
    async fn start() -> Watched {
        let app = TestIngest::spawn().await;
        let tenant = Tenant::seed(&app, "shop").await;
        let fanout = TestFanout::spawn(&app).await;
        let prefix = app.config.nats.nats_subject_prefix.clone();
        let nats = async_nats::connect(nats_url()).await.unwrap();
        let subscriber = nats.subscribe(format!("{prefix}.>")).await.unwrap();
        nats.flush().await.unwrap();
        let token = tenant.token(&app, 0, Role::Cashier);
        let device = fanout.connect(&token, "till-reader").await;
        Watched {
            app,
            tenant,
            _fanout: fanout,
            prefix,
            subscriber,
            token,
            device,
        }
    }
}

#[tokio::test]
async fn a_batch_is_one_message_per_subject_and_one_frame_per_change_on_the_socket() {
    let Watched {
        app,
        tenant,
        _fanout,
        prefix,
        mut subscriber,
        token,
        mut device,
    } = Watched::start().await;
    let records: Vec<Value> = (0..50)
        .map(|n| match n % 5 {
            0 => record(
                "products",
                &format!("p{n}"),
                json!({"name": "Tea", "price": n}),
            ),
            _ => record("invoices", &format!("i{n}"), json!({"total": n})),
        })
        .collect();

    app.push(&token, "till-writer", Value::Array(records)).await;
    app.wait_published().await;

    let mut messages = Vec::new();
    for message in messages_until_quiet(&mut subscriber).await {
        messages.push((
            message.subject.to_string(),
            changes_in(&message.payload).len(),
        ));
    }
    let (c, b) = (tenant.client_id, tenant.branches[0]);
    assert_eq!(
        messages,
        [
            (format!("{prefix}.{c}.shared"), 10),
            (format!("{prefix}.{c}.{b}"), 40)
        ]
    );
    let frames = device.drain_syncs(Duration::from_millis(500)).await;
    assert_eq!(frames.len(), 50, "one WebSocket message per change");
    for (scope, count) in [(0, 10), (b, 40)] {
        let seqs: Vec<u64> = frames
            .iter()
            .filter(|frame| frame["branch_id"] == scope)
            .map(|frame| frame["scope_seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (1..=count).collect::<Vec<u64>>(), "scope {scope}");
    }
    let first = frames.iter().find(|f| f["record_id"] == "i1").unwrap();
    assert_eq!(first["type"], "sync");
    assert_eq!(first["table_name"], "invoices");
    assert_eq!(first["data"], json!({"total": 1}));
}

/// A sale writes four tables of its branch: one message, with one frame per change on the
/// socket (it was four messages when the table was part of the subject).
#[tokio::test]
async fn a_sale_of_four_tables_is_one_message_on_its_room_subject() {
    let mut watched = Watched::start().await;
    let item = json!({"invoice_id": "s1", "product_id": "tea", "quantity": 2, "price": 350});
    let sale = json!([
        record("invoices", "s1", json!({"total": 700})),
        record("invoice_items", "s1-1", item),
        record(
            "product_stock",
            "tea",
            json!({"product_id": "tea", "quantity": 40})
        ),
        record(
            "cash_movements",
            "s1-cash",
            json!({"amount": 700, "type": "in"})
        ),
    ]);

    let answer = watched.app.push(&watched.token, "till-writer", sale).await;
    watched.app.wait_published().await;
    let messages = messages_until_quiet(&mut watched.subscriber).await;
    let frames = watched.device.drain_syncs(Duration::from_millis(500)).await;

    assert_eq!(answer["errors"], json!([]), "{answer}");
    let (prefix, c, b) = (
        &watched.prefix,
        watched.tenant.client_id,
        watched.tenant.branches[0],
    );
    let sorted = |mut tables: Vec<String>| {
        tables.sort();
        tables
    };
    let published: Vec<(String, Vec<String>)> = messages
        .iter()
        .map(|m| {
            let changes = changes_in(&m.payload);
            let tables = changes
                .iter()
                .map(|change| change["table_name"].to_string());
            (m.subject.to_string(), sorted(tables.collect()))
        })
        .collect();
    let sale_tables = sorted(
        [
            "invoices",
            "invoice_items",
            "product_stock",
            "cash_movements",
        ]
        .map(|t| format!("{t:?}"))
        .to_vec(),
    );
    assert_eq!(
        published,
        [(format!("{prefix}.{c}.{b}"), sale_tables.clone())]
    );
    let framed = frames.iter().map(|f| f["table_name"].to_string());
    assert_eq!(
        sorted(framed.collect()),
        sale_tables,
        "one frame per change"
    );
}

/// A publish retried after a lost acknowledgement, or re-published by the relay, reaches
/// NATS subscribers again (JetStream only keeps its stream clean): fanout relays it once.
#[tokio::test]
async fn a_group_published_twice_reaches_a_device_once() {
    let Watched {
        app,
        _fanout,
        mut subscriber,
        token,
        mut device,
        ..
    } = Watched::start().await;
    app.push(
        &token,
        "till-writer",
        json!([record("invoices", "i1", json!({"total": 1}))]),
    )
    .await;
    app.wait_published().await;
    let published = messages_until_quiet(&mut subscriber).await;
    assert_eq!(
        device.drain_syncs(Duration::from_millis(300)).await.len(),
        1
    );

    let id: u64 = sqlx::query_scalar("SELECT id FROM sync_queue")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let again = shared::stream::Outgoing {
        queue_ids: vec![id],
        subject: published[0].subject.to_string(),
        payload: published[0].payload.clone(),
    };
    let js = app.jetstream().await;
    assert_eq!(shared::stream::publish_all(&js, &[again]).await, [id]);

    assert_eq!(
        messages_until_quiet(&mut subscriber).await.len(),
        1,
        "NATS delivered it again"
    );
    assert!(device
        .drain_syncs(Duration::from_millis(300))
        .await
        .is_empty());
}

/// A stream that does not answer (as during a leader election, when JetStream answers "no
/// responders") leaves the group with ingest, which publishes it again once the stream is
/// back: no relay needed.
#[tokio::test]
async fn a_group_the_stream_did_not_take_is_published_again_by_ingest() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Cashier);
    let js = app.jetstream().await;
    app.push(
        &token,
        "till-1",
        json!([record("invoices", "i1", json!({"total": 1}))]),
    )
    .await;
    app.wait_published().await;
    js.delete_stream(&app.config.nats.nats_stream)
        .await
        .unwrap();

    app.push(
        &token,
        "till-1",
        json!([record("invoices", "i2", json!({"total": 2}))]),
    )
    .await;

    app.wait_published().await;
    let mut stream = js.get_stream(&app.config.nats.nats_stream).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1, "i2, once");
}
