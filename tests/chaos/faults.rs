//! The faults, one at a time: SIGKILL a process and start it again after a while, or pause
//! it (SIGSTOP) and let it go on (SIGCONT). Targets rotate over a role's processes; the NATS
//! faults hit the node that leads the stream at that moment.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::cluster::Cluster;
use crate::timeline::Timeline;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    Kill,
    Pause,
}

/// A fault of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub name: &'static str,
    role: &'static str,
    action: Action,
}

const fn fault(name: &'static str, role: &'static str, action: Action) -> Fault {
    Fault { name, role, action }
}

/// Every fault, in the order a round runs them.
pub const ALL: [Fault; 11] = [
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
    // Last: every device reconnects, some after many seconds of backoff.
    fault("balancer-kill", "balancer", Action::Kill),
];

/// When a fault was injected and undone, on the run's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    pub fault: &'static str,
    pub target: String,
    pub at: f64,
    /// When the process was started again or let go on.
    pub undone: f64,
    /// When the probe's writes were acknowledged again after it was undone.
    pub writes_back: Option<f64>,
}

/// Where the faults are injected, and how the suite sees the stream's leader and the probe.
pub struct Injector {
    pub cluster: Cluster,
    pub jetstream: async_nats::jetstream::Context,
    pub stream: String,
    pub timeline: Timeline,
    /// The probe's last acknowledged write, in ms of the timeline.
    pub last_write_ms: Arc<AtomicU64>,
}

impl Injector {
    /// Injects `fault` on its `round`-th target, holds it `hold`, undoes it, and waits until
    /// the restarted process listens and the probe's writes are acknowledged again.
    pub async fn inject(
        &mut self,
        fault: Fault,
        round: usize,
        hold: Duration,
    ) -> anyhow::Result<Injected> {
        let index = self.target(fault, round).await?;
        let target = self.cluster.processes[index].name();
        eprintln!("  {:<22} {target}", fault.name);
        let at = self.timeline.now();
        match fault.action {
            Action::Kill => {
                self.cluster.processes[index].kill().await?;
                tokio::time::sleep(hold).await;
                self.cluster.processes[index].restart()?;
                self.cluster.save()?;
            }
            Action::Pause => {
                self.cluster.processes[index].pause()?;
                tokio::time::sleep(hold).await;
                self.cluster.processes[index].resume()?;
            }
        }
        let undone = self.timeline.now();
        wait_for_port(self.cluster.processes[index].listed.port).await?;
        let writes_back = self.writes_back_after(undone).await;
        Ok(Injected {
            fault: fault.name,
            target,
            at,
            undone,
            writes_back,
        })
    }

    /// The process a fault hits: the stream leader for NATS, the fanout replica holding the
    /// most devices, else the role's processes in turn.
    async fn target(&self, fault: Fault, round: usize) -> anyhow::Result<usize> {
        if fault.role == "fanout" {
            let mut busiest = (0, None);
            for (index, process) in self.cluster.of_role("fanout") {
                let held = connections_of(process.listed.port).await;
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
                .nats_named(&leader)
                .with_context(|| format!("no NATS node named {leader}"));
        }
        let candidates: Vec<usize> = self.cluster.of_role(fault.role).map(|(i, _)| i).collect();
        anyhow::ensure!(!candidates.is_empty(), "no {} in the cluster", fault.role);
        Ok(candidates[round % candidates.len()])
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
    async fn writes_back_after(&self, moment: f64) -> Option<f64> {
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

/// The WebSocket connections a fanout replica holds, from its `/metrics` (0 if unreadable).
async fn connections_of(port: u16) -> u64 {
    let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await else {
        return 0;
    };
    let text = answer.text().await.unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix("possync_ws_connections "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map_or(0, |value| value as u64)
}

async fn wait_for_port(port: u16) -> anyhow::Result<()> {
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
