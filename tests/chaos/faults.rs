//! The faults, one at a time: SIGKILL a process and start it again after a while, pause it
//! (SIGSTOP) and let it go on (SIGCONT), or stop it cleanly (SIGTERM); the same to every
//! process of a role at once for an outage (all of NATS), or to all but one (a NATS
//! cluster without its majority); a rolling restart (SIGTERM one replica, start it again,
//! wait until it is ready, then the next); a process cut from a role's processes for the
//! outage, or a NATS node from the other nodes; the disk of a process's data filled, then
//! freed; a process run with its clock minutes off; or the MariaDB primary failed over to
//! its replica (`failover`). Single targets rotate over a role's processes; the single NATS
//! faults hit the node that leads the stream then.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::blackhole;
use crate::cluster::{Cluster, Process};
use crate::disks;
use crate::partition;
use crate::timeline::Timeline;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    Kill,
    Pause,
    /// SIGTERM, and started again after the hold.
    Stop,
    /// Every process of the role killed, held for the outage, started again.
    KillAll,
    /// Every process of the role paused for the outage.
    PauseAll,
    /// SIGTERM each process of the role in turn, start it again and wait until it is ready
    /// (and the hold) before the next.
    Rolling,
    /// Every process of the role but one (the stream leader among those killed) killed,
    /// held for the outage, started again: a NATS cluster without its majority.
    KillMost,
    /// Its NATS connections black-holed (`blackhole`) for the outage: half-open until
    /// its client's pings find out.
    HalfOpen,
    /// Cut from every process of this role (its connections and new ones: `partition`)
    /// for the outage.
    Partition(&'static str),
    /// A NATS node cut from the other nodes' routes for the outage (a minority of one);
    /// its clients still reach it.
    Isolate,
    /// The filesystem of its data (a NATS store, MariaDB's data directory) filled to the
    /// last byte for the outage, then freed (and NATS reloaded: JetStream stays off after a
    /// full store until then).
    FillDisk,
    /// The primary killed and its replica promoted after the hold, the services pointed
    /// at it, the old primary its replica (`failover`).
    Failover,
    /// Killed and started again with its clock this far off (libfaketime: `+5m`, `-5m`),
    /// for the outage; then killed and started again with the right time.
    Skew(&'static str),
}

/// A fault of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub name: &'static str,
    pub role: &'static str,
    action: Action,
}

impl Fault {
    /// Whether the two may not run at once: one role, or a failover and any MariaDB fault
    /// (it swaps the primary and the replica).
    pub fn collides_with(&self, other: &Fault) -> bool {
        let failover = self.action == Action::Failover || other.action == Action::Failover;
        self.role == other.role
            || failover && self.role.starts_with("mariadb") && other.role.starts_with("mariadb")
    }
}

const fn fault(name: &'static str, role: &'static str, action: Action) -> Fault {
    Fault { name, role, action }
}

/// Every fault, in the order a round runs them.
pub const ALL: [Fault; 30] = [
    fault("nats-leader-kill", "nats", Action::Kill),
    fault("ingest-kill", "ingest", Action::Kill),
    fault("fanout-kill", "fanout", Action::Kill),
    fault("mariadb-restart", "mariadb-primary", Action::Kill),
    fault("janitor-kill", "janitor", Action::Kill),
    fault("nats-leader-pause", "nats", Action::Pause),
    fault("ingest-pause", "ingest", Action::Pause),
    fault("fanout-pause", "fanout", Action::Pause),
    fault("mariadb-pause", "mariadb-primary", Action::Pause),
    fault("mariadb-replica-kill", "mariadb-replica", Action::Kill),
    fault("mariadb-stop", "mariadb-primary", Action::Stop),
    fault("nats-all-kill", "nats", Action::KillAll),
    fault("nats-all-pause", "nats", Action::PauseAll),
    fault("fanout-rolling", "fanout", Action::Rolling),
    fault("ingest-rolling", "ingest", Action::Rolling),
    fault("nats-two-kill", "nats", Action::KillMost),
    fault("fanout-nats-halfopen", "fanout", Action::HalfOpen),
    fault("ingest-nats-halfopen", "ingest", Action::HalfOpen),
    fault("ingest-nats-partition", "ingest", Action::Partition("nats")),
    fault("fanout-nats-partition", "fanout", Action::Partition("nats")),
    fault("nats-minority-partition", "nats", Action::Isolate),
    fault(
        "replica-partition",
        "mariadb-replica",
        Action::Partition("mariadb-primary"),
    ),
    fault("nats-disk-full", "nats", Action::FillDisk),
    fault("mariadb-disk-full", "mariadb-primary", Action::FillDisk),
    fault("mariadb-failover", "mariadb-primary", Action::Failover),
    fault("ingest-clock-ahead", "ingest", Action::Skew("+5m")),
    fault("ingest-clock-behind", "ingest", Action::Skew("-5m")),
    fault("janitor-clock-ahead", "janitor", Action::Skew("+5m")),
    fault("janitor-clock-behind", "janitor", Action::Skew("-5m")),
    // Last: every device reconnects, some after many seconds of backoff.
    fault("balancer-kill", "balancer", Action::Kill),
];

/// When a fault was injected and undone, on the run's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    pub fault: &'static str,
    pub target: String,
    pub at: f64,
    /// When the process was started again or let go on (a failover: when every service
    /// ran on the new primary and the old one replicated from it).
    pub undone: f64,
    /// When the probe's writes were acknowledged again after it was undone (a failover:
    /// after ingest ran on the new primary).
    pub writes_back: Option<f64>,
    /// Whether the target died by itself during the fault (MariaDB on a full disk) and was
    /// started again.
    pub crashed: bool,
}

/// Where the faults are injected, and how the suite sees the stream's leader and the probe.
pub struct Injector {
    /// Locked only while a process is signalled, started or looked at: faults may overlap.
    pub cluster: tokio::sync::Mutex<Cluster>,
    pub jetstream: async_nats::jetstream::Context,
    pub stream: String,
    pub timeline: Timeline,
    /// The probe's last acknowledged write, in ms of the timeline.
    pub last_write_ms: Arc<AtomicU64>,
}

/// How long a fault lasts: `hold` for one process, `outage` for a whole role.
#[derive(Debug, Clone, Copy)]
pub struct Durations {
    pub hold: Duration,
    pub outage: Duration,
}

impl Injector {
    /// Injects `fault` on its `round`-th target (or the whole role), holds it, undoes it,
    /// and waits until the restarted processes listen and the probe's writes are
    /// acknowledged again.
    pub async fn inject(
        &self,
        fault: Fault,
        round: usize,
        durations: Durations,
    ) -> anyhow::Result<Injected> {
        if fault.action == Action::Failover {
            return self.fail_over(fault, durations.hold).await;
        }
        let targets = match fault.action {
            Action::KillAll | Action::PauseAll | Action::Rolling => {
                self.indices_of(fault.role).await
            }
            Action::KillMost => {
                let leader = self.target(fault, round).await?;
                let others: Vec<usize> = self.indices_of(fault.role).await;
                let mut targets: Vec<usize> = others.into_iter().filter(|i| *i != leader).collect();
                targets.truncate(targets.len().saturating_sub(1));
                targets.insert(0, leader);
                targets
            }
            _ => vec![self.target(fault, round).await?],
        };
        anyhow::ensure!(!targets.is_empty(), "no {} in the cluster", fault.role);
        let target = match targets.as_slice() {
            [one] => self.cluster.lock().await.processes[*one].name(),
            all => format!("{} x{}", fault.role, all.len()),
        };
        eprintln!("  {:<22} {target}", fault.name);
        let at = self.timeline.now();
        let mut crashed = false;
        match fault.action {
            Action::Failover => unreachable!("a failover returned above"),
            Action::Kill | Action::KillAll | Action::KillMost | Action::Stop => {
                let hold = match fault.action {
                    Action::KillAll | Action::KillMost => durations.outage,
                    _ => durations.hold,
                };
                for &index in &targets {
                    match fault.action {
                        Action::Stop => self.process(index).await.terminate().await?,
                        _ => self.process(index).await.kill().await?,
                    }
                }
                tokio::time::sleep(hold).await;
                for &index in &targets {
                    // Saved one by one: stopping the cluster must find each new pid.
                    self.cluster.lock().await.processes[index].restart()?;
                    self.cluster.lock().await.save()?;
                }
            }
            Action::Pause | Action::PauseAll => {
                let hold = if fault.action == Action::PauseAll {
                    durations.outage
                } else {
                    durations.hold
                };
                for &index in &targets {
                    self.cluster.lock().await.processes[index].pause()?;
                }
                tokio::time::sleep(hold).await;
                for &index in &targets {
                    self.cluster.lock().await.processes[index].resume()?;
                }
            }
            Action::HalfOpen => {
                let nats: Vec<u16> = self
                    .cluster
                    .lock()
                    .await
                    .of_role("nats")
                    .map(|(_, p)| p.listed.port)
                    .collect();
                let mut flows = Vec::new();
                for &index in &targets {
                    flows.extend(blackhole::flows_of(
                        self.cluster.lock().await.processes[index].listed.pid,
                        &nats,
                    )?);
                }
                anyhow::ensure!(!flows.is_empty(), "{target} holds no NATS connection");
                let table = format!("possync_chaos_{}", fault.name.replace('-', "_"));
                blackhole::drop_flows(&table, &flows)?;
                tokio::time::sleep(durations.outage).await;
                blackhole::heal(&table)?;
            }
            Action::Partition(from) => {
                let ports: Vec<u16> = self
                    .cluster
                    .lock()
                    .await
                    .of_role(from)
                    .map(|(_, p)| p.listed.port)
                    .collect();
                let pid = self.cluster.lock().await.processes[targets[0]].listed.pid;
                let cut = partition::cut(pid, &ports, None, &fault.name.replace('-', "_"))?;
                tokio::time::sleep(durations.outage).await;
                cut.heal()?;
            }
            Action::Isolate => {
                let (pid, own, others) = {
                    let cluster = self.cluster.lock().await;
                    let node = &cluster.processes[targets[0]];
                    let others: Vec<u16> = cluster
                        .of_role("nats")
                        .filter(|(i, _)| *i != targets[0])
                        .filter_map(|(_, p)| p.route_port())
                        .collect();
                    (node.listed.pid, node.route_port(), others)
                };
                anyhow::ensure!(own.is_some(), "{target} has no route port");
                eprintln!(
                    "  {:<22} its clients: {}",
                    fault.name,
                    self.clients_of(targets[0]).await.join(", ")
                );
                let tag = fault.name.replace('-', "_");
                let cut = partition::cut(pid, &others, own, &tag)?;
                tokio::time::sleep(durations.outage).await;
                cut.heal()?;
            }
            Action::FillDisk => {
                let mount = disks::data_mount(&self.cluster.lock().await.processes[targets[0]])?;
                disks::fill(&mount)?;
                tokio::time::sleep(durations.outage).await;
                disks::free(&mount)?;
                let mut cluster = self.cluster.lock().await;
                let process = &mut cluster.processes[targets[0]];
                if !process.alive() {
                    // As its service manager would (systemd's Restart=on-failure): MariaDB
                    // 10.11 can crash on a full disk (an InnoDB assertion in purge).
                    eprintln!(
                        "  {:<22} {} died on the full disk; started again",
                        fault.name,
                        process.name()
                    );
                    process.restart()?;
                    cluster.save()?;
                    crashed = true;
                } else if fault.role == "nats" {
                    process.reload()?;
                }
            }
            Action::Skew(offset) => {
                let skewed = faketime(offset)?;
                for &index in &targets {
                    self.process(index).await.kill().await?;
                    self.cluster.lock().await.processes[index].restart_with(&skewed)?;
                    self.cluster.lock().await.save()?;
                }
                tokio::time::sleep(durations.outage).await;
                for &index in &targets {
                    self.process(index).await.kill().await?;
                    self.cluster.lock().await.processes[index].restart()?;
                    self.cluster.lock().await.save()?;
                }
            }
            Action::Rolling => {
                for &index in &targets {
                    self.process(index).await.terminate().await?;
                    self.cluster.lock().await.processes[index].restart()?;
                    self.cluster.lock().await.save()?;
                    let port = self.process(index).await.listed.port;
                    wait_until_ready(port).await?;
                    tokio::time::sleep(durations.hold).await;
                }
            }
        }
        let undone = self.timeline.now();
        for &index in &targets {
            let port = self.process(index).await.listed.port;
            wait_for_port(port).await?;
        }
        let writes_back = self.writes_back_after(undone).await;
        Ok(Injected {
            fault: fault.name,
            target,
            at,
            undone,
            writes_back,
            crashed,
        })
    }

    /// The process a fault hits: the stream leader for NATS, the fanout replica holding the
    /// most devices, else the role's processes in turn.
    async fn target(&self, fault: Fault, round: usize) -> anyhow::Result<usize> {
        if fault.role == "fanout" {
            let mut busiest = (0.0, None);
            for (index, process) in self.cluster.lock().await.of_role("fanout") {
                let held = process.metric("possync_ws_connections").await;
                if busiest.1.is_none() || held > busiest.0 {
                    busiest = (held, Some(index));
                }
            }
            return busiest.1.context("no fanout in the cluster");
        }
        if fault.role == "nats" {
            let leader = self.stream_leader().await?;
            return self
                .cluster
                .lock()
                .await
                .nats_named(&leader)
                .with_context(|| format!("no NATS node named {leader}"));
        }
        let candidates: Vec<usize> = self.indices_of(fault.role).await;
        anyhow::ensure!(!candidates.is_empty(), "no {} in the cluster", fault.role);
        Ok(candidates[round % candidates.len()])
    }

    /// A copy of process `index` to signal or wait on without holding the cluster's lock
    /// (a clean stop may take minutes while other faults go on).
    pub(crate) async fn process(&self, index: usize) -> Process {
        self.cluster.lock().await.processes[index].clone()
    }

    /// The services connected to NATS node `index`.
    async fn clients_of(&self, index: usize) -> Vec<String> {
        let cluster = self.cluster.lock().await;
        let port = cluster.processes[index].listed.port;
        ["ingest", "fanout", "janitor"]
            .iter()
            .flat_map(|role| cluster.of_role(role))
            .filter(|(_, p)| {
                blackhole::flows_of(p.listed.pid, &[port]).is_ok_and(|f| !f.is_empty())
            })
            .map(|(_, p)| p.name())
            .collect()
    }

    /// The indices of the role's processes.
    pub(crate) async fn indices_of(&self, role: &str) -> Vec<usize> {
        let cluster = self.cluster.lock().await;
        cluster.of_role(role).map(|(i, _)| i).collect()
    }

    async fn stream_leader(&self) -> anyhow::Result<String> {
        for _ in 0..50 {
            if let Ok(mut stream) = self.jetstream.get_stream(&self.stream).await {
                if let Ok(info) = stream.info().await {
                    if let Some(leader) = info.cluster.as_ref().and_then(|c| c.leader.clone()) {
                        return Ok(leader);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("stream {} has no leader", self.stream)
    }

    /// Waits (up to a minute) for the probe's first acknowledged write after `moment`.
    pub(crate) async fn writes_back_after(&self, moment: f64) -> Option<f64> {
        for _ in 0..600 {
            let last = self.last_write_ms.load(Ordering::Relaxed) as f64 / 1000.0;
            if last > moment {
                return Some(last);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }
}

/// The environment that runs a process `offset` off the real time: libfaketime (Debian's
/// `faketime`, whose library `POSSYNC_LIBFAKETIME` names) on the wall clock only, so that
/// timers and timeouts (the monotonic clock) run as they should.
fn faketime(offset: &str) -> anyhow::Result<Vec<(String, String)>> {
    let library = std::env::var("POSSYNC_LIBFAKETIME")
        .context("POSSYNC_LIBFAKETIME is not set: run the suite with scripts/run-chaos.sh")?;
    anyhow::ensure!(
        std::path::Path::new(&library).is_file(),
        "no libfaketime at {library}"
    );
    Ok([
        ("LD_PRELOAD", library.as_str()),
        ("FAKETIME", offset),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ("FAKETIME_DONT_RESET", "1"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec())
}

/// Waits (up to a minute) until the service on `port` answers `/readyz` with a 200.
pub(crate) async fn wait_until_ready(port: u16) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
            if answer.status() == 200 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the service on port {port} was not ready a minute after it started again")
}

pub(crate) async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("nothing listens on port {port} a minute after the fault")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Fault {
        *ALL.iter().find(|f| f.name == name).unwrap()
    }

    #[test]
    fn a_failover_collides_with_every_mariadb_fault_and_nothing_else() {
        let failover = named("mariadb-failover");
        for other in [
            "mariadb-replica-kill",
            "replica-partition",
            "mariadb-restart",
        ] {
            assert!(failover.collides_with(&named(other)), "{other}");
            assert!(named(other).collides_with(&failover), "{other}");
        }
        assert!(!failover.collides_with(&named("ingest-kill")));
        assert!(!named("mariadb-replica-kill").collides_with(&named("mariadb-restart")));
    }
}
