fn main() -> std::process::ExitCode {
    specdeploy::cli::main()
}
