//! Lasting partitions: a process cut from the processes listening on chosen ports, both on
//! the connections it holds and on every new one, until healed. The process is moved into a
//! cgroup (v2) of the suite's own, and nftables drops every packet that cgroup's sockets
//! send to those ports (a new connection's SYN goes nowhere, as across a real partition)
//! and both ways of the connections it held, which keep the cgroup they were made in. A
//! NATS node is also cut on its own route port, where the other nodes connect to it.

use std::path::PathBuf;

use anyhow::Context;

use crate::blackhole;

/// A process cut off, and how to put it back.
pub struct Partition {
    pid: u32,
    table: String,
    /// The cgroup the suite made, and the one the process came from (as absolute paths).
    cgroup: PathBuf,
    came_from: PathBuf,
}

/// Cuts process `pid` from everything listening on `ports` (on 127.0.0.1), and from
/// whoever connects to its own port `listening` (a NATS node's route port), until
/// [`Partition::heal`]. `tag` names the cgroup and the nftables table, so that partitions
/// of different processes can overlap.
pub fn cut(
    pid: u32,
    ports: &[u16],
    listening: Option<u16>,
    tag: &str,
) -> anyhow::Result<Partition> {
    anyhow::ensure!(!ports.is_empty(), "a partition from no port");
    let root = cgroup2_root()?;
    let name = format!("possync_chaos_{tag}");
    let cgroup = root.join(&name);
    let came_from = root.join(own_cgroup(pid)?.trim_start_matches('/'));
    blackhole::as_root_sh(&format!(
        "mkdir -p {0} && echo {pid} > {0}/cgroup.procs",
        cgroup.display()
    ))?;
    // nft resolves a cgroup's path under /sys/fs/cgroup, wherever cgroup2 is mounted.
    let relative = cgroup.strip_prefix("/sys/fs/cgroup").with_context(|| {
        format!(
            "cgroup2 is mounted at {}, not under /sys/fs/cgroup",
            root.display()
        )
    })?;
    let held = blackhole::flows_of(pid, ports)?;
    let mut rules = blackhole::flow_rules(&held);
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    rules.push(format!(
        // Level 1: a child of the hierarchy's root.
        "socket cgroupv2 level 1 \"{}\" tcp dport {{ {} }} drop",
        relative.display(),
        ports.join(", ")
    ));
    if let Some(port) = listening {
        // Every packet to and from it, connections held and new ones.
        rules.push(format!("tcp dport {port} drop"));
        rules.push(format!("tcp sport {port} drop"));
    }
    let partition = Partition {
        pid,
        table: name,
        cgroup,
        came_from,
    };
    if let Err(err) = blackhole::add_table(&partition.table, &rules) {
        let _ = partition.put_back();
        return Err(err);
    }
    Ok(partition)
}

impl Partition {
    /// Lets packets through again and puts the process back where it was (if it still runs).
    pub fn heal(self) -> anyhow::Result<()> {
        blackhole::heal(&self.table)?;
        self.put_back()
    }

    fn put_back(&self) -> anyhow::Result<()> {
        if std::path::Path::new(&format!("/proc/{}", self.pid)).exists() {
            // The process may have died in between: a failed move is not an error.
            let _ = blackhole::as_root_sh(&format!(
                "echo {} > {}/cgroup.procs",
                self.pid,
                self.came_from.display()
            ));
        }
        blackhole::as_root_sh(&format!("rmdir {}", self.cgroup.display()))
    }
}

/// Where cgroup2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
fn cgroup2_root() -> anyhow::Result<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts")?;
    mounts
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.get(2) == Some(&"cgroup2"))
        .and_then(|fields| fields.get(1).map(PathBuf::from))
        .context("cgroup2 is not mounted: partitions need it")
}

/// The process's cgroup (v2), as `/proc/PID/cgroup` names it.
fn own_cgroup(pid: u32) -> anyhow::Result<String> {
    let listed = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .with_context(|| format!("process {pid} is not running"))?;
    listed
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(str::to_owned)
        .context("the process has no cgroup v2")
}
