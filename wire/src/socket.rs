//! WebSocket messages between devices and fanout, and the change event carried on NATS.
//! They are schemas of the OpenAPI document too (no route sends them), so that clients
//! generate their types from the same source as the REST types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a change did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// One committed change, as published on NATS and relayed to devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeEvent {
    pub table_name: String,
    pub record_id: String,
    pub operation: Operation,
    /// The record's fields after the change (a delete keeps the last live data).
    #[schema(value_type = Object)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Ping,
    Subscribe { room: String },
    Unsubscribe { room: String },
    Auth { token: String },
}

/// Server → device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Pong,
    Sync {
        room: String,
        #[serde(flatten)]
        event: ChangeEvent,
    },
    /// A change the receiving device made itself, in its place in the stream but without
    /// its data (the device has it): its `scope_seq` keeps the device's count without holes.
    Own {
        room: String,
        table_name: String,
        record_id: String,
        sync_version: u64,
        branch_id: u64,
        position: u64,
        scope_seq: u64,
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

impl ServerMessage {
    /// The marker for `event` sent to the device that made it.
    pub fn own(room: &str, event: &ChangeEvent) -> ServerMessage {
        ServerMessage::Own {
            room: room.to_owned(),
            table_name: event.table_name.clone(),
            record_id: event.record_id.clone(),
            sync_version: event.sync_version,
            branch_id: event.branch_id,
            position: event.position,
            scope_seq: event.scope_seq,
        }
    }
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

    #[test]
    fn an_own_marker_carries_the_place_of_the_change_but_not_its_data() {
        let event = ChangeEvent {
            table_name: "invoices".into(),
            record_id: "i1".into(),
            operation: Operation::Create,
            data: serde_json::json!({"total": 1}),
            is_deleted: false,
            sync_version: 3,
            server_updated_at: Utc::now(),
            client_id: 1,
            branch_id: 2,
            position: 40,
            scope_seq: 7,
            source_device_id: Some("till-1".into()),
        };

        let marker = serde_json::to_string(&ServerMessage::own("1:2", &event)).unwrap();

        assert_eq!(
            marker,
            r#"{"type":"own","room":"1:2","table_name":"invoices","record_id":"i1","sync_version":3,"branch_id":2,"position":40,"scope_seq":7}"#
        );
    }
}
