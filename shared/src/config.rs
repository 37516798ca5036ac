//! Configuration groups shared by the services: each is a clap struct read from flags and env.
//!
//! Services flatten the groups they need into their own `Config`. Secrets are held in
//! [`SecretString`] so that `Debug` output and logs never show them.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

/// Where a service listens.
#[derive(Debug, Clone, Args)]
pub struct HttpConfig {
    /// Address and port to listen on (port 0 picks a free one); each service has its default.
    #[arg(long, env = "BIND_ADDR")]
    pub bind_addr: Option<SocketAddr>,
}

impl HttpConfig {
    /// The configured address, or 127.0.0.1 on the service's default port.
    pub fn addr_or(&self, default_port: u16) -> SocketAddr {
        self.bind_addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port)))
    }
}

/// How to reach MySQL/MariaDB.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `mysql://user:password@host:port/database`; may carry a password, so it is secret.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: SecretString,
    /// Largest number of pooled connections.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 20)]
    pub database_max_connections: u32,
    /// Apply pending migrations at start-up.
    #[arg(long, env = "DATABASE_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub database_migrate: bool,
}

/// How to reach NATS and which names this deployment uses there.
#[derive(Debug, Clone, Args)]
pub struct NatsConfig {
    /// NATS server URL; a cluster's servers may be listed comma-separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// First token of every change subject (`<prefix>.<client>.<branch|shared>`).
    #[arg(long, env = "NATS_SUBJECT_PREFIX", default_value = "sync")]
    pub nats_subject_prefix: String,
    /// JetStream stream that stores the change events.
    #[arg(long, env = "NATS_STREAM", default_value = "POSSYNC")]
    pub nats_stream: String,
    /// Copies of the stream a NATS cluster keeps (3 in a 3-node cluster) when it creates it.
    #[arg(long, env = "NATS_STREAM_REPLICAS", default_value_t = 1)]
    pub nats_stream_replicas: usize,
    /// Seconds the stream keeps an event. Devices never read it back (they pull): it only
    /// needs to outlast the duplicate window (120 s) and the relay's grace.
    #[arg(long, env = "NATS_STREAM_MAX_AGE_SECS", default_value_t = 600)]
    pub nats_stream_max_age_secs: u64,
    /// Bytes the stream keeps at most; past it the oldest events go (it never refuses a
    /// publish for its size). Size it as events/s × ~3 KB × the max age.
    #[arg(long, env = "NATS_STREAM_MAX_BYTES", default_value_t = 1 << 30)]
    pub nats_stream_max_bytes: i64,
}

/// How often a service's NATS client pings its server. Two pings unanswered and the client
/// drops the connection and reconnects: a connection gone half-open (a NAT or firewall that
/// forgot the flow, a node frozen) is found within ~15 s, not the client's default 3 minutes.
pub const NATS_PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

impl NatsConfig {
    /// The servers of `NATS_URL` (one, or a cluster's comma-separated list).
    pub fn servers(&self) -> Vec<&str> {
        self.nats_url.split(',').map(str::trim).collect()
    }

    /// What every service connects with: retrying while NATS is down at start, and pinging
    /// every [`NATS_PING_INTERVAL`].
    pub fn connect_options() -> async_nats::ConnectOptions {
        async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .ping_interval(NATS_PING_INTERVAL)
    }
}

/// Shortest HS256 secret accepted, in bytes.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// How access tokens are signed and checked.
#[derive(Clone, Args)]
pub struct JwtConfig {
    /// HS256 signing secret, at least 32 bytes.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: SecretString,
    /// `iss` claim written and required.
    #[arg(long, env = "JWT_ISSUER", default_value = "possync")]
    pub jwt_issuer: String,
    /// `aud` claim written and required.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "possync-devices")]
    pub jwt_audience: String,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "JWT_ACCESS_TTL_SECS", default_value_t = 900)]
    pub jwt_access_ttl_secs: u64,
    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env = "JWT_REFRESH_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub jwt_refresh_ttl_secs: u64,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("jwt_secret", &"[redacted]")
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("jwt_access_ttl_secs", &self.jwt_access_ttl_secs)
            .field("jwt_refresh_ttl_secs", &self.jwt_refresh_ttl_secs)
            .finish()
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("JWT_SECRET is {0} bytes long; it must be at least {MIN_JWT_SECRET_BYTES} bytes (try `openssl rand -base64 48`)")]
    ShortJwtSecret(usize),
}

impl JwtConfig {
    /// Refuses a secret too short to resist guessing.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let len = self.jwt_secret.expose_secret().len();
        if len < MIN_JWT_SECRET_BYTES {
            return Err(ConfigError::ShortJwtSecret(len));
        }
        Ok(())
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.jwt_access_ttl_secs)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.jwt_refresh_ttl_secs)
    }
}

/// Log output.
#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Log each span as it closes, with its time (`time.busy`, `time.idle`): a push's group
    /// commit round and each statement group of its write.
    #[arg(long, env = "LOG_SPANS", default_value_t = false)]
    pub log_spans: bool,
}

#[cfg(test)]
mod tests {
    use super::NatsConfig;

    fn nats(url: &str) -> NatsConfig {
        NatsConfig {
            nats_url: url.into(),
            nats_subject_prefix: "sync".into(),
            nats_stream: "POSSYNC".into(),
            nats_stream_replicas: 1,
            nats_stream_max_age_secs: 600,
            nats_stream_max_bytes: 1 << 20,
        }
    }

    #[test]
    fn nats_url_names_one_server_or_a_clusters_list() {
        assert_eq!(
            nats("nats://127.0.0.1:4222").servers(),
            ["nats://127.0.0.1:4222"]
        );
        assert_eq!(
            nats("nats://127.0.0.1:24222, nats://127.0.0.1:24223,nats://127.0.0.1:24224").servers(),
            [
                "nats://127.0.0.1:24222",
                "nats://127.0.0.1:24223",
                "nats://127.0.0.1:24224"
            ]
        );
    }
}
