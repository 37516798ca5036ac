//! Full disks: `scripts/run-cluster.sh` (with `CLUSTER_SMALL_DISKS=1`) puts each NATS node's
//! store and each MariaDB's data directory on a filesystem of their own (a sparse
//! ext4 image); a fault fills one to the last byte with filler files, holds, and deletes
//! them. What happens then is MariaDB's and NATS's own (`docs/operations.md`, "Full disks").

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::blackhole::as_root_sh;
use crate::cluster::Process;

/// The filesystem a process keeps its data on: the NATS node's JetStream store (next to
/// its config file), or MariaDB's `--datadir`.
pub fn data_mount(process: &Process) -> anyhow::Result<PathBuf> {
    let dir = match process.listed.role.as_str() {
        "nats" => Path::new(process.arg("-c").context("a NATS node without -c")?)
            .with_file_name("jetstream"),
        _ => PathBuf::from(
            process
                .arg("--datadir")
                .context("a MariaDB without --datadir")?,
        ),
    };
    let own = std::fs::metadata(&dir)?.dev();
    let parent = std::fs::metadata(dir.parent().context("no parent")?)?.dev();
    if own == parent {
        bail!(
            "{} is not a filesystem of its own: start the cluster with CLUSTER_SMALL_DISKS=1",
            dir.display()
        );
    }
    Ok(dir)
}

/// Fills the filesystem at `mount` to the last byte: one file for nearly all of it, then
/// another written until the disk refuses.
pub fn fill(mount: &Path) -> anyhow::Result<()> {
    let available = free_bytes(mount)?;
    let most = available.saturating_sub(1 << 20);
    let bulk = mount.join("possync-chaos-filler");
    let rest = mount.join("possync-chaos-filler-rest");
    as_root_sh(&format!(
        "fallocate -l {most} {} && (dd if=/dev/zero of={} bs=4k 2>/dev/null; true)",
        bulk.display(),
        rest.display()
    ))?;
    let left = free_bytes(mount)?;
    anyhow::ensure!(
        left < 1 << 16,
        "{} still has {left} bytes free",
        mount.display()
    );
    Ok(())
}

/// Deletes the filler files.
pub fn free(mount: &Path) -> anyhow::Result<()> {
    as_root_sh(&format!(
        "rm -f {0}/possync-chaos-filler {0}/possync-chaos-filler-rest",
        mount.display()
    ))
}

fn free_bytes(mount: &Path) -> anyhow::Result<u64> {
    let output = std::process::Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(mount)
        .output()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .with_context(|| format!("df cannot read {}", mount.display()))
}
