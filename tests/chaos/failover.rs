//! The MariaDB failover, done the way `docs/operations.md` ("Restore and failover") has an
//! operator do it: the primary dies (SIGKILL); after the hold the replica is promoted
//! (`possync-admin promote`: what it received applied, writes on, a new epoch); ingest and
//! the janitors start again on it, then the fanout replicas one by one; the old primary
//! comes back read-only and becomes the new primary's replica (its data replaced by a dump
//! of the new primary). The roles swap in the cluster's list, so later faults hit the new
//! primary, and a second failover promotes the old one again.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::MySqlPool;
use tokio::process::Command;

use crate::faults::{wait_for_port, wait_until_ready, Fault, Injected, Injector};

/// The services that connect to the database, in the order they are stopped cleanly and
/// started again on the new primary: writes first, fanout (a rolling restart that forgets
/// the messages it relayed) last.
const REPOINTED: [&str; 3] = ["ingest", "janitor", "fanout"];

impl Injector {
    /// Fails the primary over to its replica after `hold`.
    pub async fn fail_over(&self, fault: Fault, hold: Duration) -> anyhow::Result<Injected> {
        let (old, new) = {
            let cluster = self.cluster.lock().await;
            let index = |role| cluster.of_role(role).map(|(i, _)| i).next();
            let old = index("mariadb-primary").context("no MariaDB primary")?;
            let new = index("mariadb-replica").context("no MariaDB replica to promote")?;
            (old, new)
        };
        let target = self.process(old).await.name();
        let primary_url = self.cluster.lock().await.database_url("mariadb-primary")?;
        eprintln!(
            "  {:<22} {target}, semi-synchronous: {}",
            fault.name,
            semi_sync_status(&primary_url).await
        );
        let at = self.timeline.now();
        self.process(old).await.kill().await?;
        tokio::time::sleep(hold).await;

        let (admin, replica_url) = {
            let cluster = self.cluster.lock().await;
            let ingest = cluster.first("ingest")?.program();
            let admin = std::path::Path::new(ingest).with_file_name("possync-admin");
            (admin, cluster.database_url("mariadb-replica")?)
        };
        let promoting = Instant::now();
        let promoted = promote(&admin, &replica_url).await?;
        eprintln!(
            "  {:<22} promoted in {} ms: {promoted}",
            fault.name,
            promoting.elapsed().as_millis(),
        );
        {
            let mut cluster = self.cluster.lock().await;
            cluster.processes[old].listed.role = "mariadb-replica".into();
            cluster.processes[new].listed.role = "mariadb-primary".into();
            // Started again as what it is now.
            cluster.processes[old].set_arg("--read-only", "1");
            cluster.processes[new].set_arg("--read-only", "0");
            cluster.save()?;
        }

        let writes_back = self.repoint(&replica_url).await?;

        let rejoining = Instant::now();
        self.cluster.lock().await.processes[old].restart()?;
        self.cluster.lock().await.save()?;
        let old_port = self.process(old).await.listed.port;
        wait_for_port(old_port).await?;
        let old_url = self.cluster.lock().await.database_url("mariadb-replica")?;
        rejoin(&old_url, &replica_url).await?;
        eprintln!(
            "  {:<22} {target} replicates from the new primary again, {} ms after its start",
            fault.name,
            rejoining.elapsed().as_millis()
        );
        Ok(Injected {
            fault: fault.name,
            target,
            at,
            undone: self.timeline.now(),
            writes_back,
            crashed: false,
        })
    }

    /// Stops each service in [`REPOINTED`] cleanly and starts it again on `url`; returns
    /// when the probe's writes were acknowledged again after ingest's restart.
    async fn repoint(&self, url: &str) -> anyhow::Result<Option<f64>> {
        let mut writes_back = None;
        for role in REPOINTED {
            for index in self.indices_of(role).await {
                self.process(index).await.terminate().await?;
                let mut cluster = self.cluster.lock().await;
                cluster.processes[index].set_env("DATABASE_URL", url);
                cluster.processes[index].restart()?;
                cluster.save()?;
                let port = cluster.processes[index].listed.port;
                drop(cluster);
                if role == "fanout" {
                    wait_until_ready(port).await?;
                } else {
                    wait_for_port(port).await?;
                }
            }
            if role == "ingest" {
                writes_back = self.writes_back_after(self.timeline.now()).await;
            }
        }
        Ok(writes_back)
    }
}

/// Runs `possync-admin promote` on the replica of `url`; returns what it printed.
async fn promote(admin: &std::path::Path, url: &str) -> anyhow::Result<String> {
    let promoted = Command::new(admin)
        .arg("promote")
        .env("DATABASE_URL", url)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run {}", admin.display()))?;
    if !promoted.status.success() {
        bail!(
            "possync-admin promote failed: {}",
            String::from_utf8_lossy(&promoted.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&promoted.stdout).trim().to_owned())
}

/// Makes the (read-only) server of `url` a replica of `primary_url`: its binary log reset,
/// its data replaced by a dump of the primary in one snapshot that names the snapshot's
/// transaction (`--gtid --master-data`), loaded without logging it, and replication from
/// there. What the old primary held and the new one never got is dropped with its data.
async fn rejoin(url: &str, primary_url: &str) -> anyhow::Result<()> {
    let server = MySqlPool::connect(url).await?;
    let (host, port, database) = address(primary_url)?;
    let (_, own_port, _) = address(url)?;
    sqlx::raw_sql(&format!(
        "STOP SLAVE; RESET MASTER; CHANGE MASTER TO MASTER_HOST='{host}', MASTER_PORT={port}, \
         MASTER_USER='root', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1"
    ))
    .execute(&server)
    .await?;
    let mut dump = Command::new("mariadb-dump")
        .args([
            &format!("--host={host}"),
            &format!("--port={port}"),
            "--user=root",
        ])
        .args([
            "--single-transaction",
            "--quick",
            "--gtid",
            "--master-data=1",
        ])
        .args(["--databases", &database])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run mariadb-dump")?;
    let into: Stdio = dump
        .stdout
        .take()
        .context("the dump's output")?
        .try_into()?;
    let load = Command::new("mariadb")
        .args([
            &format!("--host={host}"),
            &format!("--port={own_port}"),
            "--user=root",
        ])
        .arg("--init-command=SET SESSION sql_log_bin = 0")
        .stdin(into)
        .output()
        .await
        .context("cannot run mariadb")?;
    let dumped = dump.wait_with_output().await?;
    if !dumped.status.success() || !load.status.success() {
        bail!(
            "copying the new primary failed: {} {}",
            String::from_utf8_lossy(&dumped.stderr).trim(),
            String::from_utf8_lossy(&load.stderr).trim()
        );
    }
    sqlx::raw_sql("START SLAVE").execute(&server).await?;
    server.close().await;
    Ok(())
}

/// Whether the primary waits for its replica before it acknowledges a commit
/// (`Rpl_semi_sync_master_status`): if not, a promotion may lose its last commits.
async fn semi_sync_status(url: &str) -> String {
    let read = async {
        let server = MySqlPool::connect(url).await?;
        let (_, status): (String, String) =
            sqlx::query_as("SHOW STATUS LIKE 'Rpl_semi_sync_master_status'")
                .fetch_one(&server)
                .await?;
        server.close().await;
        anyhow::Ok(status)
    };
    read.await
        .unwrap_or_else(|err| format!("unknown ({err:#})"))
}

/// Host, port and database of a `mysql://user@host:port/database` URL.
fn address(url: &str) -> anyhow::Result<(String, u16, String)> {
    let rest = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
    let (host, rest) = rest.split_once(':').context("a URL without a port")?;
    let (port, database) = rest.split_once('/').context("a URL without a database")?;
    Ok((host.to_owned(), port.parse()?, database.to_owned()))
}
