//! Runs the janitor until Ctrl-C or SIGTERM, or one sweep with `--once`.

use clap::Parser;
use janitor::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    shared::telemetry::init(&config.log);
    if config.once {
        let report = janitor::sweep_now(&config).await?;
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let app = Application::build(config).await?;
    app.run_until_stopped(shared::shutdown::on_signal()).await
}
