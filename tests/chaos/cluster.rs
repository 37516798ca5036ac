//! The running cluster as `scripts/run-cluster.sh` lists it in `processes.json`: each
//! process with the command line, environment and output it was started with (read from
//! /proc), so that a fault can SIGKILL it and start it again the same way, or pause it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// One line of `processes.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listed {
    pub role: String,
    pub pid: u32,
    pub port: u16,
}

/// A cluster process and how to start it again.
#[derive(Debug, Clone)]
pub struct Process {
    pub listed: Listed,
    argv: Vec<String>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
    /// Where its standard output went (a log file, or /dev/null).
    output: PathBuf,
}

impl Process {
    fn capture(listed: Listed) -> anyhow::Result<Process> {
        let proc = PathBuf::from(format!("/proc/{}", listed.pid));
        let split = |file: &str| -> anyhow::Result<Vec<String>> {
            let raw = std::fs::read(proc.join(file))
                .with_context(|| format!("{} ({}) is not running", listed.role, listed.pid))?;
            Ok(raw
                .split(|byte| *byte == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect())
        };
        let argv = split("cmdline")?;
        let env = split("environ")?
            .into_iter()
            .filter_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                Some((key.to_owned(), value.to_owned()))
            })
            .collect();
        Ok(Process {
            argv,
            env,
            cwd: std::fs::read_link(proc.join("cwd"))?,
            output: std::fs::read_link(proc.join("fd/1")).unwrap_or("/dev/null".into()),
            listed,
        })
    }

    /// A variable of its environment.
    pub fn env(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a variable of its environment for every later start.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Sets a `--name=value` argument for every later start (added when it has none).
    pub fn set_arg(&mut self, name: &str, value: &str) {
        let prefix = format!("{name}=");
        self.argv.retain(|arg| !arg.starts_with(&prefix));
        self.argv.push(format!("{name}={value}"));
    }

    /// A NATS node's route port: `cluster { listen: … }` in its config file.
    pub fn route_port(&self) -> Option<u16> {
        route_port_in(&std::fs::read_to_string(self.arg("-c")?).ok()?)
    }

    /// The program it runs.
    pub fn program(&self) -> &str {
        &self.argv[0]
    }

    /// The value of a `--name=value` argument, or of a `-c value` pair.
    pub fn arg(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.argv.iter().enumerate().find_map(|(i, arg)| {
            if arg == name {
                return self.argv.get(i + 1).map(String::as_str);
            }
            arg.strip_prefix(&prefix)
        })
    }

    /// The sum of metric `name`'s samples in the process's `/metrics` (0 if unreadable).
    pub async fn metric(&self, name: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.listed.port);
        let Ok(answer) = reqwest::get(url).await else {
            return 0.0;
        };
        let text = answer.text().await.unwrap_or_default();
        text.lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([' ', '{']))
            })
            .filter_map(|line| line.rsplit(' ').next()?.trim().parse::<f64>().ok())
            .sum()
    }

    pub fn name(&self) -> String {
        format!("{} :{}", self.listed.role, self.listed.port)
    }

    fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args([signal, &self.listed.pid.to_string()])
            .status()?;
        if !status.success() {
            bail!("kill {signal} {} failed", self.name());
        }
        Ok(())
    }

    pub fn pause(&self) -> anyhow::Result<()> {
        self.signal("-STOP")
    }

    pub fn resume(&self) -> anyhow::Result<()> {
        self.signal("-CONT")
    }

    /// SIGHUP: NATS reloads its configuration (and turns JetStream back on).
    pub fn reload(&self) -> anyhow::Result<()> {
        self.signal("-HUP")
    }

    /// SIGKILL, then waits until the process is gone.
    pub async fn kill(&self) -> anyhow::Result<()> {
        self.signal("-KILL")?;
        self.gone_within(Duration::from_secs(2), "SIGKILL").await
    }

    /// SIGTERM (a clean shutdown: fanout drains its sockets, MariaDB flushes), then waits
    /// until the process is gone.
    pub async fn terminate(&self) -> anyhow::Result<()> {
        self.signal("-TERM")?;
        self.gone_within(Duration::from_secs(120), "SIGTERM").await
    }

    async fn gone_within(&self, wait: Duration, signal: &str) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        while started.elapsed() < wait {
            if !self.alive() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!("{} survived {signal} for {wait:?}", self.name())
    }

    pub fn alive(&self) -> bool {
        // A killed child of the cluster script stays a zombie until the script reaps it.
        std::fs::read_to_string(format!("/proc/{}/stat", self.listed.pid))
            .map(|stat| !stat.contains(") Z "))
            .unwrap_or(false)
    }

    /// Starts it again as it was started, in a session of its own (so that it outlives
    /// this tool), and takes the new pid.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.restart_with(&[])
    }

    /// [`Process::restart`] with `extra` variables in its environment (this start only).
    pub fn restart_with(&mut self, extra: &[(String, String)]) -> anyhow::Result<()> {
        use std::os::unix::process::CommandExt;
        // Its log file again; a pipe or terminal it wrote to is not there to open.
        let output = std::fs::OpenOptions::new().append(true).open(&self.output);
        let (stdout, stderr) = match output {
            Ok(file) => (Stdio::from(file.try_clone()?), Stdio::from(file)),
            Err(_) => (Stdio::null(), Stdio::null()),
        };
        let child = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .env_clear()
            .envs(self.env.iter().chain(extra).map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {} again", self.name()))?;
        self.listed.pid = child.id();
        // Not waited for: it runs on after this tool; `run-cluster.sh` stops it by its pid.
        std::mem::forget(child);
        Ok(())
    }
}

/// Every process of the cluster.
pub struct Cluster {
    pub processes: Vec<Process>,
    file: PathBuf,
}

impl Cluster {
    pub fn load(file: &Path) -> anyhow::Result<Cluster> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{}: start scripts/run-cluster.sh first", file.display()))?;
        let listed: Vec<Listed> = serde_json::from_str(&text)?;
        let processes = listed
            .into_iter()
            .map(Process::capture)
            .collect::<anyhow::Result<_>>()?;
        Ok(Cluster {
            processes,
            file: file.to_owned(),
        })
    }

    /// Writes the current pids back, so that stopping the cluster stops what was restarted.
    pub fn save(&self) -> anyhow::Result<()> {
        let listed: Vec<&Listed> = self.processes.iter().map(|p| &p.listed).collect();
        std::fs::write(&self.file, serde_json::to_string(&listed)?)?;
        Ok(())
    }

    pub fn of_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = (usize, &'a Process)> {
        self.processes
            .iter()
            .enumerate()
            .filter(move |(_, p)| p.listed.role == role)
    }

    pub fn first<'a>(&'a self, role: &'a str) -> anyhow::Result<&'a Process> {
        self.of_role(role)
            .map(|(_, p)| p)
            .next()
            .with_context(|| format!("no {role} in the cluster"))
    }

    /// The services' `DATABASE_URL` (ingest's), pointed at the MariaDB of `role`.
    pub fn database_url(&self, role: &str) -> anyhow::Result<String> {
        let url = self
            .first("ingest")?
            .env("DATABASE_URL")
            .context("ingest has no DATABASE_URL")?;
        let (server, database) = url
            .rsplit_once(':')
            .and_then(|(server, rest)| Some((server, rest.split_once('/')?.1)))
            .with_context(|| format!("DATABASE_URL {url} names no port and database"))?;
        Ok(format!(
            "{server}:{}/{database}",
            self.first(role)?.listed.port
        ))
    }

    /// The NATS node whose `server_name` (in the config file it was started with) is `name`.
    pub fn nats_named(&self, name: &str) -> Option<usize> {
        self.of_role("nats").find_map(|(index, process)| {
            let config = std::fs::read_to_string(process.arg("-c")?).ok()?;
            config
                .lines()
                .any(|line| line.trim() == format!("server_name: {name}"))
                .then_some(index)
        })
    }
}

/// The port of `cluster { listen: host:port, … }` in a NATS config (as
/// `scripts/run-cluster.sh` writes it, on one line).
fn route_port_in(config: &str) -> Option<u16> {
    let cluster = config
        .lines()
        .find(|line| line.trim_start().starts_with("cluster"))?;
    let listen = cluster.split("listen:").nth(1)?.split(',').next()?;
    listen.trim().rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::route_port_in;

    #[test]
    fn the_route_port_is_read_from_the_cluster_line() {
        let config = "listen: 127.0.0.1:24222\nhttp: 127.0.0.1:28222\n\
            cluster { name: possync, listen: 127.0.0.1:26223, routes: [nats-route://127.0.0.1:26222] }\n";
        assert_eq!(route_port_in(config), Some(26223));
        assert_eq!(route_port_in("listen: 127.0.0.1:4222\n"), None);
    }
}
