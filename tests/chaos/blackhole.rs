//! Half-open NATS connections: nftables drops every packet, both ways, of the TCP
//! connections a process holds to NATS, without a reset. Neither side hears of it; the
//! process finds out only when its client's pings go unanswered. A new connection (new
//! port) gets through, as after a NAT or firewall forgot a flow.

use std::process::Command;

use anyhow::{bail, Context};

/// A TCP connection as (local port, peer port), both on 127.0.0.1.
pub type Flow = (u16, u16);

/// The established connections of process `pid` to any of `ports`.
pub fn flows_of(pid: u32, ports: &[u16]) -> anyhow::Result<Vec<Flow>> {
    let output = Command::new("ss")
        .args(["-Htnp", "state", "established"])
        .output()
        .context("ss (iproute2) is not installed")?;
    let owner = format!("pid={pid},");
    let port_of = |address: &str| address.rsplit(':').next()?.parse::<u16>().ok();
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(&owner))
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            Some((port_of(columns.get(2)?)?, port_of(columns.get(3)?)?))
        })
        .filter(|(_, peer)| ports.contains(peer))
        .collect())
}

/// `program`, through `sudo` for a user who is not root (as `scripts/deps.sh` installs).
pub fn as_root(program: &str) -> Command {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(2) == Some("0"))
    });
    if root {
        Command::new(program)
    } else {
        let mut command = Command::new("sudo");
        command.args(["-n", program]);
        command
    }
}

/// Runs a shell script as root (through `sudo -n` for a user who is not).
pub fn as_root_sh(script: &str) -> anyhow::Result<()> {
    let output = as_root("sh").args(["-c", script]).output()?;
    if !output.status.success() {
        bail!(
            "{script}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Runs an nftables script.
pub fn nft(script: &str) -> anyhow::Result<()> {
    let output = as_root("nft")
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(script.as_bytes())?;
            child.wait_with_output()
        })
        .context("nft (nftables) is not installed")?;
    if !output.status.success() {
        bail!("nft: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

/// Adds table `table` whose output chain holds `rules`, one a line.
pub fn add_table(table: &str, rules: &[String]) -> anyhow::Result<()> {
    let mut script = format!(
        "table inet {table} {{\n chain output {{ type filter hook output priority 0; policy accept;\n"
    );
    for rule in rules {
        script.push_str(&format!("  {rule}\n"));
    }
    script.push_str(" }\n}\n");
    nft(&script)
}

/// The rules that drop every packet of `flows`, both ways.
pub fn flow_rules(flows: &[Flow]) -> Vec<String> {
    flows
        .iter()
        .flat_map(|(local, peer)| {
            [
                format!("tcp sport {local} tcp dport {peer} drop"),
                format!("tcp sport {peer} tcp dport {local} drop"),
            ]
        })
        .collect()
}

/// Drops every packet of `flows`, both ways, until [`heal`] of the same `table`.
pub fn drop_flows(table: &str, flows: &[Flow]) -> anyhow::Result<()> {
    add_table(table, &flow_rules(flows))
}

/// Deletes table `table` (and so every rule it added).
pub fn heal(table: &str) -> anyhow::Result<()> {
    nft(&format!("delete table inet {table}\n"))
}
