//! Rooms, their members, and the NATS subscriptions that feed them.
//!
//! A room's subscriptions exist while it has members: the first member in subscribes to
//! the room's subjects, the last one out unsubscribes. Never in a queue group, so every
//! replica receives every event of the rooms its devices are in. A message carries the
//! changes of one transaction on one subject; each change goes out as a frame of its own,
//! serialised once per room, and the same frame is queued to every member but the device
//! that made it, which gets a small `own` marker instead, in the same place in the stream.
//! A message that arrives again under the same `Nats-Msg-Id` (a retried publish) is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::ws::Message;
use chrono::Utc;
use futures::stream::{SelectAll, StreamExt};
use shared::stream;
use shared::subject::{Room, Subjects};
use shared::wire::socket::{ChangeEvent, ServerMessage};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::recent::RecentIds;

/// One connected device, as rooms see it.
#[derive(Clone)]
pub struct Member {
    pub conn: u64,
    pub device_id: Arc<str>,
    pub queue: mpsc::Sender<Message>,
    /// Cancelled when the queue overflows: the connection closes as slow.
    pub slow: CancellationToken,
    /// Cancelled to close the connection with "going away" (drain).
    pub close: CancellationToken,
}

impl Member {
    /// Queues a frame; a full queue marks the device slow instead of waiting.
    pub fn deliver(&self, frame: Message) -> bool {
        match self.queue.try_send(frame) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                if !self.slow.is_cancelled() {
                    metrics::counter!("possync_ws_slow_disconnects_total").increment(1);
                    self.slow.cancel();
                }
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

type Members = Arc<RwLock<Vec<Member>>>;

struct RoomState {
    members: Members,
    relay: JoinHandle<()>,
}

/// Every room and connection of this replica.
pub struct Hub {
    nats: async_nats::Client,
    subjects: Subjects,
    rooms: tokio::sync::Mutex<HashMap<Room, RoomState>>,
    connections: Mutex<HashMap<u64, Member>>,
}

impl Hub {
    pub fn new(nats: async_nats::Client, subjects: Subjects) -> Arc<Hub> {
        Arc::new(Hub {
            nats,
            subjects,
            rooms: Default::default(),
            connections: Default::default(),
        })
    }

    pub fn register(&self, member: Member) {
        let mut connections = self.connections.lock().expect("connections lock");
        connections.insert(member.conn, member);
        metrics::gauge!("possync_ws_connections").set(connections.len() as f64);
    }

    pub fn unregister(&self, conn: u64) {
        let mut connections = self.connections.lock().expect("connections lock");
        connections.remove(&conn);
        metrics::gauge!("possync_ws_connections").set(connections.len() as f64);
    }

    /// A snapshot of every connection of this replica.
    fn members(&self) -> Vec<Member> {
        self.connections
            .lock()
            .expect("connections lock")
            .values()
            .cloned()
            .collect()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.lock().expect("connections lock").len()
    }

    /// Adds `member` to `room`, subscribing to the room's subjects if it is the first; the
    /// subscription is known to the server when this returns.
    pub async fn join(&self, room: Room, member: Member) -> Result<(), async_nats::Error> {
        let mut rooms = self.rooms.lock().await;
        if let Some(state) = rooms.get(&room) {
            state.members.write().expect("members lock").push(member);
            return Ok(());
        }
        let mut events = SelectAll::new();
        for subject in self.subjects.for_room(room) {
            events.push(self.nats.subscribe(subject).await?);
        }
        let members: Members = Arc::new(RwLock::new(vec![member]));
        let relay = tokio::spawn(relay(room, events, members.clone()));
        rooms.insert(room, RoomState { members, relay });
        metrics::gauge!("possync_ws_rooms").set(rooms.len() as f64);
        drop(rooms);
        self.nats.flush().await?;
        Ok(())
    }

    /// Removes connection `conn` from `room`; the last one out ends the room's subscriptions.
    pub async fn leave(&self, room: Room, conn: u64) {
        let mut rooms = self.rooms.lock().await;
        let Some(state) = rooms.get(&room) else {
            return;
        };
        let empty = {
            let mut members = state.members.write().expect("members lock");
            members.retain(|member| member.conn != conn);
            members.is_empty()
        };
        if empty {
            if let Some(state) = rooms.remove(&room) {
                // Dropping the subscribers with the task unsubscribes them.
                state.relay.abort();
            }
            metrics::gauge!("possync_ws_rooms").set(rooms.len() as f64);
        }
    }

    /// Tells every connected device to pull: events may have been missed.
    pub fn resync_all(&self, reason: &str) {
        let frame = frame(&ServerMessage::Resync {
            reason: reason.to_owned(),
        });
        let members = self.members();
        tracing::warn!(devices = members.len(), reason, "asking devices to resync");
        metrics::counter!("possync_ws_resyncs_total").increment(members.len() as u64);
        for member in members {
            member.deliver(frame.clone());
        }
    }

    /// Closes every connection with "going away", `batch` at a time with `pause` between.
    pub async fn drain(&self, batch: usize, pause: std::time::Duration) {
        let members = self.members();
        for chunk in members.chunks(batch.max(1)) {
            for member in chunk {
                member.close.cancel();
            }
            tokio::time::sleep(pause).await;
        }
    }
}

/// A server message as a text frame.
pub fn frame(message: &ServerMessage) -> Message {
    Message::Text(
        serde_json::to_string(message)
            .expect("server messages serialise")
            .into(),
    )
}

async fn relay(room: Room, mut events: SelectAll<async_nats::Subscriber>, members: Members) {
    let room_name = room.to_string();
    let mut recent = RecentIds::default();
    while let Some(message) = events.next().await {
        metrics::counter!("possync_ws_messages_in_total").increment(1);
        if !recent.first_time(&message) {
            metrics::counter!("possync_ws_duplicate_messages_total").increment(1);
            continue;
        }
        let changes = match stream::changes_of(&message.payload) {
            Ok(changes) => changes,
            Err(err) => {
                tracing::warn!(error = %err, subject = %message.subject, "unreadable change message");
                continue;
            }
        };
        for event in changes {
            metrics::counter!("possync_ws_events_in_total").increment(1);
            let lag = (Utc::now() - event.server_updated_at)
                .num_microseconds()
                .unwrap_or(0) as f64
                / 1e6;
            metrics::histogram!("possync_ws_event_lag_seconds").record(lag.max(0.0));
            let sent = relay_event(&room_name, event, &members);
            metrics::counter!("possync_ws_events_out_total").increment(sent);
        }
    }
}

/// Queues `event` to the room's members: the full change to each, but only an `own`
/// marker to the device that made it (serialised only when that device is a member).
/// Returns how many frames were queued.
fn relay_event(room: &str, event: ChangeEvent, members: &Members) -> u64 {
    let source = event.source_device_id.clone();
    let is_source = |member: &Member| source.as_deref() == Some(&*member.device_id);
    let members = members.read().expect("members lock");
    let own = members
        .iter()
        .any(is_source)
        .then(|| frame(&ServerMessage::own(room, &event)));
    let sync = frame(&ServerMessage::Sync {
        room: room.to_owned(),
        event,
    });
    let mut sent = 0u64;
    for member in members.iter() {
        let frame = match &own {
            Some(own) if is_source(member) => own.clone(),
            _ => sync.clone(),
        };
        sent += u64::from(member.deliver(frame));
    }
    sent
}
