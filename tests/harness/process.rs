//! Release binaries of the services run as their own processes, for benchmarks that read a
//! service's memory from /proc.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A service process; killed and reaped when dropped.
pub struct ServiceProcess {
    child: Child,
    pub base: String,
    pub port: u16,
}

impl ServiceProcess {
    /// Starts `binary` (beside the running executable) on a free port with `env`, and waits
    /// until `/healthz` answers.
    pub async fn start(binary: &str, env: &[(&str, String)]) -> ServiceProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = std::env::current_exe().unwrap().with_file_name(binary);
        // POSSYNC_SERVICE_LOG (a RUST_LOG filter) shows the service's logs on stderr.
        let log = std::env::var("POSSYNC_SERVICE_LOG").ok();
        let child = Command::new(&path)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", log.as_deref().unwrap_or("warn"))
            .stdout(if log.is_some() {
                Stdio::from(std::io::stderr())
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start {}: {err}; run `cargo build --release --bins`",
                    path.display()
                )
            });
        let process = ServiceProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
        };
        for _ in 0..100 {
            if reqwest::get(format!("{}/healthz", process.base))
                .await
                .is_ok()
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{binary} did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of /proc/<pid>/status in KiB (`VmRSS:`, `VmHWM:`).
    pub fn memory_kib(&self, field: &str) -> u64 {
        memory_kib(self.pid(), field)
    }
}

/// A field of process `pid`'s /proc/<pid>/status in KiB (0 when unreadable).
pub fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment that points a service at `config`'s database, NATS and secret.
pub fn service_env(
    config: &ingest::config::Config,
    database_url: &str,
) -> Vec<(&'static str, String)> {
    use secrecy::ExposeSecret;
    vec![
        ("DATABASE_URL", database_url.to_owned()),
        ("NATS_URL", config.nats.nats_url.clone()),
        (
            "NATS_SUBJECT_PREFIX",
            config.nats.nats_subject_prefix.clone(),
        ),
        ("NATS_STREAM", config.nats.nats_stream.clone()),
        (
            "JWT_SECRET",
            config.jwt.jwt_secret.expose_secret().to_owned(),
        ),
        ("JWT_ISSUER", config.jwt.jwt_issuer.clone()),
        ("JWT_AUDIENCE", config.jwt.jwt_audience.clone()),
    ]
}
