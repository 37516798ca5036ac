//! possync-sim: the device simulator and benchmark. Starts release `ingest`, `fanout` and
//! `janitor` processes over a fresh database, measures each figure of BENCHMARKS.md in turn,
//! prints them as a table and as JSON, and fails (exit 1) when a simulated device does not
//! converge with the server.
//!
//! `cargo build --release --bins && target/release/possync-sim --help`

mod big_pull;
mod fleet;
mod latency;
mod load;
mod realtime;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use possync_tests::process::{service_env, ServiceProcess};
use possync_tests::{ingest_app, TestDb};
use shared::token::{Principal, Role, TokenKeys};

use crate::report::Figures;

/// Measures possync on this machine; `0` skips a phase.
#[derive(Parser)]
struct Args {
    /// Samples of each one-at-a-time latency (push, floor, pull, push → device).
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Concurrent HTTP writers (each a device of its own shop) in the sustained load.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Seconds of the sustained load and of the device simulation.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Simulated devices (through the client crate).
    #[arg(long, default_value_t = 8)]
    devices: usize,
    /// Clients (shops, two branches each) the simulated devices belong to.
    #[arg(long, default_value_t = 2)]
    clients: usize,
    /// Idle WebSocket connections held on the fanout replica.
    #[arg(long, default_value_t = 10_000)]
    idle_connections: usize,
    /// Rows of the single big pull.
    #[arg(long, default_value_t = 1_000_000)]
    big_pull_rows: u64,
    /// Also write the JSON figures to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The running stack a phase measures.
pub struct Bench {
    pub db: TestDb,
    pub ingest: ServiceProcess,
    pub fanout: ServiceProcess,
    pub keys: TokenKeys,
    pub http: reqwest::Client,
}

impl Bench {
    /// A new shop with one branch, and a cashier's token for it.
    pub async fn tenant(&self, name: &str) -> (u64, u64, String) {
        let client_id = ingest::accounts::create_client(&self.db.pool, name)
            .await
            .unwrap();
        let branch_id = ingest::accounts::create_branch(&self.db.pool, client_id, "main")
            .await
            .unwrap();
        let principal = Principal {
            user_id: 1,
            client_id,
            branch_id,
            role: Role::Cashier,
        };
        (client_id, branch_id, self.keys.issue(&principal))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let db = TestDb::migrated().await;
    let config = ingest_app::config(&db);
    let env = service_env(&config, &db.url);
    let bench = Bench {
        ingest: ServiceProcess::start("ingest", &env).await,
        fanout: ServiceProcess::start("fanout", &env).await,
        keys: TokenKeys::new(&config.jwt).unwrap(),
        http: reqwest::Client::new(),
        db,
    };
    let _janitor = ServiceProcess::start("janitor", &env).await;
    sqlx::query(
        "CREATE TABLE floor_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, data JSON NOT NULL)",
    )
    .execute(&bench.db.pool)
    .await
    .unwrap();
    let mut figures = Figures::default();

    if args.samples > 0 {
        eprintln!(
            "push, floor and pull latencies ({} samples each)",
            args.samples
        );
        let (_, _, token) = bench.tenant("latency").await;
        figures.push_50 = Some(latency::push(&bench, &token, args.samples).await);
        let (_, _, by_value) = bench.tenant("stock-by-value").await;
        figures.push_50_stock_by_value =
            Some(latency::push_stock(&bench, &by_value, args.samples, false).await);
        let (_, _, increments) = bench.tenant("stock-increments").await;
        figures.push_50_increments =
            Some(latency::push_stock(&bench, &increments, args.samples, true).await);
        figures.floor_insert_50 = Some(latency::floor(&bench, args.samples).await);
        figures.pull_100 = Some(latency::pull(&bench, &token, args.samples).await);
        eprintln!("push → device latency");
        figures.push_to_device = Some(realtime::push_to_device(&bench, args.samples).await);
    }
    if args.writers > 0 && args.seconds > 0 {
        eprintln!(
            "sustained load: {} writers for {} s",
            args.writers, args.seconds
        );
        let seconds = args.seconds as f64;
        figures.sustained_http =
            Some(load::sustained(&bench, args.writers, seconds, load::Shops::Many).await);
        eprintln!("sustained load: {} tills of one shop", args.writers);
        figures.sustained_one_client =
            Some(load::sustained(&bench, args.writers, seconds, load::Shops::One).await);
        figures.floor_sustained =
            Some(load::floor(&bench, args.writers, args.seconds as f64).await);
    }
    if args.devices > 0 && args.seconds > 0 {
        eprintln!(
            "simulation: {} devices over {} clients for {} s",
            args.devices, args.clients, args.seconds
        );
        figures.fleet =
            Some(fleet::run(&bench, args.devices, args.clients.max(1), args.seconds).await);
    }
    if args.idle_connections > 0 {
        eprintln!("{} idle connections", args.idle_connections);
        figures.idle_connections = Some(realtime::idle(&bench, args.idle_connections).await);
    }
    if args.big_pull_rows > 0 {
        eprintln!("pull of {} rows", args.big_pull_rows);
        figures.big_pull = Some(big_pull::run(&bench, args.big_pull_rows).await);
    }

    println!("{}", figures.table());
    let json = serde_json::to_string_pretty(&figures).unwrap();
    println!("{json}");
    if let Some(path) = &args.json {
        std::fs::write(path, &json).expect("cannot write the JSON figures");
    }
    // Returning (not exiting) lets the service processes be stopped on the way out.
    match &figures.fleet {
        Some(fleet) if fleet.converged_devices < fleet.devices || fleet.stock_rows_wrong > 0 => {
            eprintln!(
                "{} of {} devices did not converge; {} of {} stock rows are wrong",
                fleet.devices - fleet.converged_devices,
                fleet.devices,
                fleet.stock_rows_wrong,
                fleet.stock_rows
            );
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}
