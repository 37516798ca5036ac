//! What the event stream's duplicate window and subject count cost NATS in memory: the
//! same messages published into a private server's stream (file storage, the 120 s window,
//! as ingest makes it) three times, without message ids, each with its own `Nats-Msg-Id`
//! (what every group carries), and spread over many subjects (rooms); the server's resident
//! memory after each, less the first, per id and per subject.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use possync_tests::process::memory_kib;
use possync_tests::TestNats;
use serde::Serialize;
use shared::stream::DUPLICATE_WINDOW;

/// Publishes in flight at once.
const IN_FLIGHT: usize = 2_000;
/// Bytes of each message (the figures are per id and per subject, not per byte).
const PAYLOAD: usize = 100;

#[derive(Debug, Serialize)]
pub struct StreamMemory {
    pub messages: u64,
    pub subjects: u64,
    pub nats_version: String,
    /// The server's resident memory after the messages, in KiB: no ids, with ids, many subjects.
    pub rss_plain_kib: u64,
    pub rss_ids_kib: u64,
    pub rss_subjects_kib: u64,
    pub bytes_per_id: f64,
    pub bytes_per_subject: f64,
}

#[derive(Clone, Copy)]
enum Shape {
    Plain,
    Ids,
    Subjects(u64),
}

pub async fn run(messages: u64, subjects: u64) -> StreamMemory {
    let (plain, nats_version) = resident_after(messages, Shape::Plain).await;
    let (ids, _) = resident_after(messages, Shape::Ids).await;
    let (many, _) = resident_after(messages, Shape::Subjects(subjects.max(1))).await;
    let per = |kib: u64, n: u64| (kib as f64 - plain as f64) * 1024.0 / n.max(1) as f64;
    StreamMemory {
        messages,
        subjects,
        nats_version,
        rss_plain_kib: plain,
        rss_ids_kib: ids,
        rss_subjects_kib: many,
        bytes_per_id: per(ids, messages),
        bytes_per_subject: per(many, subjects),
    }
}

/// A fresh server's resident memory (KiB) once `messages` of `shape` are stored, and its
/// version.
async fn resident_after(messages: u64, shape: Shape) -> (u64, String) {
    let nats = TestNats::start().await;
    let client = async_nats::connect(nats.url()).await.unwrap();
    let version = client.server_info().version;
    let js = jetstream::new(client);
    js.create_stream(stream::Config {
        name: "MEMORY".into(),
        subjects: vec!["memory.>".into()],
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: Duration::from_secs(600),
        ..Default::default()
    })
    .await
    .unwrap();
    let payload: Vec<u8> = vec![b'x'; PAYLOAD];
    let mut acks = Vec::with_capacity(IN_FLIGHT);
    for n in 0..messages {
        let subject = match shape {
            Shape::Subjects(count) => format!("memory.{}", n % count),
            _ => "memory.one".to_owned(),
        };
        let ack = if let Shape::Ids = shape {
            let mut headers = HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, n.to_string().as_str());
            js.publish_with_headers(subject, headers, payload.clone().into())
                .await
        } else {
            js.publish(subject, payload.clone().into()).await
        };
        acks.push(ack.unwrap());
        if acks.len() == IN_FLIGHT {
            for ack in acks.drain(..) {
                ack.await.unwrap();
            }
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
    let info = js
        .get_stream("MEMORY")
        .await
        .unwrap()
        .get_info()
        .await
        .unwrap();
    assert_eq!(info.state.messages, messages, "every message stored once");
    // The file store's write cache expires after a few seconds of quiet (a short run only
    // checks that the phase works).
    let quiet = if messages >= 100_000 { 12 } else { 1 };
    tokio::time::sleep(Duration::from_secs(quiet)).await;
    let pid = nats.pid().expect("the server runs");
    (memory_kib(pid, "VmRSS:"), version)
}
