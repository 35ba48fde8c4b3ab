use clap::Parser;
use pgredis::config::{Cli, CliCommand};

fn main() -> std::process::ExitCode {
    let Cli {
        command: CliCommand::Server(config),
    } = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(format!("pgredis={}", config.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("pgredis=info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    match pgredis::run(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
