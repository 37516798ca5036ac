//! A TCP link a test can cut: a forwarder in front of a server (MySQL) that, once cut,
//! closes every connection it carries and drops new ones at once, until it is mended; or,
//! once it refuses, also stops listening, so that connecting is refused as with a killed
//! server.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub struct CutLink {
    /// Where to connect instead of the server.
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
    listening: CancellationToken,
}

impl CutLink {
    /// A link to `server` (`host:port`), up.
    pub async fn to(server: &str) -> CutLink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let (up, watching) = watch::channel(true);
        let listening = CancellationToken::new();
        let server = server.to_owned();
        let stopped = listening.clone();
        tokio::spawn(async move {
            // Until refused: then the listener is dropped with this task.
            while let Some(Ok((inbound, _))) = stopped.run_until_cancelled(listener.accept()).await
            {
                if !*watching.borrow() {
                    continue; // dropped: the connection is closed at once
                }
                tokio::spawn(carry(inbound, server.clone(), watching.clone()));
            }
        });
        CutLink {
            addr,
            up,
            listening,
        }
    }

    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// Cuts the link for good: carried connections close, and connecting is refused.
    pub fn refuse(&self) {
        self.cut();
        self.listening.cancel();
    }

    pub fn mend(&self) {
        self.up.send_replace(true);
    }
}

async fn carry(mut inbound: TcpStream, server: String, mut up: watch::Receiver<bool>) {
    let Ok(mut outbound) = TcpStream::connect(&server).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}
