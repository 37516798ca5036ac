//! Publishes committed changes to JetStream and marks their outbox rows published.
//!
//! Pushes hand their events to one background task per ingest and answer without waiting,
//! so NATS latency or an outage never slows or fails a push. The task coalesces what has
//! queued up, publishes it in commit order, and marks the acknowledged rows. Whatever is
//! not acknowledged (NATS down, the queue full, ingest stopped) stays unpublished in the
//! outbox for the janitor's relay.

use async_nats::connection::State;
use async_nats::jetstream;
use chrono::Utc;
use shared::config::NatsConfig;
use shared::stream::{self, Outgoing};
use sqlx::{MySql, MySqlPool, QueryBuilder};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Batches waiting for the publisher before new ones are left to the relay.
const QUEUE_BATCHES: usize = 4096;
/// Most messages published in one round.
const ROUND_MESSAGES: usize = 2000;

/// Hands events to the publisher task; cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    sender: mpsc::Sender<Vec<Outgoing>>,
}

impl Publisher {
    /// Starts the task; it ends once every `Publisher` clone is dropped and the queue is done.
    pub fn spawn(
        nats: async_nats::Client,
        pool: MySqlPool,
        config: NatsConfig,
    ) -> (Publisher, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_BATCHES);
        let task = tokio::spawn(run(receiver, nats, pool, config));
        (Publisher { sender }, task)
    }

    /// Queues the messages of a committed write; never waits.
    pub fn submit(&self, messages: Vec<Outgoing>) {
        if messages.is_empty() {
            return;
        }
        let count = changes(&messages);
        if self.sender.try_send(messages).is_err() {
            metrics::counter!("possync_publish_failures_total").increment(count);
            tracing::warn!(count, "publish queue full; the relay will publish these");
        }
    }
}

async fn run(
    mut receiver: mpsc::Receiver<Vec<Outgoing>>,
    nats: async_nats::Client,
    pool: MySqlPool,
    config: NatsConfig,
) {
    let js = jetstream::new(nats.clone());
    let mut stream_ready = false;
    while let Some(mut messages) = receiver.recv().await {
        while messages.len() < ROUND_MESSAGES {
            match receiver.try_recv() {
                Ok(more) => messages.extend(more),
                Err(_) => break,
            }
        }
        let count = changes(&messages);
        if nats.connection_state() != State::Connected {
            metrics::counter!("possync_publish_failures_total").increment(count);
            continue;
        }
        if !stream_ready {
            if let Err(err) = stream::ensure(&js, &config).await {
                tracing::warn!(error = %err, "JetStream stream not available");
                metrics::counter!("possync_publish_failures_total").increment(count);
                continue;
            }
            stream_ready = true;
        }
        let acked = stream::publish_all(&js, &messages).await;
        if (acked.len() as u64) < count {
            stream_ready = false;
            metrics::counter!("possync_publish_failures_total")
                .increment(count - acked.len() as u64);
        }
        if let Err(err) = mark_published(&pool, &acked).await {
            tracing::warn!(error = %err, "could not mark outbox rows published; the relay will re-publish them");
        }
    }
}

/// How many changes (outbox rows) `messages` carry.
fn changes(messages: &[Outgoing]) -> u64 {
    messages.iter().map(|m| m.outbox_ids.len() as u64).sum()
}

/// Sets `published_at` on the given outbox rows.
pub async fn mark_published(pool: &MySqlPool, ids: &[u64]) -> sqlx::Result<()> {
    for chunk in ids.chunks(1000) {
        let mut query = QueryBuilder::<MySql>::new("UPDATE sync_queue SET published_at = ");
        query.push_bind(Utc::now()).push(" WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        query.build().execute(pool).await?;
    }
    Ok(())
}
