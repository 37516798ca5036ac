//! The JetStream stream that stores change events, and how they are published into it.
//!
//! A message carries the changes of one write transaction that share a subject (a JSON
//! array), with the group's first sync queue row id as `Nats-Msg-Id`; within the duplicate window
//! the stream stores a re-published group once, so the janitor's relay may safely publish a
//! group that ingest published just before crashing.

use std::time::Duration;

use async_nats::jetstream::{self, context::Publish, stream};

use crate::config::NatsConfig;
use crate::subject::Subjects;
use crate::wire::socket::ChangeEvent;

/// How long the stream remembers message ids for de-duplication (never more than it keeps
/// events).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The limits the stream runs with: `NATS_STREAM_MAX_AGE_SECS` and `NATS_STREAM_MAX_BYTES`,
/// the oldest events dropped at either (devices catch up by pulling, never from the stream).
fn limits(config: &NatsConfig) -> (Duration, i64, Duration) {
    let max_age = Duration::from_secs(config.nats_stream_max_age_secs.max(1));
    (
        max_age,
        config.nats_stream_max_bytes,
        DUPLICATE_WINDOW.min(max_age),
    )
}

/// Creates the stream if it is missing, and brings an existing one's limits to the config
/// (one made with other limits, such as the former 24 h without a byte limit, is updated
/// once; its subjects and replicas stay).
pub async fn ensure(js: &jetstream::Context, config: &NatsConfig) -> anyhow::Result<()> {
    let subjects = Subjects::new(&config.nats_subject_prefix)?;
    let (max_age, max_bytes, duplicate_window) = limits(config);
    let failed = |err: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "cannot create JetStream stream {}: {err}",
            config.nats_stream
        )
    };
    let stream = js
        .get_or_create_stream(stream::Config {
            name: config.nats_stream.clone(),
            subjects: vec![subjects.all()],
            storage: stream::StorageType::File,
            duplicate_window,
            max_age,
            max_bytes,
            discard: stream::DiscardPolicy::Old,
            num_replicas: config.nats_stream_replicas,
            ..Default::default()
        })
        .await
        .map_err(|err| failed(&err))?;
    let current = &stream.cached_info().config;
    let limited = (current.max_age, current.max_bytes, current.duplicate_window)
        == (max_age, max_bytes, duplicate_window)
        && current.discard == stream::DiscardPolicy::Old;
    if !limited {
        js.update_stream(stream::Config {
            max_age,
            max_bytes,
            duplicate_window,
            discard: stream::DiscardPolicy::Old,
            ..current.clone()
        })
        .await
        .map_err(|err| failed(&err))?;
    }
    Ok(())
}

/// Most sync queue rows one write transaction may have: a group never has more (its row
/// counts them in a `SMALLINT UNSIGNED`).
pub const MAX_TRANSACTION_ROWS: usize = 500;

/// One JetStream message ready to publish: the changes of one transaction that share a
/// subject, as a JSON array, with the sync queue ids they came from. Its `Nats-Msg-Id` is the
/// first of them, so ingest and the relay publish the same group under the same id.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub queue_ids: Vec<u64>,
    pub subject: String,
    pub payload: bytes::Bytes,
}

impl Outgoing {
    /// The message id: the group's first sync queue id.
    pub fn message_id(&self) -> u64 {
        self.queue_ids[0]
    }

    /// Groups `events` (each with its sync queue id and subject, in queue order) into one
    /// message per subject, in the order each subject first appears.
    pub fn groups(events: Vec<(u64, String, ChangeEvent)>) -> Vec<Outgoing> {
        let mut groups: Vec<(String, Vec<u64>, Vec<ChangeEvent>)> = Vec::new();
        for (queue_id, subject, event) in events {
            match groups.iter_mut().find(|(s, _, _)| *s == subject) {
                Some((_, ids, events)) => {
                    ids.push(queue_id);
                    events.push(event);
                }
                None => groups.push((subject, vec![queue_id], vec![event])),
            }
        }
        groups
            .into_iter()
            .map(|(subject, queue_ids, events)| Outgoing {
                queue_ids,
                subject,
                payload: serde_json::to_vec(&events)
                    .expect("events serialise")
                    .into(),
            })
            .collect()
    }
}

/// The changes of one stream message: a group (a JSON array) or, as published before
/// groups, a single change.
pub fn changes_of(payload: &[u8]) -> serde_json::Result<Vec<ChangeEvent>> {
    match payload.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice(payload),
        _ => serde_json::from_slice(payload).map(|event| vec![event]),
    }
}

/// Sends `message` to the stream under its `Nats-Msg-Id`; NATS subscribers receive it at
/// once. The answer resolves to whether the stream stored it (now or before).
pub async fn send(
    js: &jetstream::Context,
    message: &Outgoing,
) -> Result<impl std::future::Future<Output = bool> + Send + 'static, async_nats::Error> {
    let publish = Publish::build()
        .payload(message.payload.clone())
        .message_id(message.message_id().to_string());
    let ack = js.send_publish(message.subject.clone(), publish).await?;
    let id = message.message_id();
    Ok(async move {
        match ack.await {
            Ok(_) => true,
            Err(err) => {
                tracing::warn!(error = %err, message_id = id, "publish not acknowledged");
                false
            }
        }
    })
}

/// Publishes `messages` in order and waits for the stream's acknowledgements (all at once,
/// so a stream that does not answer costs one timeout); returns the ids of the messages (their
/// groups) the stream acknowledged (stored now or already stored before).
pub async fn publish_all(js: &jetstream::Context, messages: &[Outgoing]) -> Vec<u64> {
    let mut answers = Vec::with_capacity(messages.len());
    for message in messages {
        match send(js, message).await {
            Ok(answer) => answers.push(answer),
            Err(err) => {
                tracing::warn!(error = %err, "publish failed; the relay will retry");
                break;
            }
        }
    }
    let stored = futures::future::join_all(answers).await;
    messages
        .iter()
        .zip(stored)
        .filter(|(_, stored)| *stored)
        .map(|(message, _)| message.message_id())
        .collect()
}
