//! Publishes committed changes to JetStream and marks their outbox rows published.
//!
//! Pushes hand their events to one background task per ingest and answer without waiting,
//! so NATS latency or an outage never slows or fails a push. The task coalesces what has
//! queued up, publishes it in commit order, and marks the acknowledged rows. A message the
//! stream did not acknowledge while NATS is connected (a stream leader election answers "no
//! responders" for seconds) is published again with growing waits, for up to ~14 s. Whatever
//! is still not acknowledged (NATS down, the queue full, ingest stopping, the tries used up)
//! stays unpublished in the outbox for the janitor's relay.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream;
use chrono::Utc;
use shared::config::NatsConfig;
use shared::stream::{self, Outgoing};
use sqlx::{MySql, MySqlPool, QueryBuilder};
use tokio::sync::mpsc::{self, error::TryRecvError};
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

/// Tries of a message the stream did not acknowledge before it is left to the relay.
const TRIES: u32 = 10;
/// The wait before a second try; it doubles up to [`LONGEST_WAIT`] (0.25 + 0.5 + 1 + 2 × 6 s).
const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(2);
/// How long a retry waits for the stream to be confirmed (or created) before it tries later.
const ENSURE_WAIT: Duration = Duration::from_secs(1);

/// A message and how often it was tried.
type Tried = (Outgoing, u32);

async fn run(
    mut receiver: mpsc::Receiver<Vec<Outgoing>>,
    nats: async_nats::Client,
    pool: MySqlPool,
    config: NatsConfig,
) {
    let js = jetstream::new(nats.clone());
    let mut stream_ready = false;
    let mut again: Vec<Tried> = Vec::new();
    loop {
        let mut round = std::mem::take(&mut again);
        match round.iter().map(|(_, tries)| *tries).max() {
            Some(tries) => tokio::time::sleep(wait_before(tries)).await,
            None => match receiver.recv().await {
                Some(messages) => round.extend(messages.into_iter().map(|m| (m, 0))),
                None => break,
            },
        }
        let mut closing = false;
        while round.len() < ROUND_MESSAGES {
            match receiver.try_recv() {
                Ok(more) => round.extend(more.into_iter().map(|m| (m, 0))),
                Err(err) => {
                    closing = err == TryRecvError::Disconnected;
                    break;
                }
            }
        }
        if nats.connection_state() != State::Connected {
            give_up(&round);
            continue;
        }
        if !stream_ready {
            // Short: during a leader election the request hangs for JetStream's 5 s timeout.
            let ensured = tokio::time::timeout(ENSURE_WAIT, stream::ensure(&js, &config)).await;
            if let Err(err) = ensured.unwrap_or_else(|_| Err(anyhow::anyhow!("no answer"))) {
                tracing::warn!(error = %err, "JetStream stream not available");
                again = retry(round, closing);
                continue;
            }
            stream_ready = true;
        }
        let messages: Vec<Outgoing> = round.iter().map(|(m, _)| m.clone()).collect();
        let acked = stream::publish_all(&js, &messages).await;
        let stored: HashSet<u64> = acked.iter().copied().collect();
        round.retain(|(message, _)| !stored.contains(&message.message_id()));
        if !round.is_empty() {
            stream_ready = false;
            again = retry(round, closing);
        }
        if let Err(err) = mark_published(&pool, &acked).await {
            tracing::warn!(error = %err, "could not mark outbox rows published; the relay will re-publish them");
        }
    }
}

/// The wait before a message's next try after `tries` tries.
fn wait_before(tries: u32) -> Duration {
    FIRST_WAIT
        .saturating_mul(1 << tries.saturating_sub(1).min(8))
        .min(LONGEST_WAIT)
}

/// The messages to try again (all but those out of tries, and none when ingest stops).
fn retry(round: Vec<Tried>, closing: bool) -> Vec<Tried> {
    let (again, spent): (Vec<Tried>, Vec<Tried>) = round
        .into_iter()
        .map(|(message, tries)| (message, tries + 1))
        .partition(|(_, tries)| !closing && *tries < TRIES);
    give_up(&spent);
    again
}

/// Leaves messages to the relay, counting their changes as failed publishes.
fn give_up(round: &[Tried]) {
    let count = changes(round.iter().map(|(message, _)| message));
    if count > 0 {
        metrics::counter!("possync_publish_failures_total").increment(count);
    }
}

/// How many changes (outbox rows) `messages` carry.
fn changes<'a>(messages: impl IntoIterator<Item = &'a Outgoing>) -> u64 {
    messages
        .into_iter()
        .map(|m| m.outbox_ids.len() as u64)
        .sum()
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
