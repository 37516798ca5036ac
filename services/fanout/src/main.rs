//! Runs fanout until Ctrl-C or SIGTERM.

use clap::Parser;
use fanout::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    shared::telemetry::init(&config.log);
    let app = Application::build(config).await?;
    app.run_until_stopped(shared::shutdown::on_signal()).await
}
