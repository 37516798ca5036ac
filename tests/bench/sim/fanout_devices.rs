//! The devices of the fanout-under-load phase: their rooms (a branch each, ten branches a
//! shop), their WebSockets, and what their readers count: each delivery's latency from its
//! push's send, resync requests, disconnects and messages that are no delivery.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::realtime::{connect, Socket};
use crate::Bench;

/// Branches per shop; a room is one branch (`client_id:branch_id`).
const BRANCHES_PER_SHOP: usize = 10;
/// Devices connecting at once.
const CONNECT_WAVE: usize = 250;

/// One room: a cashier's token of its branch, the device id its pushes come from (never a
/// connected one, so every member receives every change), and how many devices are in it.
pub struct Room {
    pub token: String,
    pub pusher: String,
    pub members: u64,
}

/// Shops of ten branches (the last may have fewer) for `rooms` rooms; `devices` are dealt
/// to the rooms in turn.
pub async fn rooms(bench: &Bench, rooms: usize, devices: usize) -> Vec<Room> {
    let mut out: Vec<Room> = Vec::with_capacity(rooms);
    let mut client_id = 0;
    for r in 0..rooms {
        let (shop, branch) = (r / BRANCHES_PER_SHOP, r % BRANCHES_PER_SHOP);
        if branch == 0 {
            let name = format!("fanout-load-{shop}");
            client_id = ingest::accounts::create_client(&bench.db.pool, &name)
                .await
                .unwrap();
        }
        let (_, token) = bench.branch(client_id, &format!("branch {branch}")).await;
        out.push(Room {
            token,
            pusher: format!("fanout-load-pusher-{r}"),
            members: 0,
        });
    }
    for d in 0..devices {
        out[d % rooms].members += 1;
    }
    out
}

/// Connects `devices` devices, device `d` to room `d % rooms`, a wave at a time.
pub async fn connect_all(bench: &Bench, rooms: &[Room], devices: usize) -> Vec<Socket> {
    let mut sockets = Vec::with_capacity(devices);
    while sockets.len() < devices {
        let wave = (sockets.len()..devices.min(sockets.len() + CONNECT_WAVE))
            .map(|d| {
                let token = &rooms[d % rooms.len()].token;
                async move { connect(bench, token, &format!("fanout-load-device-{d}")).await }
            })
            .collect::<Vec<_>>();
        sockets.extend(futures::future::join_all(wave).await);
    }
    sockets
}

/// When each pending record was pushed, and in which step, by record id.
pub type Sent = Arc<RwLock<HashMap<String, (Instant, u32)>>>;

/// What the devices saw, counted by their readers.
#[derive(Default)]
pub struct Tally {
    /// Deliveries of pending records since the count was last reset.
    pub delivered: AtomicU64,
    pub resyncs: AtomicU64,
    pub disconnects: AtomicU64,
    /// `sync` messages of no pending record (a step's stragglers after it closed) and any
    /// message that is neither a delivery nor a resync.
    pub unmatched: AtomicU64,
    /// Each delivery's step and latency.
    latencies: Mutex<Vec<(u32, Duration)>>,
}

/// The fields of a server message the readers look at.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    record_id: Option<Cow<'a, str>>,
}

impl Tally {
    fn note(&self, text: &str, received: Instant, sent: &Sent) {
        let counter = match serde_json::from_str::<Frame>(text) {
            Ok(Frame {
                kind,
                record_id: Some(id),
            }) if kind == "sync" => {
                let pushed = sent.read().expect("sent lock").get(&*id).copied();
                let Some((at, step)) = pushed else {
                    self.unmatched.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                let latency = received.saturating_duration_since(at);
                self.latencies
                    .lock()
                    .expect("latencies lock")
                    .push((step, latency));
                &self.delivered
            }
            Ok(frame) if frame.kind == "resync" => &self.resyncs,
            _ => &self.unmatched,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes the latencies of `step`'s deliveries, dropping any of earlier steps.
    pub fn take_latencies(&self, step: u32) -> Vec<Duration> {
        let all = std::mem::take(&mut *self.latencies.lock().expect("latencies lock"));
        all.into_iter()
            .filter(|(of, _)| *of == step)
            .map(|(_, latency)| latency)
            .collect()
    }
}

/// Reads one device's socket until `stop`, timing each delivery on receipt; a socket the
/// server closes or that fails counts as a disconnect.
pub async fn read(mut socket: Socket, sent: Sent, tally: Arc<Tally>, stop: CancellationToken) {
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => return,
            message = socket.next() => message,
        };
        let received = Instant::now();
        match message {
            Some(Ok(Message::Text(text))) => tally.note(&text, received, &sent),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                tally.disconnects.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Some(Ok(_)) => {}
        }
    }
}
