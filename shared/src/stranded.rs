//! A service connected to a NATS node cut from the rest of its cluster still looks
//! connected, but what it publishes reaches no stream and what others publish never reaches
//! it. Every second each service asks JetStream for its account through its node
//! (`$JS.API.INFO`, which the meta leader answers: a node cut from the others loses it
//! within ~8 s on NATS 2.11). Unanswered for [`STRANDED_AFTER`] while the database shows
//! groups published within [`PUBLISHED_WITHIN`] (so JetStream works for others: not an
//! outage, not an election), the service reconnects to another node of its list, drawn at
//! random; drawn the same node, it does so again [`STRANDED_AFTER`] later.

use std::time::Duration;

use async_nats::connection::State;
use sqlx::MySqlPool;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long JetStream goes unanswered before the service looks at what others publish.
pub const STRANDED_AFTER: Duration = Duration::from_secs(5);
/// How recent a publication must be to prove that JetStream works for the others; shorter
/// than [`STRANDED_AFTER`], so that what was published before the loss does not count.
pub const PUBLISHED_WITHIN: Duration = Duration::from_secs(4);
/// How long JetStream has to answer through this node.
const ANSWERS_WITHIN: Duration = Duration::from_secs(2);

/// Watches `nats` every second until `stop`; a reconnect it forces shows as the client's
/// disconnected and connected events.
pub async fn watch(nats: async_nats::Client, pool: MySqlPool, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut unanswered_since: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        // Disconnected is the client's own business (it reconnects by itself).
        if nats.connection_state() != State::Connected || answers(&nats).await {
            unanswered_since = None;
            continue;
        }
        let since = *unanswered_since.get_or_insert_with(Instant::now);
        // Publications first, then the node again: JetStream that works for others but not
        // through this node after they published is a partition, not an election.
        if since.elapsed() < STRANDED_AFTER
            || !others_published(&pool).await
            || answers(&nats).await
        {
            continue;
        }
        tracing::warn!("connected to a NATS node cut from the others; reconnecting");
        metrics::counter!("possync_nats_forced_reconnects_total").increment(1);
        let _ = nats.force_reconnect().await;
        unanswered_since = None;
    }
}

/// Whether JetStream's meta leader answers through the node `nats` is connected to: a reply
/// to `$JS.API.INFO` that is not an error, read as JSON. The client's `query_account()`
/// failed against Debian's standalone NATS 2.9, and every service reconnected every 5 s
/// (`possync-sim`'s fanout step).
async fn answers(nats: &async_nats::Client) -> bool {
    let asked = tokio::time::timeout(
        ANSWERS_WITHIN,
        nats.request("$JS.API.INFO", bytes::Bytes::new()),
    );
    match asked.await {
        Ok(Ok(reply)) => serde_json::from_slice::<serde_json::Value>(&reply.payload)
            .is_ok_and(|info| info.get("error").is_none()),
        _ => false,
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
