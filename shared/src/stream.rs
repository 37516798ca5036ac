//! The JetStream stream that stores change events, and how they are published into it.
//!
//! Every event carries its outbox row id as `Nats-Msg-Id`; within the duplicate window the
//! stream stores a re-published event once, so the janitor's relay may safely publish a row
//! that ingest published just before crashing.

use std::time::Duration;

use async_nats::jetstream::{self, context::Publish, stream};

use crate::config::NatsConfig;
use crate::subject::Subjects;

/// How long the stream remembers message ids for de-duplication.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long the stream keeps events (devices catch up by pulling, not from the stream).
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Creates the stream if it is missing; harmless when it exists.
pub async fn ensure(js: &jetstream::Context, config: &NatsConfig) -> anyhow::Result<()> {
    let subjects = Subjects::new(&config.nats_subject_prefix)?;
    js.get_or_create_stream(stream::Config {
        name: config.nats_stream.clone(),
        subjects: vec![subjects.all()],
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: MAX_AGE,
        ..Default::default()
    })
    .await
    .map_err(|err| {
        anyhow::anyhow!(
            "cannot create JetStream stream {}: {err}",
            config.nats_stream
        )
    })?;
    Ok(())
}

/// One event ready to publish: its subject, JSON payload and outbox row id.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub outbox_id: u64,
    pub subject: String,
    pub payload: bytes::Bytes,
}

impl Outgoing {
    /// The JSON of `event`, to publish on `subject` with `outbox_id` as its message id.
    pub fn event(
        outbox_id: u64,
        subject: String,
        event: &crate::wire::socket::ChangeEvent,
    ) -> Outgoing {
        let payload = serde_json::to_vec(event).expect("events serialise").into();
        Outgoing {
            outbox_id,
            subject,
            payload,
        }
    }
}

/// Publishes `events` in order and waits for the stream's acknowledgements; returns the
/// outbox ids the stream acknowledged (stored now or already stored before).
pub async fn publish_all(js: &jetstream::Context, events: &[Outgoing]) -> Vec<u64> {
    let mut pending = Vec::with_capacity(events.len());
    for event in events {
        let message = Publish::build()
            .payload(event.payload.clone())
            .message_id(event.outbox_id.to_string());
        match js.send_publish(event.subject.clone(), message).await {
            Ok(ack) => pending.push((event.outbox_id, ack)),
            Err(err) => {
                tracing::warn!(error = %err, "publish failed; the relay will retry");
                break;
            }
        }
    }
    let mut acked = Vec::with_capacity(pending.len());
    for (outbox_id, ack) in pending {
        match ack.await {
            Ok(_) => acked.push(outbox_id),
            Err(err) => tracing::warn!(error = %err, outbox_id, "publish not acknowledged"),
        }
    }
    acked
}
