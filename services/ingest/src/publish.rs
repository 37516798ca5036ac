//! Publishes committed changes to JetStream and marks their groups published.
//!
//! Pushes hand their events to one background task per ingest and answer without waiting,
//! so NATS latency or an outage never slows or fails a push. The task coalesces what has
//! queued up, publishes it in commit order, and marks the acknowledged groups. A message the
//! stream did not acknowledge (a stream leader election answers "no responders" for seconds)
//! or that could not be sent (the client reconnecting to another node) is published again
//! with growing waits, for up to ~14 s. Whatever is still not acknowledged (NATS down, the
//! queue full, ingest stopping, the tries used up) stays unpublished in `sync_groups` for the
//! janitor's relay.

use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::jetstream;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use shared::config::NatsConfig;
use shared::stream::{self, Outgoing};
use sqlx::MySqlPool;
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

/// Tries of a message the stream did not acknowledge before it is left to the relay.
const TRIES: u32 = 10;
/// The wait before a second try; it doubles up to [`LONGEST_WAIT`] (0.25 + 0.5 + 1 + 2 × 6 s).
const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(2);
/// Messages sent whose acknowledgement is still awaited; beyond it the task waits for
/// answers before it takes more (the queue then fills and the relay takes over).
const MOST_IN_FLIGHT: usize = 20_000;
/// How long the first messages wait for the stream to be confirmed (or created).
const ENSURE_WAIT: Duration = Duration::from_secs(1);

/// A message and how often it was tried.
type Tried = (Outgoing, u32);

/// Sent messages and their answers to come: whether the stream stored each.
type InFlight = FuturesUnordered<BoxFuture<'static, (Tried, bool)>>;

async fn run(
    mut receiver: mpsc::Receiver<Vec<Outgoing>>,
    nats: async_nats::Client,
    pool: MySqlPool,
    config: NatsConfig,
) {
    let js = jetstream::new(nats.clone());
    let (mut stream_ready, mut ever_ready) = (false, false);
    let mut waiting = Waiting::default();
    let mut in_flight = InFlight::new();
    let mut receiving = true;
    let mut ensuring: Option<JoinHandle<anyhow::Result<()>>> = None;
    // New events go out at once: never behind the stream's answers to earlier ones, nor
    // behind messages that wait for their next try.
    while receiving || !in_flight.is_empty() {
        let mut round = Vec::new();
        tokio::select! {
            batch = receiver.recv(), if receiving && in_flight.len() < MOST_IN_FLIGHT => match batch {
                Some(messages) => round.extend(messages.into_iter().map(|m| (m, 0))),
                None => receiving = false,
            },
            _ = sleep_until(waiting.next_due()), if receiving => {}
            Some(answer) = in_flight.next() => {
                let failed = settle(&pool, answer, &mut in_flight).await;
                stream_ready &= failed.is_empty();
                waiting.retry(failed, !receiving);
            }
        }
        if !receiving {
            continue;
        }
        round.splice(0..0, waiting.take_due());
        while let Ok(more) = receiver.try_recv() {
            round.extend(more.into_iter().map(|m| (m, 0)));
            if round.len() >= ROUND_MESSAGES {
                break;
            }
        }
        if round.is_empty() {
            continue;
        }
        if nats.connection_state() != State::Connected {
            // The client is reconnecting (to another node of a cluster within a second).
            waiting.retry(round, false);
            continue;
        }
        // Creates the stream if it was deleted, beside the sends: while the stream elects a
        // leader this takes seconds and fails, and the messages still go out (devices
        // receive them at once; the stream stores them on a later try under the same
        // `Nats-Msg-Id`, and fanout drops the repeats).
        if ensuring.as_ref().is_some_and(JoinHandle::is_finished) {
            let ensured = ensuring.take().expect("checked").await;
            match ensured.unwrap_or_else(|err| Err(err.into())) {
                Ok(()) => (stream_ready, ever_ready) = (true, true),
                Err(err) => tracing::warn!(error = %err, "JetStream stream not available"),
            }
        }
        if !ever_ready {
            // Until the stream is first confirmed, it is waited for (up to a second): a
            // message sent before a new stream takes its subject would reach subscribers
            // now and again on its next try.
            let ensured = tokio::time::timeout(ENSURE_WAIT, stream::ensure(&js, &config)).await;
            ever_ready = matches!(ensured, Ok(Ok(())));
            stream_ready = ever_ready;
        }
        if !stream_ready && ensuring.is_none() {
            let (js, config) = (js.clone(), config.clone());
            ensuring = Some(tokio::spawn(
                async move { stream::ensure(&js, &config).await },
            ));
        }
        let mut unsent = Vec::new();
        for (message, tries) in round {
            match stream::send(&js, &message).await {
                Ok(answer) => {
                    in_flight.push(Box::pin(async move { ((message, tries), answer.await) }))
                }
                Err(_) => unsent.push((message, tries)),
            }
        }
        waiting.retry(unsent, false);
    }
    give_up(&waiting.all());
}

/// Marks what the stream stored among `first` and the answers ready with it; returns the
/// messages it did not store.
async fn settle(pool: &MySqlPool, first: (Tried, bool), in_flight: &mut InFlight) -> Vec<Tried> {
    let mut answers = vec![first];
    while let Some(Some(answer)) = in_flight.next().now_or_never() {
        answers.push(answer);
    }
    let (stored, failed): (Vec<_>, Vec<_>) = answers.into_iter().partition(|(_, stored)| *stored);
    let groups: Vec<u64> = stored
        .iter()
        .map(|((message, _), _)| message.message_id())
        .collect();
    if let Err(err) = mark_published(pool, &groups).await {
        tracing::warn!(error = %err, "could not mark groups published; the relay will re-publish them");
    }
    failed.into_iter().map(|(tried, _)| tried).collect()
}

/// Messages waiting for their next try, each with the moment it is due.
#[derive(Default)]
struct Waiting(Vec<(Outgoing, u32, Instant)>);

impl Waiting {
    fn next_due(&self) -> Option<Instant> {
        self.0.iter().map(|(_, _, due)| *due).min()
    }

    /// Takes the messages due now, oldest first.
    fn take_due(&mut self) -> Vec<Tried> {
        let now = Instant::now();
        let (due, later) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|(_, _, due)| *due <= now);
        self.0 = later;
        due.into_iter()
            .map(|(message, tries, _)| (message, tries))
            .collect()
    }

    fn all(self) -> Vec<Tried> {
        self.0
            .into_iter()
            .map(|(message, tries, _)| (message, tries))
            .collect()
    }

    /// Keeps `failed` for another try after a growing wait; those out of tries (or all,
    /// when ingest stops) are left to the relay.
    fn retry(&mut self, failed: Vec<Tried>, stopping: bool) {
        let (again, spent): (Vec<Tried>, Vec<Tried>) = failed
            .into_iter()
            .map(|(message, tries)| (message, tries + 1))
            .partition(|(_, tries)| !stopping && *tries < TRIES);
        give_up(&spent);
        let retried = changes(again.iter().map(|(message, _)| message));
        if retried > 0 {
            metrics::counter!("possync_publish_retries_total").increment(retried);
        }
        let now = Instant::now();
        self.0.extend(
            again
                .into_iter()
                .map(|(message, tries)| (message, tries, now + wait_before(tries))),
        );
    }
}

/// Sleeps until `due`, or for ever when nothing is due.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due.into()).await,
        None => std::future::pending().await,
    }
}

/// The wait before a message's next try after `tries` tries.
fn wait_before(tries: u32) -> Duration {
    FIRST_WAIT
        .saturating_mul(1 << tries.saturating_sub(1).min(8))
        .min(LONGEST_WAIT)
}

/// Leaves messages to the relay, counting their changes as failed publishes.
fn give_up(round: &[Tried]) {
    let count = changes(round.iter().map(|(message, _)| message));
    if count > 0 {
        metrics::counter!("possync_publish_failures_total").increment(count);
    }
}

/// How many changes (sync queue rows) `messages` carry.
fn changes<'a>(messages: impl IntoIterator<Item = &'a Outgoing>) -> u64 {
    messages.into_iter().map(|m| m.queue_ids.len() as u64).sum()
}

/// Sets `published_at` on the given groups (by message id).
pub async fn mark_published(pool: &MySqlPool, groups: &[u64]) -> sqlx::Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let mut conn = pool.acquire().await?;
    shared::sync_queue::publish::mark_published(&mut conn, groups).await
}
