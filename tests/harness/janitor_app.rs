//! The janitor's sweeper over a test ingest's database and NATS names.

use janitor::config::SweepConfig;
use janitor::sweep::Sweeper;
use shared::subject::Subjects;

use crate::TestIngest;

/// Sweep settings for tests: no grace, one-day retentions, batches of 100.
pub fn sweep_config() -> SweepConfig {
    SweepConfig {
        janitor_interval_secs: 0.2,
        janitor_retention_secs: 24 * 3600,
        janitor_edit_retention_secs: 24 * 3600,
        janitor_grace_secs: 0.0,
        janitor_batch: 100,
    }
}

/// A sweeper on `ingest`'s database and NATS names, with NATS at `nats_url`.
pub async fn sweeper(ingest: &TestIngest, nats_url: &str, config: SweepConfig) -> Sweeper {
    let nats = async_nats::connect(nats_url)
        .await
        .expect("test NATS reachable");
    Sweeper {
        pool: ingest.db.pool.clone(),
        nats,
        nats_config: shared::config::NatsConfig {
            nats_url: nats_url.to_owned(),
            ..ingest.config.nats.clone()
        },
        subjects: Subjects::new(&ingest.config.nats.nats_subject_prefix).unwrap(),
        config,
    }
}
