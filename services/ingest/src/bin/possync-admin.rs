//! Operator commands: create clients, branches and users, seed the demo tenant, back up and
//! restore the database, promote a replica, or renew its epoch after a failover.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ingest::accounts::{self, NewUser};
use ingest::demo::{self, Seeded};
use secrecy::{ExposeSecret, SecretString};
use shared::config::DatabaseConfig;
use shared::token::Role;

#[derive(Parser)]
#[command(name = "possync-admin", about = "possync operator commands")]
struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a client (tenant); prints its id.
    CreateClient {
        #[arg(long)]
        name: String,
    },
    /// Create a branch of a client; prints its id.
    CreateBranch {
        #[arg(long)]
        client_id: u64,
        #[arg(long)]
        name: String,
    },
    /// Create a user; prints its id.
    CreateUser {
        #[arg(long)]
        client_id: u64,
        #[arg(long)]
        branch_id: u64,
        #[arg(long)]
        username: String,
        /// At least 8 characters; prefer the environment variable to keep it out of `ps`.
        #[arg(long, env = "POSSYNC_USER_PASSWORD", hide_env_values = true)]
        password: SecretString,
        #[arg(long, value_parser = ["super_admin", "admin", "cashier"])]
        role: String,
    },
    /// Create the demo tenant (client 1, branches 1 and 2, admin/cashier1/cashier2).
    SeedDemo,
    /// After a restore or a replica promotion: a new database epoch, so every device
    /// pushes again what the server lost and resyncs; prints the epoch.
    NewEpoch,
    /// Dump the database to a file (mariadb-dump, one consistent snapshot, no locks).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Make the replica DATABASE_URL names the primary, after the primary died (stop it
    /// first): applies what it received, stops replicating, turns read_only off and gives
    /// the database a new epoch; prints the last transaction applied and the epoch.
    Promote {
        /// Seconds to wait for the replica to apply what it received.
        #[arg(long, default_value_t = 60)]
        wait_seconds: u64,
    },
    /// Load a dump made by `backup` (stop ingest and the janitor first), then give the
    /// database a new epoch; prints the epoch.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let pool = shared::storage::connect(&cli.database, shared::storage::Traffic::Light).await?;
    match cli.command {
        Command::CreateClient { name } => println!("{}", accounts::create_client(&pool, &name).await?),
        Command::CreateBranch { client_id, name } => {
            println!("{}", accounts::create_branch(&pool, client_id, &name).await?)
        }
        Command::CreateUser { client_id, branch_id, username, password, role } => {
            let role = Role::parse(&role).expect("clap checked the role");
            let password = password.expose_secret();
            let user = NewUser { client_id, branch_id, username: &username, password, role };
            println!("{}", accounts::create_user(&pool, &user).await?);
        }
        Command::SeedDemo => match demo::seed(&pool).await? {
            Seeded::Created { client_id, branch_ids } => println!(
                "DEMO ONLY: seeded client {client_id} with branches {branch_ids:?}; users admin, cashier1, cashier2 with password '{}'",
                demo::DEMO_PASSWORD
            ),
            Seeded::AlreadyThere => println!("demo tenant already present"),
        },
        Command::NewEpoch => println!("{}", ingest::epoch::renew(&pool).await?),
        Command::Promote { wait_seconds } => {
            let wait = std::time::Duration::from_secs(wait_seconds);
            let promoted = ingest::promote::promote(&pool, wait).await?;
            println!("applied {}; epoch {}", promoted.applied, promoted.epoch);
        }
        Command::Backup { out } => ingest::backup::dump(&cli.database, &out).await?,
        Command::Restore { from } => {
            println!("{}", ingest::backup::restore(&cli.database, &pool, &from).await?)
        }
    }
    Ok(())
}
