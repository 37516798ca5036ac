//! possync-chaos: the fault suite. Runs tills, a write probe and WebSocket watchers through
//! the balancer of a cluster started by `scripts/run-cluster.sh`, SIGKILLs or pauses each
//! role in turn (the NATS stream leader, ingest during pushes, a fanout holding devices, the
//! MariaDB primary, …), black-holes NATS connections, skews clocks, and starts what it
//! killed again; then checks that nothing was lost,
//! duplicated or invented ([`check`]) and prints what each fault cost ([`report`]).
//! Exits 1 when a check fails. `scripts/run-chaos.sh` starts the cluster and runs it.
//!
//! Layout: [`cluster`] (the processes and their faults), [`faults`], [`failover`] (the
//! MariaDB primary's), [`disks`] (full disks), [`blackhole`]
//! (half-open connections with nftables), [`pager`] (cursor exactness page by page),
//! [`partition`] (lasting ones, with a cgroup),
//! [`tenants`], [`fleet`]
//! (client-crate tills), [`probe`] (the write probe), [`watchers`] (devices holding a
//! socket), [`session`], [`timeline`], [`check`], [`report`], [`verdicts`] (what each kind of
//! fault must keep), [`alerts`] (which fired), [`affinity`] (replicas per room), [`replica`]
//! (the MariaDB replica caught up), [`schedule`] (faults drawn with a seed, overlapping).

mod affinity;
mod alerts;
mod blackhole;
mod check;
mod cluster;
mod disks;
mod failover;
mod faults;
mod fleet;
mod pager;
mod partition;
mod probe;
mod replica;
mod report;
mod schedule;
mod session;
mod tenants;
mod timeline;
mod verdicts;
mod watchers;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::cluster::Cluster;
use crate::faults::{Fault, Injector};
use crate::session::Session;
use crate::timeline::Timeline;

/// Injects faults into a running possync cluster under load and checks what survived.
/// A flag given twice takes its last value (the script's defaults, then yours).
#[derive(Parser)]
#[command(args_override_self = true)]
struct Args {
    /// The cluster's process list, as `scripts/run-cluster.sh` writes it.
    #[arg(long, default_value = ".local/cluster/processes.json")]
    cluster: PathBuf,
    /// Times every fault is injected (each time on the role's next process).
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// The faults to inject (default: all; `none` for none), comma-separated.
    #[arg(long, value_delimiter = ',')]
    faults: Vec<String>,
    /// Seconds a killed process stays down, or a paused one paused.
    #[arg(long, default_value_t = 3.0)]
    hold_seconds: f64,
    /// Seconds every process of a role stays down or paused (all of NATS).
    #[arg(long, default_value_t = 30.0)]
    outage_seconds: f64,
    /// Seconds over which room affinity is measured before the faults.
    #[arg(long, default_value_t = 10.0)]
    affinity_seconds: f64,
    /// Seconds between the end of one fault and the next.
    #[arg(long, default_value_t = 3.0)]
    settle_seconds: f64,
    /// Simulated tills (client crate, their own store), over --shops shops.
    #[arg(long, default_value_t = 8)]
    tills: usize,
    #[arg(long, default_value_t = 2)]
    shops: usize,
    /// Milliseconds between one till's sales (each sale is pushed at once).
    #[arg(long, default_value_t = 300)]
    sale_ms: u64,
    /// WebSocket watchers per fanout replica.
    #[arg(long, default_value_t = 1000)]
    watchers_per_fanout: usize,
    /// Milliseconds between the probe's writes.
    #[arg(long, default_value_t = 200)]
    probe_ms: u64,
    /// After the rounds, this many faults drawn at random (of --faults), overlapping.
    #[arg(long, default_value_t = 0)]
    random: usize,
    /// The random schedule's seed (default: drawn, and printed for a replay).
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds over which the random faults start.
    #[arg(long, default_value_t = 120.0)]
    random_span_seconds: f64,
    /// Random faults may be held past the devices' heartbeat allowance (45 s) or the
    /// stream's duplicate window (130 s).
    #[arg(long)]
    long_holds: bool,
    /// Also write the figures and checks to this JSON file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("possync-chaos: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn chosen_faults(names: &[String]) -> anyhow::Result<Vec<Fault>> {
    if names.is_empty() {
        return Ok(faults::ALL.to_vec());
    }
    if names == ["none"] {
        return Ok(Vec::new());
    }
    names
        .iter()
        .map(|name| {
            faults::ALL
                .iter()
                .find(|f| f.name == name)
                .copied()
                .with_context(|| {
                    format!(
                        "no fault {name}; there are {:?}",
                        faults::ALL.map(|f| f.name)
                    )
                })
        })
        .collect()
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let chosen = chosen_faults(&args.faults)?;
    let cluster = Cluster::load(&args.cluster)?;
    let ingest = cluster.first("ingest")?.clone();
    let env = |key: &str, default: &str| ingest.env(key).unwrap_or(default).to_owned();
    let balancer = cluster.first("balancer")?.listed.port;
    let api_url = format!("http://127.0.0.1:{balancer}");
    let ws_url = format!("ws://127.0.0.1:{balancer}");
    let fanouts = cluster.of_role("fanout").count();
    let pool = sqlx::MySqlPool::connect(&env("DATABASE_URL", "")).await?;
    let servers: Vec<async_nats::ServerAddr> = env("NATS_URL", "nats://127.0.0.1:4222")
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let nats = async_nats::connect(servers).await?;
    let jetstream = async_nats::jetstream::new(nats);
    let (stream, prefix) = (
        env("NATS_STREAM", "POSSYNC"),
        env("NATS_SUBJECT_PREFIX", "sync"),
    );

    let run_id = format!("chaos{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    // Shop 0 holds the probe, the watchers and one till that only listens (so that the
    // probe's writes are checked on a device); the selling tills are in the others.
    let shops = tenants::create(&pool, &run_id, args.shops.max(1) + 1).await?;
    eprintln!(
        "{} tills over {} shops through {api_url}",
        args.tills,
        shops.len() - 1
    );
    let mut fleet = fleet::open(&shops[1..], args.tills, "t", &api_url, &ws_url).await?;
    let sellers = fleet.len();
    fleet.extend(fleet::open(&shops[..1], 1, "listener", &api_url, &ws_url).await?);
    fleet::stock(&fleet).await?;
    let timeline = Timeline::start();
    let stop_realtime = CancellationToken::new();
    let realtime: Vec<_> = fleet
        .iter()
        .map(|d| {
            let (client, stop) = (d.client.clone(), stop_realtime.clone());
            tokio::spawn(async move { client.run_realtime(stop).await })
        })
        .collect();
    let stop_load = CancellationToken::new();
    let tills: Vec<_> = fleet[..sellers]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let every = Duration::from_millis(args.sale_ms);
            tokio::spawn(fleet::run_till(
                d.clone(),
                i as u64,
                every,
                stop_load.clone(),
            ))
        })
        .collect();

    let http = reqwest::Client::new();
    let probe_session = Session::login(
        http.clone(),
        &api_url,
        &shops[0].cashier(0),
        tenants::PASSWORD,
    )
    .await?;
    let last_write_ms = Arc::new(AtomicU64::new(0));
    let probe = tokio::spawn(probe::run(
        http.clone(),
        api_url.clone(),
        probe_session,
        Duration::from_millis(args.probe_ms),
        last_write_ms.clone(),
        timeline,
        stop_load.clone(),
    ));
    let watchers = args.watchers_per_fanout * fanouts;
    eprintln!(
        "{watchers} watchers ({} per fanout replica)",
        args.watchers_per_fanout
    );
    let mut sessions = Vec::new();
    for branch in 0..2 {
        let username = shops[0].cashier(branch);
        sessions.push(Session::login(http.clone(), &api_url, &username, tenants::PASSWORD).await?);
    }
    let stop_watchers = CancellationToken::new();
    let mut watching = Vec::new();
    for i in 0..watchers {
        watching.push(tokio::spawn(watchers::watch(
            ws_url.clone(),
            format!("{run_id}-w{i}"),
            sessions[i % 2].clone(),
            timeline,
            stop_watchers.clone(),
        )));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut rooms: HashSet<(u64, u64)> = fleet.iter().map(|d| (d.client_id, d.branch_id)).collect();
    rooms.extend(
        shops[0]
            .branches
            .iter()
            .take(2)
            .map(|&b| (shops[0].client_id, b)),
    );
    let stop_pagers = CancellationToken::new();
    let paging = pager::start(&shops, &rooms, &http, &api_url, &stop_pagers).await?;
    let paging_rooms = paging.len();
    let window = Duration::from_secs_f64(args.affinity_seconds);
    let affinity = affinity::measure(&cluster, &pool, rooms.len(), window).await?;
    affinity.print();
    let prometheus = cluster.first("prometheus").ok().map(|p| p.listed.port);

    let injector = Arc::new(Injector {
        cluster: cluster.into(),
        jetstream: jetstream.clone(),
        stream: stream.clone(),
        timeline,
        last_write_ms,
    });
    let durations = faults::Durations {
        hold: Duration::from_secs_f64(args.hold_seconds),
        outage: Duration::from_secs_f64(args.outage_seconds),
    };
    let mut injected = Vec::new();
    for round in 0..args.rounds {
        eprintln!("round {} of {}", round + 1, args.rounds);
        for fault in &chosen {
            injected.push(injector.inject(*fault, round, durations).await?);
            tokio::time::sleep(Duration::from_secs_f64(args.settle_seconds)).await;
        }
    }
    // Faults of the random schedule overlap: their reports and verdicts are their own.
    let scheduled_from = injected.len();
    if args.random > 0 && !chosen.is_empty() {
        let seed = args.seed.unwrap_or_else(rand::random);
        let steps = schedule::draw(&schedule::Plan {
            seed,
            faults: &chosen,
            count: args.random,
            span: Duration::from_secs_f64(args.random_span_seconds),
            long_holds: args.long_holds,
        });
        eprintln!("{}", schedule::describe(seed, &steps));
        injected.extend(schedule::run(injector.clone(), &steps).await);
        tokio::time::sleep(Duration::from_secs_f64(args.settle_seconds)).await;
    }

    eprintln!("faults done; the tills push what they hold");
    let load_stopped = timeline.now();
    stop_load.cancel();
    for till in tills {
        till.await?;
    }
    let probed = probe.await?;
    let acknowledged_under_faults = fleet
        .iter()
        .map(|d| d.written.lock().unwrap().acknowledged)
        .sum();
    let mut drained = 0;
    for device in &fleet {
        drained += usize::from(fleet::drain(device, Duration::from_secs(120)).await);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_realtime.cancel();
    for task in realtime {
        task.await?;
    }
    stop_pagers.cancel();
    let mut pages = Vec::new();
    for task in paging {
        pages.extend(task.await?);
    }
    stop_watchers.cancel();
    let mut watched = Vec::new();
    for task in watching {
        watched.push(task.await?);
    }

    let mut reports = Vec::new();
    for (i, fault) in injected.iter().enumerate() {
        // A scheduled fault's report runs to a little after it was undone (others overlap).
        let until = if i >= scheduled_from {
            (fault.undone + args.settle_seconds).min(load_stopped)
        } else {
            injected.get(i + 1).map_or(load_stopped, |next| next.at)
        };
        let mut report = report::of(fault, until, &probed.attempts, &watched);
        if let Some(port) = prometheus {
            let (from, to) = (timeline.unix(fault.at), timeline.unix(until));
            report.alerts = alerts::during(port, from, to)
                .await
                .unwrap_or_else(|err| vec![format!("Prometheus did not answer: {err:#}")]);
            report.forced_reconnects = alerts::forced_reconnects(port, from, to)
                .await
                .unwrap_or_else(|err| vec![format!("Prometheus did not answer: {err:#}")]);
        }
        reports.push(report);
    }
    report::print(&reports);
    // After a failover the checks read the primary the services use now.
    let primary_url = injector
        .cluster
        .lock()
        .await
        .database_url("mariadb-primary")?;
    let pool = sqlx::MySqlPool::connect(&primary_url).await?;
    let sent: HashSet<String> = (0..probed.attempts.len())
        .map(|n| format!("probe-{n}"))
        .collect();
    let run = check::Run {
        pool: &pool,
        shops: &shops,
        fleet: &fleet,
        probe_shop: shops[0].client_id,
        probe_sent: &sent,
        probe_acknowledged: &probed.acknowledged,
        acknowledged_under_faults,
        watcher_duplicates: watched.iter().map(|w| w.duplicates.len() as u64).sum(),
        jetstream: &jetstream,
        stream: &stream,
        prefix: &prefix,
        nats_store_full: injected
            .iter()
            .filter(|fault| fault.fault == "nats-disk-full")
            .map(|fault| {
                (
                    timeline.unix(fault.at) - 2.0,
                    timeline.unix(fault.undone) + 10.0,
                )
            })
            .collect(),
    };
    let mut verdict = check::verify(&run).await;
    let cluster = injector.cluster.lock().await;
    let fanout = cluster.first("fanout")?;
    let drain = verdicts::Drain {
        batch: fanout.env("WS_DRAIN_BATCH").map_or(Ok(500), str::parse)?,
        pause_ms: fanout
            .env("WS_DRAIN_PAUSE_MS")
            .map_or(Ok(100.0), str::parse)?,
    };
    verdicts::of_faults(
        &mut verdict,
        &injected[..scheduled_from],
        &reports[..scheduled_from],
        &probed.attempts,
        &drain,
    );
    let failed_pushes: u64 = fleet
        .iter()
        .map(|d| d.written.lock().unwrap().failed_pushes)
        .sum();
    verdict.lines.insert(
        0,
        (
            drained == fleet.len(),
            format!(
                "tills that pushed their whole queue after the faults: {drained} of {} ({failed_pushes} pushes had failed after the client's retries and were tried again)",
                fleet.len()
            ),
        ),
    );
    watchers::check_realtime(&pool, shops[0].client_id, &watched, &mut verdict).await?;
    let paged = pager::check(&pool, &pages).await?;
    verdict.check(
        paged.pages > 0 && paged.broken.is_empty(),
        format!(
            "pull pages exact against the change history: {} pages of {} rooms covered {} changes; {} broken {:?}",
            paged.pages,
            paging_rooms,
            paged.changes,
            paged.broken.len(),
            &paged.broken[..paged.broken.len().min(5)]
        ),
    );
    let (replicated, seen) = replica::caught_up(&cluster, &pool, Duration::from_secs(60)).await?;
    verdict.check(
        replicated,
        format!("the MariaDB replica applied everything the primary logged within 60 s: {seen}"),
    );
    let late: u64 = watched.iter().map(|w| w.late).sum();
    let missed: u64 = watched.iter().flat_map(|w| &w.missed).map(|(_, n)| n).sum();
    let arrived: usize = watched.iter().map(|w| w.arrivals.len()).sum();
    let repeated: usize = watched.iter().map(|w| w.repeated.len()).sum();
    eprintln!("\nevents on the watchers' sockets: {arrived}, of them {late} after a higher number of their scope and {repeated} again on a later connection; {missed} never arrived on a connection (a device pulls those)");
    eprintln!("checks ({} faults injected):", injected.len());
    for (held, line) in &verdict.lines {
        eprintln!("  {} {line}", if *held { "ok    " } else { "FAILED" });
    }
    if let Some(path) = &args.json {
        let checks: Vec<_> = verdict
            .lines
            .iter()
            .map(|(held, line)| json!({"held": held, "check": line}))
            .collect();
        let figures = json!({"affinity": affinity, "faults": reports, "injected": injected, "checks": checks, "watcher_events": arrived, "watcher_late": late, "watcher_repeated": repeated, "watcher_missed": missed});
        std::fs::write(path, serde_json::to_string_pretty(&figures)?)?;
    }
    let passed = verdict.passed();
    eprintln!(
        "possync-chaos: {}",
        if passed { "passed" } else { "FAILED" }
    );
    Ok(passed)
}
