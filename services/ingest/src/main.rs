//! Runs ingest until Ctrl-C or SIGTERM.

use clap::Parser;
use ingest::config::Config;
use ingest::Application;

// mimalloc hands the 19 MiB that each argon2 login uses back to the system; glibc's malloc
// kept one such block per worker thread (ingest grew to ~160 MB after a few logins).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    shared::telemetry::init(&config.log);
    let app = Application::build(config).await?;
    app.run_until_stopped(shared::shutdown::on_signal()).await
}
