//! A TCP link a test can cut: a forwarder in front of a server (MySQL) that, once cut,
//! closes every connection it carries and refuses new ones, as a stopped server would, until
//! it is mended.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct CutLink {
    /// Where to connect instead of the server.
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
}

impl CutLink {
    /// A link to `server` (`host:port`), up.
    pub async fn to(server: &str) -> CutLink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let (up, watching) = watch::channel(true);
        let server = server.to_owned();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !*watching.borrow() {
                    continue; // dropped: the connection is closed at once
                }
                tokio::spawn(carry(inbound, server.clone(), watching.clone()));
            }
        });
        CutLink { addr, up }
    }

    pub fn cut(&self) {
        self.up.send_replace(false);
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
