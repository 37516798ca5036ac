//! possync-sim: the device simulator and benchmark. Starts release `ingest`, `fanout` and
//! `janitor` processes over a fresh database, measures each figure of BENCHMARKS.md in turn,
//! prints them as a table and as JSON, and fails (exit 1) when a simulated device does not
//! converge with the server; with `--charts DIR` it also draws the run as SVG charts.
//!
//! Phases: [`latency`] (one at a time), [`realtime`] (push → device, idle connections),
//! [`load`] and [`sweep`] (sustained writes, against the writer count), [`fanout_load`]
//! ([`fanout_devices`], [`fanout_step`]: deliveries under rising pushes), [`fleet`]
//! (simulated devices), [`big_pull`], [`page_cost`] (pull pages in a client of millions of
//! records), [`first_sync`] (a fresh till's first sync through the client crate),
//! [`stream_memory`] (what NATS holds per message id and per subject); [`report`]
//! and [`scaling`] hold the figures, [`charts`] draws them.
//!
//! `cargo build --release --bins && target/release/possync-sim --help`

mod big_pull;
mod charts;
mod fanout_devices;
mod fanout_load;
mod fanout_step;
mod first_sync;
mod fleet;
mod latency;
mod load;
mod page_cost;
mod realtime;
mod report;
mod scaling;
mod stream_memory;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use possync_tests::process::{service_env, ServiceProcess};
use possync_tests::{ingest_app, TestDb};
use shared::token::{Principal, Role, TokenKeys};

use crate::report::{FanoutLoad, Figures, WriterSweep};

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
    /// Sizes of the clients in which pull pages are timed at the start and behind deep
    /// cursors (page cost at shop scale); 0 skips the phase.
    #[arg(long, value_delimiter = ',', default_value = "300000,3000000")]
    page_cost_records: Vec<u64>,
    /// Samples of each page time in page cost at shop scale.
    #[arg(long, default_value_t = 15)]
    page_cost_samples: usize,
    /// Records of the client in which fresh tills' first syncs are timed; 0 skips the phase.
    #[arg(long, default_value_t = 300_000)]
    first_sync_records: u64,
    /// Writer counts at which both sustained shapes are measured again (the count equal to
    /// --writers reuses the main runs); 0 skips the sweep.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
    writer_steps: Vec<usize>,
    /// Seconds of each shape at each writer count of the sweep.
    #[arg(long, default_value_t = 3.0)]
    writer_step_seconds: f64,
    /// Devices on the fanout replica while pushes rise in steps (fanout under load).
    #[arg(long, default_value_t = 2_000)]
    fanout_devices: usize,
    /// Rooms (branches, ten a shop) those devices are dealt to.
    #[arg(long, default_value_t = 200)]
    fanout_rooms: usize,
    /// Seconds of each step of rising pushes in fanout under load.
    #[arg(long, default_value_t = 3.0)]
    fanout_step_seconds: f64,
    /// Messages published into a private NATS to weigh the stream's duplicate window (one
    /// id each) and its subjects; 0 skips the phase.
    #[arg(long, default_value_t = 1_000_000)]
    stream_memory_messages: u64,
    /// Subjects (rooms) those messages are spread over to weigh the stream's subjects.
    #[arg(long, default_value_t = 250_000)]
    stream_memory_subjects: u64,
    /// Draw push-latency.svg, throughput-writers.svg and fanout-p99.svg into this folder.
    #[arg(long)]
    charts: Option<PathBuf>,
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
        let (branch_id, token) = self.branch(client_id, "main").await;
        (client_id, branch_id, token)
    }

    /// A new branch of shop `client_id`, and a cashier's token for it.
    pub async fn branch(&self, client_id: u64, name: &str) -> (u64, String) {
        let branch_id = ingest::accounts::create_branch(&self.db.pool, client_id, name)
            .await
            .unwrap();
        let principal = Principal {
            user_id: 1,
            client_id,
            branch_id,
            role: Role::Cashier,
        };
        (branch_id, self.keys.issue(&principal))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let db = TestDb::migrated().await;
    let config = ingest_app::config(&db);
    let mut env = service_env(&config, &db.url);
    // Room for every phase's connections from this one address (fanout's cap, 20,000 by
    // default, is the only limit on them; it has none per address).
    let connections = args.idle_connections.max(args.fanout_devices) + 1_000;
    env.push(("WS_MAX_CONNECTIONS", connections.max(20_000).to_string()));
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
    let mut push_times = None;

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
        let many = load::sustained(&bench, args.writers, seconds, load::Shops::Many).await;
        eprintln!("sustained load: {} tills of one shop", args.writers);
        let one = load::sustained(&bench, args.writers, seconds, load::Shops::One).await;
        figures.sustained_http = Some(many.throughput);
        figures.sustained_one_client = Some(one.throughput);
        push_times = Some((many.push_times, one.push_times));
        figures.floor_sustained =
            Some(load::floor(&bench, args.writers, args.seconds as f64).await);
    }
    figures.writer_sweep = writer_sweep(&bench, &args, &figures).await;
    figures.fanout_load = fanout_load(&bench, &args).await;
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
    for &records in args.page_cost_records.iter().filter(|&&n| n > 0) {
        eprintln!("pull page cost in a client of {records} records");
        let cost = page_cost::run(&bench, records, args.page_cost_samples.max(1)).await;
        eprintln!("  seeding took {:.1} s", cost.seed_seconds);
        figures.page_cost.push(cost);
    }
    if args.first_sync_records > 0 {
        eprintln!(
            "first sync in a client of {} records",
            args.first_sync_records
        );
        figures.first_sync = Some(first_sync::run(&bench, args.first_sync_records).await);
    }
    if args.stream_memory_messages > 0 {
        eprintln!(
            "the stream's memory: {} messages, {} subjects",
            args.stream_memory_messages, args.stream_memory_subjects
        );
        figures.stream_memory = Some(
            stream_memory::run(args.stream_memory_messages, args.stream_memory_subjects).await,
        );
    }

    if let Some(dir) = &args.charts {
        let push = push_times.as_ref().map(|(many, one)| charts::PushTimes {
            writers: args.writers,
            shop_per_writer: many,
            one_shop: one,
        });
        let sweep = figures.writer_sweep.as_ref();
        let drawn = charts::write_all(dir, push, sweep, figures.fanout_load.as_ref())
            .expect("cannot draw the charts");
        eprintln!("charts: {drawn:?}");
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

/// Both sustained shapes at each writer count of `--writer-steps`.
async fn writer_sweep(bench: &Bench, args: &Args, figures: &Figures) -> Option<WriterSweep> {
    if !args.writer_steps.iter().any(|&n| n > 0) || args.writer_step_seconds <= 0.0 {
        return None;
    }
    eprintln!(
        "sustained load against writers {:?}, {} s each shape",
        args.writer_steps, args.writer_step_seconds
    );
    let measured = figures
        .sustained_http
        .as_ref()
        .zip(figures.sustained_one_client.as_ref())
        .map(|(shop_per_writer, one_shop)| sweep::Measured {
            shop_per_writer,
            one_shop,
        });
    let steps = &args.writer_steps;
    let sweep = sweep::writers(bench, steps, args.writer_step_seconds, measured).await;
    eprintln!("  the sweep took {:.1} s", sweep.phase_seconds);
    Some(sweep)
}

/// Fanout under load, sized by `--fanout-devices`, `--fanout-rooms` and
/// `--fanout-step-seconds`.
async fn fanout_load(bench: &Bench, args: &Args) -> Option<FanoutLoad> {
    if args.fanout_devices == 0 || args.fanout_rooms == 0 || args.fanout_step_seconds <= 0.0 {
        return None;
    }
    eprintln!(
        "fanout under load: {} devices in {} rooms, steps of {} s",
        args.fanout_devices, args.fanout_rooms, args.fanout_step_seconds
    );
    let size = fanout_load::Size {
        devices: args.fanout_devices,
        rooms: args.fanout_rooms,
        step_seconds: args.fanout_step_seconds,
    };
    let load = fanout_load::run(bench, &size).await;
    eprintln!(
        "  fanout under load took {:.1} s; last step because {}",
        load.seconds, load.stopped_because
    );
    Some(load)
}
