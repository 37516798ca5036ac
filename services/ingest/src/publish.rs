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
/// Most events published in one round.
const ROUND_EVENTS: usize = 2000;

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

    /// Queues committed events; never waits.
    pub fn submit(&self, events: Vec<Outgoing>) {
        if events.is_empty() {
            return;
        }
        let count = events.len();
        if self.sender.try_send(events).is_err() {
            metrics::counter!("possync_publish_failures_total").increment(count as u64);
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
    while let Some(mut events) = receiver.recv().await {
        while events.len() < ROUND_EVENTS {
            match receiver.try_recv() {
                Ok(more) => events.extend(more),
                Err(_) => break,
            }
        }
        if nats.connection_state() != State::Connected {
            metrics::counter!("possync_publish_failures_total").increment(events.len() as u64);
            continue;
        }
        if !stream_ready {
            if let Err(err) = stream::ensure(&js, &config).await {
                tracing::warn!(error = %err, "JetStream stream not available");
                metrics::counter!("possync_publish_failures_total").increment(events.len() as u64);
                continue;
            }
            stream_ready = true;
        }
        let acked = stream::publish_all(&js, &events).await;
        if acked.len() < events.len() {
            stream_ready = false;
            metrics::counter!("possync_publish_failures_total")
                .increment((events.len() - acked.len()) as u64);
        }
        if let Err(err) = mark_published(&pool, &acked).await {
            tracing::warn!(error = %err, "could not mark outbox rows published; the relay will re-publish them");
        }
    }
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
