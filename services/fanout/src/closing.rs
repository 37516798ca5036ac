//! Ending a device's socket: possync's close codes, the code a frame that cannot be read
//! earns (RFC 6455 §7.4.1), and the closing handshake.

use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::Error as WsError;

/// Close codes possync uses besides the standard ones; documented in docs/websocket.md.
pub mod codes {
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
    pub const TOKEN_EXPIRED: u16 = 4001;
    pub const SLOW_CONSUMER: u16 = 4008;
}

/// The close code and reason for a frame the device sent that could not be read; `None` when
/// the connection is already gone and there is no one to tell.
pub fn for_read_error(err: &axum::Error) -> Option<(u16, &'static str)> {
    let err = std::error::Error::source(err)?.downcast_ref::<WsError>()?;
    match err {
        WsError::Capacity(_) => Some((close_code::SIZE, "message too big")),
        WsError::Utf8(_) => Some((close_code::INVALID, "text frame is not UTF-8")),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(_) => Some((close_code::PROTOCOL, "protocol error")),
        WsError::AttackAttempt => Some((close_code::POLICY, "attack attempt")),
        _ => None,
    }
}

/// Sends our close, then reads until the device's close (or a second passes), so unread
/// frames do not turn the TCP close into a reset that loses ours. Frames that cannot be read
/// are skipped: after an oversized one the next read consumes its payload.
pub async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        if socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        while let Some(read) = socket.recv().await {
            match read {
                Ok(Message::Close(_)) => break,
                Err(err) if for_read_error(&err).is_none() => break,
                _ => {}
            }
        }
    })
    .await;
}
