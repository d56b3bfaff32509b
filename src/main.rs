//! The `specdeploy` command; everything else lives in the library.

fn main() -> std::process::ExitCode {
    specdeploy::cli::main()
}
