//! `appsync completions SHELL`: the shell's completion script, generated from the same clap
//! definitions that parse the arguments, so it never lags behind a new flag.

use std::process::ExitCode;

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::Shell;

/// The shells completions are generated for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    shell: CompletionShell,
}

pub(crate) fn run<C: CommandFactory>(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = C::command();
    clap_complete::generate(shell, &mut command, "appsync", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
