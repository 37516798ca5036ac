//! One device's WebSocket: a loop over its queued events, its frames, the heartbeat, its
//! token's expiry, and the signals to close (slow, drain).

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{close_code, Message, WebSocket};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use shared::subject::{Room, RoomBranch};
use shared::token::{Principal, Role, TokenKeys};
use shared::wire::socket::{ClientMessage, ServerMessage};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::closing::{self, codes};
use crate::config::SocketConfig;
use crate::hub::{frame, Hub, Member};

/// Everything a connection needs, decided at upgrade time.
pub struct Session {
    pub hub: Arc<Hub>,
    pub keys: TokenKeys,
    pub config: Arc<SocketConfig>,
    pub principal: Principal,
    pub expires_at: i64,
    pub device_id: Arc<str>,
    pub conn: u64,
}

enum Flow {
    Continue,
    Close(u16, &'static str),
    /// The device's side is gone: no one to send a close to.
    Gone,
}

pub async fn run(mut socket: WebSocket, mut session: Session) {
    let (queue, mut queued) = mpsc::channel(session.config.ws_queue_messages.max(1));
    let member = Member {
        conn: session.conn,
        device_id: session.device_id.clone(),
        queue,
        slow: CancellationToken::new(),
        close: CancellationToken::new(),
    };
    session.hub.register(member.clone());
    let mut rooms = HashSet::new();
    let home = Room {
        client_id: session.principal.client_id,
        branch: RoomBranch::One(session.principal.branch_id),
    };
    let outcome = match session.hub.join(home, member.clone()).await {
        Ok(()) => {
            rooms.insert(home);
            serve(&mut socket, &mut session, &member, &mut queued, &mut rooms).await
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot subscribe a room");
            Flow::Close(close_code::ERROR, "cannot subscribe; retry")
        }
    };
    if let Flow::Close(code, reason) = outcome {
        closing::close(&mut socket, code, reason).await;
    }
    for room in rooms {
        session.hub.leave(room, session.conn).await;
    }
    session.hub.unregister(session.conn);
}

async fn serve(
    socket: &mut WebSocket,
    session: &mut Session,
    member: &Member,
    queued: &mut mpsc::Receiver<Message>,
    rooms: &mut HashSet<Room>,
) -> Flow {
    let config = session.config.clone();
    let rate = config.ws_messages_per_second.max(1);
    let quota = Quota::per_second(NonZeroU32::new(rate).expect("at least 1"))
        .allow_burst(NonZeroU32::new(rate.saturating_mul(2)).expect("at least 2"));
    let limiter: DefaultDirectRateLimiter = RateLimiter::direct(quota);
    let mut next_ping = Instant::now() + config.ping_interval();
    let mut pong_deadline: Option<Instant> = None;
    loop {
        let expiry = expiry_instant(session.expires_at);
        let flow = tokio::select! {
            biased;
            _ = member.close.cancelled() => Flow::Close(close_code::AWAY, "server going away; reconnect"),
            _ = member.slow.cancelled() => Flow::Close(codes::SLOW_CONSUMER, "too slow; pull to catch up"),
            _ = sleep_until(expiry) => Flow::Close(codes::TOKEN_EXPIRED, "token expired"),
            _ = sleep_until(pong_deadline.unwrap_or(next_ping)), if pong_deadline.is_some() => {
                Flow::Close(codes::HEARTBEAT_TIMEOUT, "no pong within the timeout")
            }
            _ = sleep_until(next_ping), if pong_deadline.is_none() => {
                next_ping = Instant::now() + config.ping_interval();
                pong_deadline = Some(Instant::now() + config.pong_timeout());
                send(socket, Message::Ping(Default::default())).await
            }
            Some(message) = queued.recv() => send(socket, message).await,
            incoming = socket.recv() => match incoming {
                Some(Ok(message)) => {
                    if limiter.check().is_err() {
                        Flow::Close(close_code::POLICY, "too many messages")
                    } else {
                        if matches!(message, Message::Pong(_)) || is_text_ping(&message) {
                            pong_deadline = None;
                        }
                        handle(socket, session, member, rooms, message).await
                    }
                }
                Some(Err(err)) => unreadable(&err),
                None => Flow::Gone,
            },
        };
        if !matches!(flow, Flow::Continue) {
            return flow;
        }
    }
}

/// A frame the device sent that could not be read: closed with the code that names the fault.
fn unreadable(err: &axum::Error) -> Flow {
    tracing::debug!(error = %err, "unreadable frame from a device");
    match closing::for_read_error(err) {
        Some((code, reason)) => Flow::Close(code, reason),
        None => Flow::Gone,
    }
}

fn expiry_instant(expires_at: i64) -> Instant {
    let left = expires_at - chrono::Utc::now().timestamp();
    Instant::now() + Duration::from_secs(left.max(0) as u64)
}

fn is_text_ping(message: &Message) -> bool {
    matches!(message, Message::Text(text) if text.contains("\"ping\""))
}

async fn send(socket: &mut WebSocket, message: Message) -> Flow {
    match socket.send(message).await {
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Close(close_code::ERROR, "send failed"),
    }
}

async fn reply(socket: &mut WebSocket, message: ServerMessage) -> Flow {
    send(socket, frame(&message)).await
}

fn error(code: &str, message: impl Into<String>) -> ServerMessage {
    ServerMessage::Error {
        code: code.to_owned(),
        message: message.into(),
    }
}

async fn handle(
    socket: &mut WebSocket,
    session: &mut Session,
    member: &Member,
    rooms: &mut HashSet<Room>,
    message: Message,
) -> Flow {
    let text = match message {
        Message::Text(text) => text,
        Message::Close(_) => return Flow::Close(close_code::NORMAL, "bye"),
        Message::Binary(_) => {
            return reply(socket, error("bad_message", "send JSON text frames")).await
        }
        Message::Ping(_) | Message::Pong(_) => return Flow::Continue,
    };
    let parsed: ClientMessage = match serde_json::from_str(text.as_str()) {
        Ok(parsed) => parsed,
        Err(err) => {
            return reply(
                socket,
                error("bad_message", format!("unreadable message: {err}")),
            )
            .await
        }
    };
    match parsed {
        ClientMessage::Ping => reply(socket, ServerMessage::Pong).await,
        ClientMessage::Subscribe { room } => {
            let room = match authorize(&session.principal, &room) {
                Ok(room) => room,
                Err((code, message)) => return reply(socket, error(code, message)).await,
            };
            if rooms.insert(room) {
                if let Err(err) = session.hub.join(room, member.clone()).await {
                    rooms.remove(&room);
                    tracing::warn!(error = %err, "cannot subscribe a room");
                    return reply(socket, error("unavailable", "cannot subscribe now; retry"))
                        .await;
                }
            }
            reply(
                socket,
                ServerMessage::Subscribed {
                    room: room.to_string(),
                },
            )
            .await
        }
        ClientMessage::Unsubscribe { room } => match Room::parse(&room) {
            Ok(room) => {
                if rooms.remove(&room) {
                    session.hub.leave(room, session.conn).await;
                }
                reply(
                    socket,
                    ServerMessage::Unsubscribed {
                        room: room.to_string(),
                    },
                )
                .await
            }
            Err(err) => reply(socket, error("bad_room", err.to_string())).await,
        },
        ClientMessage::Auth { token } => match session
            .keys
            .verify(&token)
            .map(|claims| (claims.principal(), claims.exp))
        {
            Ok((Ok(principal), exp)) if principal == session.principal => {
                session.expires_at = exp;
                reply(socket, ServerMessage::Authenticated { expires_at: exp }).await
            }
            _ => {
                reply(
                    socket,
                    error("auth_failed", "token invalid, expired or of another user"),
                )
                .await
            }
        },
    }
}

/// A room the caller may join: its own branch's, or for a super admin any of its client's.
fn authorize(principal: &Principal, text: &str) -> Result<Room, (&'static str, String)> {
    let room = Room::parse(text).map_err(|err| ("bad_room", err.to_string()))?;
    let own_client = room.client_id == principal.client_id;
    let allowed = own_client
        && (principal.role == Role::SuperAdmin
            || room.branch == RoomBranch::One(principal.branch_id));
    if !allowed {
        return Err(("forbidden", format!("room {room} is outside your scope")));
    }
    Ok(room)
}
