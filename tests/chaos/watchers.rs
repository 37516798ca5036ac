//! Light devices that only hold a WebSocket through the balancer, reconnecting as the
//! client crate's devices do (`Retry::reconnect`: full jitter, the ceiling doubling from 1 s
//! to 10 s): they tell when each connection ended and came back, and when each event
//! arrived, and count events that came twice (on one connection, or again on a later one),
//! came after a later number of their scope
//! (published by another ingest replica, or by the relay), or never came on a connection
//! that saw numbers around them. A real device pulls for those after a `resync` or a
//! reconnect; events missing since a connection's last `resync` on a connection that lasted
//! to the end of the run came only by the pull a later number's jump asks for
//! ([`Watched::unexplained`]); the last number it got of each scope since that `resync`
//! ([`Watched::last_numbers`]) tells whether it would have pulled everything.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use possync_client::Retry;
use serde::Deserialize;
use sqlx::MySqlPool;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::check::Verdict;
use crate::session::Session;
use crate::timeline::Timeline;

/// What one watcher saw, in seconds of the run's timeline.
#[derive(Debug, Default)]
pub struct Watched {
    pub connected: Vec<f64>,
    pub dropped: Vec<f64>,
    /// Why each connection ended: the close code fanout sent, or 0 when it was lost.
    pub close_codes: Vec<u16>,
    /// Attempts that got no connection: when, and the HTTP status answered (0: none).
    pub refused: Vec<(f64, u16)>,
    pub arrivals: Vec<f64>,
    /// When events arrived whose (scope, number) this connection had already received.
    pub duplicates: Vec<f64>,
    /// When events arrived that an earlier connection of this device had received (another
    /// fanout replica got the message later, or again; devices apply by version).
    pub repeated: Vec<f64>,
    /// Events that arrived after a higher number of their scope, on one connection.
    pub late: u64,
    /// Per connection: when it ended, and the numbers of its scopes missing between the
    /// lowest and highest it received.
    pub missed: Vec<(f64, u64)>,
    /// Numbers missing since the last `resync` of the connection that lasted to the end:
    /// a device pulls them when the next number comes (0 when realtime delivery held).
    pub unexplained: u64,
    /// The highest number of each scope (`branch_id`, 0 for shared tables) received since
    /// the last `resync` of the connection that lasted to the end.
    pub last_numbers: HashMap<u64, u64>,
}

/// The numbers a connection received per scope since its last `resync`: the first, and
/// every one from it on (those below it were settled by the pull the `resync` asks for).
#[derive(Default)]
struct SinceResync(HashMap<u64, (u64, HashSet<u64>)>);

impl SinceResync {
    fn receive(&mut self, scope: u64, seq: u64) {
        let (first, seen) = self.0.entry(scope).or_insert((seq, HashSet::new()));
        if seq >= *first {
            seen.insert(seq);
        }
    }

    /// The highest number of each scope.
    fn highest(&self) -> HashMap<u64, u64> {
        self.0
            .iter()
            .map(|(scope, (first, seen))| (*scope, seen.iter().max().copied().unwrap_or(*first)))
            .collect()
    }

    /// Numbers missing between each scope's first and highest.
    fn missing(&self) -> u64 {
        self.0
            .values()
            .map(|(first, seen)| {
                let highest = seen.iter().max().copied().unwrap_or(*first);
                (highest - first + 1).saturating_sub(seen.len() as u64)
            })
            .sum()
    }
}

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    branch_id: u64,
    #[serde(default)]
    scope_seq: u64,
}

/// Runs one watcher until `stop`.
pub async fn watch(
    ws_url: String,
    device_id: String,
    session: Arc<Session>,
    timeline: Timeline,
    stop: CancellationToken,
) -> Watched {
    let mut watched = Watched::default();
    let mut before: HashSet<(u64, u64)> = HashSet::new();
    let retry = Retry::reconnect();
    let mut attempt = 0;
    while !stop.is_cancelled() {
        let url = format!(
            "{ws_url}/ws?token={}&device_id={device_id}",
            session.token()
        );
        let connected = tokio_tungstenite::connect_async(url).await;
        if let Err(err) = &connected {
            let status = match err {
                tokio_tungstenite::tungstenite::Error::Http(answer) => answer.status().as_u16(),
                _ => 0,
            };
            watched.refused.push((timeline.now(), status));
        }
        if let Ok((mut socket, _)) = connected {
            attempt = 0;
            watched.connected.push(timeline.now());
            let mut received: HashMap<u64, (u64, u64, u64)> = HashMap::new();
            let mut seen: HashSet<(u64, u64)> = HashSet::new();
            let mut close_code = 0;
            let mut since_resync = SinceResync::default();
            loop {
                let frame = tokio::select! {
                    _ = stop.cancelled() => break,
                    frame = socket.next() => frame,
                };
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(close))) => {
                        close_code = close.map_or(0, |c| u16::from(c.code));
                        break;
                    }
                    Some(Ok(_)) => continue,
                    _ => break,
                };
                let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                    continue;
                };
                if frame.kind == "resync" {
                    since_resync = SinceResync::default();
                }
                if frame.kind != "sync" {
                    continue;
                }
                since_resync.receive(frame.branch_id, frame.scope_seq);
                watched.arrivals.push(timeline.now());
                let key = (frame.branch_id, frame.scope_seq);
                if !seen.insert(key) {
                    watched.duplicates.push(timeline.now());
                } else if before.contains(&key) {
                    watched.repeated.push(timeline.now());
                }
                let seq = frame.scope_seq;
                let (low, high, count) = received.entry(frame.branch_id).or_insert((seq, seq, 0));
                watched.late += u64::from(seq < *high);
                (*low, *high, *count) = ((*low).min(seq), (*high).max(seq), *count + 1);
            }
            let missed = received
                .values()
                .map(|(low, high, count)| (high - low + 1).saturating_sub(*count))
                .sum::<u64>();
            watched.missed.push((timeline.now(), missed));
            before.extend(seen);
            if stop.is_cancelled() {
                watched.unexplained += since_resync.missing();
                watched.last_numbers = since_resync.highest();
                break;
            }
            watched.dropped.push(timeline.now());
            watched.close_codes.push(close_code);
        }
        attempt += 1;
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(retry.delay(attempt.min(10))) => {}
        }
    }
    watched
}

/// Realtime delivery, judged on the watchers connected at the end: holes since their last
/// `resync` are printed (a device pulls at the next number's jump); the last event of each
/// scope they heard of must have reached them, or a device would stay behind until the next.
pub async fn check_realtime(
    pool: &MySqlPool,
    client_id: u64,
    watched: &[Watched],
    verdict: &mut Verdict,
) -> anyhow::Result<()> {
    let unexplained: Vec<u64> = watched
        .iter()
        .map(|w| w.unexplained)
        .filter(|n| *n > 0)
        .collect();
    eprintln!(
        "watchers connected at the end that missed events since their last resync (pulled at the next number): {} of {} {:?}",
        unexplained.len(),
        watched.len(),
        &unexplained[..unexplained.len().min(10)]
    );
    let last_numbers: HashMap<u64, u64> =
        sqlx::query_as("SELECT branch_scope, last_seq FROM scope_counters WHERE client_id = ?")
            .bind(client_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let behind: Vec<String> = watched
        .iter()
        .flat_map(|w| &w.last_numbers)
        .filter(|(scope, got)| last_numbers.get(scope).is_some_and(|last| *got < last))
        .map(|(scope, got)| format!("scope {scope}: {got} of {}", last_numbers[scope]))
        .collect();
    verdict.check(
        behind.is_empty(),
        format!(
            "watchers connected at the end got the last event of each scope they heard of since their last resync: {} scopes behind {:?}",
            behind.len(),
            &behind[..behind.len().min(5)]
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SinceResync;

    #[test]
    fn numbers_missing_since_a_resync_are_counted_and_late_older_ones_are_not() {
        let mut since = SinceResync::default();
        for (scope, seq) in [(1, 10), (1, 11), (1, 14), (2, 3), (1, 9), (1, 12)] {
            since.receive(scope, seq);
        }

        // Scope 1 from its first number, 10: 13 never came; 9 came late and is older.
        assert_eq!(since.missing(), 1);
    }
}
