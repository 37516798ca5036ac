//! Runs janitor until Ctrl-C or SIGTERM.

use clap::Parser;
use janitor::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    shared::telemetry::init(&config.log);
    let app = Application::build(config).await?;
    app.run_until_stopped(shared::shutdown::on_signal()).await
}
