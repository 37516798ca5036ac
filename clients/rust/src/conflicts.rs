//! Conflicts: the server side of one as a change the store applies, and settling one.

use possync_wire::sync::{Change, Conflict, Resolution, ResolveMovedOn, ResolveResponse};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::client::Client;
use crate::http::CallError;

/// What settling a conflict did.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// The record as the server now holds it.
    Settled(Change),
    /// The record changed again after the conflict was reported; nothing was written. The
    /// local copy follows the newer server version; settle the new conflict in turn.
    MovedOn(Conflict),
}

/// The server's version in a conflict, as a change: the local copy follows it until the
/// app settles the conflict otherwise (a later pull would not bring it again).
pub(crate) fn server_side(conflict: &Conflict) -> Change {
    Change {
        table_name: conflict.table_name.clone(),
        record_id: conflict.record_id.clone(),
        branch_id: None,
        data: conflict.server_data.clone(),
        server_updated_at: conflict.server_updated_at,
        is_deleted: conflict.server_is_deleted,
        sync_version: conflict.sync_version,
    }
}

impl Client {
    /// Settles a conflict: keep the server's version, or write the device's over the server
    /// version the conflict showed.
    pub async fn resolve(
        &self,
        conflict: &Conflict,
        resolution: Resolution,
    ) -> anyhow::Result<Resolved> {
        let body = json!({"table_name": conflict.table_name, "record_id": conflict.record_id,
                          "resolution": resolution, "client_data": conflict.local_data,
                          "sync_version": conflict.sync_version,
                          "device_id": self.inner.config.device_id});
        let path = "/api/sync/resolve-conflict";
        let answer: ResolveResponse = match self.authed(Method::POST, path, Some(&body)).await {
            Ok(answer) => answer,
            Err(err) => {
                let newer = moved_on(&err).ok_or(err)?;
                self.inner.store.apply(&server_side(&newer)).await?;
                return Ok(Resolved::MovedOn(newer));
            }
        };
        self.inner.store.apply(&answer.record).await?;
        Ok(Resolved::Settled(answer.record))
    }
}

fn moved_on(err: &anyhow::Error) -> Option<Conflict> {
    match err.downcast_ref::<CallError>()? {
        CallError::Refused { status, body } if *status == StatusCode::CONFLICT => {
            serde_json::from_str::<ResolveMovedOn>(body)
                .ok()
                .map(|answer| answer.conflict)
        }
        _ => None,
    }
}
