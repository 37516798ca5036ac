//! A frame fanout cannot read ends the connection with a close frame whose code names the
//! fault (RFC 6455 §7.4.1), never with a bare TCP reset.

use std::time::Duration;

use futures::SinkExt;
use possync_tests::{Seen, Tenant, TestFanout, TestIngest};
use shared::token::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(5);

/// The close code a connected device receives after sending `message`.
async fn close_code_after(message: Message) -> Option<u16> {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let fanout = TestFanout::spawn(&app).await;
    let mut device = fanout
        .connect(&shop.token(&app, 0, Role::Cashier), "till-1")
        .await;

    device.socket.send(message).await.expect("sent");

    loop {
        match device.next(WAIT).await {
            Seen::Closed(code) => return code,
            Seen::Nothing => panic!("still open after {WAIT:?}"),
            Seen::Json(_) => continue,
        }
    }
}

#[tokio::test]
async fn a_message_over_the_inbound_limit_is_closed_with_1009() {
    let oversized = Message::text(format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(5000)));

    assert_eq!(close_code_after(oversized).await, Some(1009));
}

#[tokio::test]
async fn a_frame_of_an_unknown_type_is_closed_with_1002() {
    let reserved = Frame::message(b"{}".to_vec(), OpCode::Data(Data::Reserved(3)), true);

    assert_eq!(close_code_after(Message::Frame(reserved)).await, Some(1002));
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_is_closed_with_1007() {
    let not_utf8 = Frame::message(vec![b'"', 0xff, 0xfe, b'"'], OpCode::Data(Data::Text), true);

    assert_eq!(close_code_after(Message::Frame(not_utf8)).await, Some(1007));
}
