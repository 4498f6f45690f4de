//! `karafka`: the same as `cargo karafka`, typed as Karafka users do
//! (`karafka server`, `karafka new my_app`). It runs the `cargo-karafka`
//! installed beside it (or found on PATH) with the same arguments.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let beside = std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(format!("cargo-karafka{}", std::env::consts::EXE_SUFFIX)))
        .filter(|path| path.is_file());
    let mut command =
        Command::new(beside.map_or_else(|| "cargo-karafka".into(), |p| p.into_os_string()));
    command
        .args(std::env::args_os().skip(1))
        .env("KARAFKA_COMMAND_NAME", "karafka");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let error = command.exec();
        eprintln!("error: cannot run cargo-karafka: {error}");
        ExitCode::FAILURE
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .map_or(ExitCode::FAILURE, ExitCode::from),
        Err(error) => {
            eprintln!("error: cannot run cargo-karafka: {error}");
            ExitCode::FAILURE
        }
    }
}
