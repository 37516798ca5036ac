//! One sweep: relay what was never published, delete what is old and published, forget
//! old edit ids, report.

use async_nats::connection::State;
use async_nats::jetstream;
use serde::Serialize;
use shared::config::NatsConfig;
use shared::subject::Subjects;
use sqlx::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::config::SweepConfig;
use crate::{relay, retention};

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Report {
    pub relayed: u64,
    pub deleted: u64,
    /// Ids of applied edits forgotten (older than the edit retention).
    pub edits_forgotten: u64,
    /// Age of the oldest sync queue row still unpublished after the sweep, in seconds.
    pub oldest_unpublished_secs: Option<f64>,
}

/// Everything a sweep needs.
#[derive(Clone)]
pub struct Sweeper {
    pub pool: MySqlPool,
    pub nats: async_nats::Client,
    pub nats_config: NatsConfig,
    pub subjects: Subjects,
    pub config: SweepConfig,
}

impl Sweeper {
    pub async fn sweep_once(&self) -> anyhow::Result<Report> {
        let mut report = Report::default();
        if self.nats.connection_state() == State::Connected {
            let js = jetstream::new(self.nats.clone());
            shared::stream::ensure(&js, &self.nats_config).await?;
            let (grace, batch) = (self.config.grace(), self.config.janitor_batch);
            report.relayed =
                relay::relay_overdue(&self.pool, &js, &self.subjects, grace, batch).await?;
        }
        let cutoff = shared::clock::now() - self.config.retention();
        report.deleted =
            retention::delete_published_before(&self.pool, cutoff, self.config.janitor_batch)
                .await?;
        let edits_cutoff = shared::clock::now() - self.config.edit_retention();
        report.edits_forgotten =
            retention::forget_edits_before(&self.pool, edits_cutoff, self.config.janitor_batch)
                .await?;
        let oldest = shared::sync_queue::backlog::backlog(&self.pool)
            .await?
            .oldest;
        report.oldest_unpublished_secs = oldest.map(shared::sync_queue::backlog::age_seconds);
        metrics::counter!("possync_janitor_relayed_total").increment(report.relayed);
        metrics::counter!("possync_janitor_deleted_total").increment(report.deleted);
        metrics::gauge!("possync_sync_queue_oldest_unpublished_seconds")
            .set(report.oldest_unpublished_secs.unwrap_or(0.0));
        Ok(report)
    }

    /// Sweeps every interval until `stop` is cancelled; a failed sweep is logged and retried.
    pub async fn run(self, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(self.config.interval());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            match self.sweep_once().await {
                Ok(report) if report.relayed > 0 || report.deleted > 0 => {
                    tracing::info!(?report, "sweep")
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "sweep failed; retrying next interval"),
            }
        }
    }
}
