//! `rayod`: the Rayo Lightning node daemon. Parses the flags, installs the
//! log subscriber and the panic policy, and runs [`rayo_node::daemon`].

use rayo_node::config::{Config, ConfigError};

fn main() -> std::process::ExitCode {
    let config = match Config::load(std::env::args().collect()) {
        Ok(config) => config,
        Err(ConfigError::Args(e)) => e.exit(),
        Err(e) => {
            eprintln!("rayod: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // A panic in any task or thread is a bug that may have left state half
    // changed: log it and stop the whole daemon (a restart reloads from the
    // store), rather than leave half a node running.
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "rayod panicked; stopping");
        eprintln!("rayod: panic: {info}");
        std::process::exit(70);
    }));
    match rayo_node::daemon::run(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rayod: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
