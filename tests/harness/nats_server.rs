//! A private nats-server process (with JetStream unless asked), for tests that stop and
//! restart NATS.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A nats-server on its own port and store directory; killed when dropped.
pub struct TestNats {
    pub port: u16,
    store: PathBuf,
    /// JetStream's limit on the whole server's file store, if any (a disk that fills up).
    max_file_store: Option<u64>,
    /// Without JetStream: a node that does not reach the stream (one cut from its cluster).
    plain: bool,
    child: Option<Child>,
}

fn binary() -> String {
    std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| {
        [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .unwrap_or("nats-server")
        .to_owned()
    })
}

impl TestNats {
    pub async fn start() -> TestNats {
        Self::start_with(None).await
    }

    /// A server whose JetStream file store holds at most `bytes` over all its streams.
    pub async fn with_file_store(bytes: u64) -> TestNats {
        Self::start_with(Some(bytes)).await
    }

    /// A server without JetStream: to a client, like a node cut from the rest of its
    /// cluster, where the stream is.
    pub async fn without_jetstream() -> TestNats {
        let mut nats = Self::unstarted(None);
        nats.plain = true;
        nats.restart().await;
        nats
    }

    async fn start_with(max_file_store: Option<u64>) -> TestNats {
        let mut nats = Self::unstarted(max_file_store);
        nats.restart().await;
        nats
    }

    fn unstarted(max_file_store: Option<u64>) -> TestNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = std::env::temp_dir().join(crate::unique_name("possync-nats-"));
        TestNats {
            port,
            store,
            max_file_store,
            plain: false,
            child: None,
        }
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and store; waits until it accepts.
    pub async fn restart(&mut self) {
        self.kill();
        let mut command = Command::new(binary());
        command.args(["-a", "127.0.0.1", "-p", &self.port.to_string()]);
        match (self.plain, self.max_file_store) {
            (true, _) => {} // core NATS only
            (false, Some(bytes)) => {
                std::fs::create_dir_all(&self.store).unwrap();
                let config = self.store.join("nats.conf");
                let store = self.store.join("jetstream");
                std::fs::write(
                    &config,
                    format!("jetstream {{ store_dir: {store:?}, max_file_store: {bytes} }}\n"),
                )
                .unwrap();
                command.arg("-c").arg(config);
            }
            (false, None) => {
                command.arg("-js").arg("-sd").arg(&self.store);
            }
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (install it or set NATS_SERVER_BIN)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not start on port {}", self.port);
    }
}

impl Drop for TestNats {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
