//! Pushes: the queue in batches of 50, refused records kept aside, conflicts applied and
//! handed to the app, a batch too large for the server halved until it fits.

use possync_wire::sync::{Conflict, PushRequest, PushResponse, MAX_PUSH_RECORDS};
use reqwest::{Method, StatusCode};

use crate::client::Client;
use crate::conflicts::server_side;
use crate::http::CallError;

/// What one push round did.
#[derive(Debug, Clone, Default)]
pub struct PushReport {
    pub synced: usize,
    pub conflicts: Vec<Conflict>,
    pub rejected: usize,
}

fn too_large(err: &anyhow::Error) -> bool {
    err.downcast_ref::<CallError>().and_then(CallError::status)
        == Some(StatusCode::PAYLOAD_TOO_LARGE)
}

impl Client {
    /// Pushes every queued edit, then pulls; then verifies the copy when
    /// [`crate::PullOptions::verify_every`] says it is time (a failed verification is
    /// logged: the sync itself succeeded).
    pub async fn sync(&self) -> anyhow::Result<PushReport> {
        let report = self.push().await?;
        self.pull().await?;
        if self.verification_due() {
            match self.verify().await {
                Ok(verified) => tracing::debug!(?verified, "verified the local copy"),
                Err(err) => tracing::warn!(error = %err, "could not verify the local copy"),
            }
        }
        Ok(report)
    }

    /// Pushes the queue in batches of 50. Refused records are kept in [`Store::rejected`],
    /// conflicts go to the handler; network trouble leaves the queue as it was. A batch too
    /// large for the server (413) is halved until it fits; a record too large on its own is
    /// refused for good, so it never blocks the queue behind it.
    pub async fn push(&self) -> anyhow::Result<PushReport> {
        let _turn = self.inner.exchange.lock().await;
        self.push_in_turn().await
    }

    /// The batches of [`Client::push`] for a caller that holds the exchange's turn.
    pub(crate) async fn push_in_turn(&self) -> anyhow::Result<PushReport> {
        let mut report = PushReport::default();
        let mut batch = MAX_PUSH_RECORDS;
        loop {
            let queued = self.inner.store.queued(batch as u32).await?;
            if queued.is_empty() {
                return Ok(report);
            }
            let body = PushRequest {
                device_id: self.inner.config.device_id.clone(),
                records: queued.iter().map(|q| q.record.clone()).collect(),
            };
            let answer: PushResponse = match self
                .authed(Method::POST, "/api/sync/batch-push", Some(&body))
                .await
            {
                Err(err) if too_large(&err) && queued.len() > 1 => {
                    batch = queued.len() / 2;
                    continue;
                }
                Err(err) if too_large(&err) => {
                    self.inner
                        .store
                        .settle(&queued, &[(0, err.to_string())], &[])
                        .await?;
                    self.refresh_pending().await?;
                    report.rejected += 1;
                    continue;
                }
                other => other?,
            };
            batch = MAX_PUSH_RECORDS;
            let refused: Vec<(usize, String)> = answer
                .errors
                .iter()
                .map(|e| (e.index, e.message.clone()))
                .collect();
            self.inner
                .store
                .settle(&queued, &refused, &answer.versions)
                .await?;
            self.refresh_pending().await?;
            let handler = self.inner.on_conflict.lock().expect("handler lock").clone();
            for conflict in &answer.conflicts {
                // The server kept its version: the local copy follows it until the app
                // resolves otherwise (a later pull would not bring it again).
                self.inner.store.apply(&server_side(conflict)).await?;
                if let Some(handler) = &handler {
                    handler(conflict);
                }
            }
            report.synced += answer.synced_count;
            report.rejected += refused.len();
            report.conflicts.extend(answer.conflicts);
        }
    }
}
