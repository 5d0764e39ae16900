//! `appsync check`: what AWS would refuse in a project's resolver and function code and in its
//! Event API's channel namespace handlers, found before deploying it (AWS only answers "The
//! code contains one or more errors").

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use appsync_js::check::{Finding, check, check_events};
use appsync_local::project::{ApiDefinition, EventApiDefinition, ProjectReader};

use crate::usage;

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// A `cdk synth` output directory: every resolver and function of its AppSync API, and every
    /// channel namespace's handlers of its Event API.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["template", "files"])]
    cdk_out: Option<PathBuf>,
    /// The stack to read when the cdk.out holds several.
    #[arg(long, value_name = "NAME", requires = "cdk_out")]
    stack: Option<String>,
    /// The `AWS::AppSync::GraphQLApi` (logical id) when the stack holds several.
    #[arg(long, value_name = "LOGICAL_ID")]
    api: Option<String>,
    /// A CloudFormation template (JSON or YAML): every resolver and function of its API, and its
    /// Event API's namespace handlers.
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    template: Option<PathBuf>,
    /// Resolver or function files (ES modules exporting `request` and `response`).
    #[arg(value_name = "FILE.js")]
    files: Vec<PathBuf>,
}

/// One piece of code to check: what it is (`Query.hello`, `function greetingUpper`), where it
/// is, and its text.
pub(crate) struct Unit {
    pub(crate) label: Option<String>,
    pub(crate) path: String,
    pub(crate) text: String,
    /// A channel namespace's handlers (`onPublish`/`onSubscribe`) rather than a resolver's.
    pub(crate) events: bool,
}

/// Every resolver's and function's code in the project.
pub(crate) fn project_units(api: &ApiDefinition) -> Vec<Unit> {
    let resolvers = api.resolvers.iter().filter_map(|r| {
        r.code.as_ref().map(|c| Unit {
            label: Some(format!("resolver {}.{}", r.type_name, r.field_name)),
            path: c.path.clone(),
            text: c.text.clone(),
            events: false,
        })
    });
    let functions = api.functions.iter().filter_map(|f| {
        f.code.as_ref().map(|c| Unit {
            label: Some(format!("function {}", f.name)),
            path: c.path.clone(),
            text: c.text.clone(),
            events: false,
        })
    });
    resolvers.chain(functions).collect()
}

/// Every channel namespace's handler code in the Event API (`CodeHandlers` inline, or the
/// `CodeS3Location` asset), checked by the same rules as resolvers.
pub(crate) fn event_units(api: &EventApiDefinition) -> Vec<Unit> {
    api.namespaces
        .iter()
        .filter_map(|ns| {
            ns.code.as_ref().map(|c| Unit {
                label: Some(format!("channel namespace {}", ns.name)),
                path: c.path.clone(),
                text: c.text.clone(),
                events: true,
            })
        })
        .collect()
}

/// The code of the project's GraphQL API and of its Event API, each read when the project has
/// it (at least one is needed).
fn all_project_units(reader: ProjectReader) -> anyhow::Result<Vec<Unit>> {
    let events = match reader.clone().read_events() {
        Ok(events) => Some(events),
        Err(e) if e.is_no_api() => None,
        Err(e) => return Err(project_error(e)),
    };
    let mut units = match reader.read() {
        Ok(api) => project_units(&api),
        Err(e) if e.is_no_api() && events.is_some() => Vec::new(),
        Err(e) => return Err(project_error(e)),
    };
    units.extend(events.as_ref().map(event_units).unwrap_or_default());
    Ok(units)
}

/// Checks `units`; returns each unit's findings, for units that have any.
pub(crate) fn check_units(units: &[Unit]) -> Vec<(&Unit, Vec<Finding>)> {
    units
        .iter()
        .map(|u| (u, if u.events { check_events(&u.text, &u.path) } else { check(&u.text, &u.path) }))
        .filter(|(_, findings)| !findings.is_empty())
        .collect()
}

/// The reader of the project `--cdk-out` or `--template` names; `None` without either.
pub(crate) fn project_reader(
    cdk_out: Option<&PathBuf>,
    template: Option<&PathBuf>,
    stack: Option<&str>,
    api: Option<&str>,
    region: &str,
) -> anyhow::Result<Option<ProjectReader>> {
    let reader = match (cdk_out, template) {
        (Some(dir), None) => ProjectReader::cdk_out(dir),
        (None, Some(file)) => ProjectReader::template(file),
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => return Err(usage("give --cdk-out or --template, not both")),
    };
    let reader = match stack {
        Some(stack) => reader.stack(stack),
        None => reader,
    };
    let reader = match api {
        Some(api) => reader.api(api),
        None => reader,
    };
    Ok(Some(reader.region(region)))
}

/// A project reading error as a usage error: the whole chain in one line, so that a missing
/// file says which and why.
pub(crate) fn project_error(e: appsync_local::Error) -> anyhow::Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    usage(message)
}

/// Prints the findings to `out`, one `file:line:col: rule: explanation` per line; returns how many.
pub(crate) fn print_findings(
    out: &mut impl std::io::Write,
    found: &[(&Unit, Vec<Finding>)],
) -> std::io::Result<usize> {
    let mut count = 0;
    for (unit, findings) in found {
        for finding in findings {
            // An asset's file name says little: name the resolver or function it belongs to.
            match &unit.label {
                Some(label) => writeln!(out, "{finding} [{label}]")?,
                None => writeln!(out, "{finding}")?,
            }
            count += 1;
        }
    }
    Ok(count)
}

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let project = project_reader(
        args.cdk_out.as_ref(),
        args.template.as_ref(),
        args.stack.as_deref(),
        args.api.as_deref(),
        "us-east-1",
    )?;
    let units = match project {
        Some(reader) => all_project_units(reader)?,
        None if args.files.is_empty() => {
            return Err(usage(
                "nothing to check: give --cdk-out DIR, --template FILE or resolver files (FILE.js...)",
            ));
        }
        None => {
            if args.api.is_some() {
                return Err(usage("--api needs --cdk-out or --template"));
            }
            let mut units = Vec::new();
            for file in &args.files {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| usage(format!("could not read {}: {e}", file.display())))?;
                units.push(Unit { label: None, path: file.display().to_string(), text, events: false });
            }
            units
        }
    };
    let found = check_units(&units);
    let mut out = std::io::stdout().lock();
    let count = print_findings(&mut out, &found)?;
    out.flush()?;
    let what = match units.len() {
        1 => "1 resolver, function or handler module".to_owned(),
        n => format!("{n} resolvers, functions and handler modules"),
    };
    if count == 0 {
        eprintln!("appsync check: {what} checked, nothing AWS would refuse");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "appsync check: {count} finding(s) in {} of {what}; AWS would refuse this code at deploy time",
            found.len()
        );
        Ok(ExitCode::from(1))
    }
}
