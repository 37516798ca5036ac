//! A service connected to a NATS node cut from the rest of its cluster still looks
//! connected, but what it publishes reaches no stream and what others publish never reaches
//! it. Every second each service writes a probe message into a small stream of its own
//! (`<stream>_PROBE`, in memory, replicated like the event stream) through its node: a
//! write needs a quorum of the stream's nodes now, where a node cut from the others kept
//! answering `$JS.API.INFO` for ~15 s while it believed itself the meta leader (and median
//! devices went 21 s without events). Unanswered for [`STRANDED_AFTER`] while JetStream works
//! for others (not an outage): the database shows groups published within
//! [`PUBLISHED_WITHIN`], or another node of the service's list stores a probe (when every
//! publisher is on the cut node, nobody publishes: all devices went 30 s without events), the
//! service reconnects to another node of its list, drawn at random; drawn the same node, it
//! does so again [`STRANDED_AFTER`] later.

use std::str::FromStr;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::{self, stream};
use async_nats::ServerAddr;
use sqlx::MySqlPool;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::NatsConfig;

/// How long JetStream goes unanswered before the service looks at what others publish.
pub const STRANDED_AFTER: Duration = Duration::from_secs(5);
/// How recent a publication must be to prove that JetStream works for the others; shorter
/// than [`STRANDED_AFTER`], so that what was published before the loss does not count.
pub const PUBLISHED_WITHIN: Duration = Duration::from_secs(4);
/// How long JetStream has to answer through this node.
const ANSWERS_WITHIN: Duration = Duration::from_secs(2);

/// The probe stream of an event stream, and where its messages go.
#[derive(Clone, Debug)]
pub struct Probe {
    stream: String,
    subject: String,
    replicas: usize,
    /// The service's NATS servers (`NATS_URL`), asked for a second opinion.
    servers: Vec<ServerAddr>,
    /// Whether the stream was seen (made or found) since the last publish nobody stored.
    ensured: bool,
}

impl Probe {
    /// The probe of `config`'s event stream (stream names hold no dots, so its subject is
    /// its own, even beside other deployments on one NATS).
    pub fn of(config: &NatsConfig) -> Probe {
        Probe {
            stream: format!("{}_PROBE", config.nats_stream),
            subject: format!("_possync_probe.{}", config.nats_stream),
            replicas: config.nats_stream_replicas,
            servers: config
                .servers()
                .into_iter()
                .filter_map(|server| ServerAddr::from_str(server).ok())
                .collect(),
            ensured: false,
        }
    }

    /// The probe stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Creates the probe stream if it is missing: the last message only, in memory.
    async fn ensure(&self, js: &jetstream::Context) -> bool {
        js.get_or_create_stream(stream::Config {
            name: self.stream.clone(),
            subjects: vec![self.subject.clone()],
            storage: stream::StorageType::Memory,
            max_messages: 1,
            num_replicas: self.replicas,
            ..Default::default()
        })
        .await
        .is_ok()
    }

    /// Whether a probe message is stored through the node `js` is connected to. The stream
    /// is created when it has not been seen yet, or again after a publish found nobody to
    /// store it (the stream deleted; or a cut node, where creating it fails as well).
    async fn answers(&mut self, js: &jetstream::Context) -> bool {
        let stored = async {
            if !self.ensured {
                self.ensured = self.ensure(js).await;
            }
            let stored = self.store(js).await;
            self.ensured &= stored;
            stored
        };
        tokio::time::timeout(ANSWERS_WITHIN, stored)
            .await
            .unwrap_or(false)
    }

    /// Whether a probe message published through `js` is stored (acknowledged).
    async fn store(&self, js: &jetstream::Context) -> bool {
        match js.publish(self.subject.clone(), bytes::Bytes::new()).await {
            Ok(ack) => ack.await.is_ok(),
            Err(_) => false,
        }
    }

    /// Whether another server of the list than the one `nats` is connected to stores a
    /// probe, through a connection of its own made for the question.
    async fn stored_elsewhere(&self, nats: &async_nats::Client) -> bool {
        let current = nats.server_info();
        for server in &self.servers {
            if server.host() == current.host && server.port() == current.port {
                continue;
            }
            let stored = async {
                let other = async_nats::ConnectOptions::new()
                    .connection_timeout(ANSWERS_WITHIN)
                    .connect(server.clone())
                    .await;
                match other {
                    Ok(other) => self.store(&jetstream::new(other)).await,
                    Err(_) => false,
                }
            };
            if let Ok(true) = tokio::time::timeout(ANSWERS_WITHIN * 2, stored).await {
                return true;
            }
        }
        false
    }
}

/// Watches `nats` every second with `probe` until `stop`; a reconnect it forces shows as the
/// client's disconnected and connected events.
pub async fn watch(
    nats: async_nats::Client,
    mut probe: Probe,
    pool: MySqlPool,
    stop: CancellationToken,
) {
    let js = jetstream::new(nats.clone());
    // Registered now, so that it is scraped at 0 before its first increment.
    let forced = metrics::counter!("possync_nats_forced_reconnects_total");
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut unanswered_since: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        // Disconnected is the client's own business (it reconnects by itself).
        if nats.connection_state() != State::Connected || probe.answers(&js).await {
            unanswered_since = None;
            continue;
        }
        let since = *unanswered_since.get_or_insert_with(Instant::now);
        // Others first, then the node again: JetStream that works for others but not
        // through this node after they published is a partition, not an election.
        if since.elapsed() < STRANDED_AFTER
            || !(others_published(&pool).await || probe.stored_elsewhere(&nats).await)
            || probe.answers(&js).await
        {
            continue;
        }
        tracing::warn!("connected to a NATS node cut from the others; reconnecting");
        forced.increment(1);
        let _ = nats.force_reconnect().await;
        unanswered_since = None;
    }
}

/// Whether a group was marked published within [`PUBLISHED_WITHIN`] (by the database's
/// clock, which stamps them); false when MySQL does not answer.
pub async fn others_published(pool: &MySqlPool) -> bool {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS(SELECT 1 FROM sync_groups \
         WHERE published_at > UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)",
    )
    .bind(PUBLISHED_WITHIN.as_micros() as u64)
    .fetch_one(pool)
    .await
    .unwrap_or(false)
}
