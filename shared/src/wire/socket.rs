//! WebSocket messages between devices and fanout, and the change event carried on NATS.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a change did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// One committed change, as published on NATS and relayed to devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub table_name: String,
    pub record_id: String,
    pub operation: Operation,
    pub data: Value,
    pub is_deleted: bool,
    pub sync_version: u64,
    pub server_updated_at: DateTime<Utc>,
    pub client_id: u64,
    /// The record's branch, or 0 for tables shared by every branch of the client.
    pub branch_id: u64,
    /// Place in the client's change order; pulls resume from it.
    pub position: u64,
    /// Number of this event in its (client, branch_id) scope: 1, 2, 3, … without holes, so
    /// a device sees a missed event as a gap.
    pub scope_seq: u64,
    pub source_device_id: Option<String>,
}

/// Device → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Ping,
    Subscribe { room: String },
    Unsubscribe { room: String },
    Auth { token: String },
}

/// Server → device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Pong,
    Sync {
        room: String,
        #[serde(flatten)]
        event: ChangeEvent,
    },
    /// The device now receives the room's events.
    Subscribed {
        room: String,
    },
    Unsubscribed {
        room: String,
    },
    /// A fresh token was accepted; the connection now lasts until it expires.
    Authenticated {
        expires_at: i64,
    },
    Error {
        code: String,
        message: String,
    },
    /// Events may have been missed: pull from the stored cursor.
    Resync {
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_read_as_the_contract_writes_them() {
        let sub: ClientMessage =
            serde_json::from_str(r#"{"type":"subscribe","room":"1:2"}"#).unwrap();
        assert_eq!(sub, ClientMessage::Subscribe { room: "1:2".into() });
        let ping: ClientMessage = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(ping, ClientMessage::Ping);
        assert_eq!(
            serde_json::to_string(&ServerMessage::Pong).unwrap(),
            r#"{"type":"pong"}"#
        );
    }
}
