//! `appsync local --cdk-out DIR | --template FILE`: reading the project, refusing code AWS would
//! refuse, and saying once, at start, what was found and what is not emulated.

use appsync_local::project::{ApiDefinition, ResolverKind};

use crate::check::{check_units, print_findings, project_units, read_project};
use crate::local::LocalArgs;
use crate::usage;

/// The project the arguments name, checked; `None` without `--cdk-out`/`--template`.
pub(crate) fn load(args: &LocalArgs) -> anyhow::Result<Option<ApiDefinition>> {
    if args.api.is_some() && args.cdk_out.is_none() && args.template.is_none() {
        return Err(usage("--api needs --cdk-out or --template"));
    }
    let Some(api) = read_project(
        args.cdk_out.as_ref(),
        args.template.as_ref(),
        args.stack.as_deref(),
        args.api.as_deref(),
        &args.region,
    )?
    else {
        return Ok(None);
    };
    // AWS refuses such code at deploy time; serving it would pretend it works.
    let units = project_units(&api);
    let found = check_units(&units);
    if !found.is_empty() {
        let mut err = std::io::stderr().lock();
        let count = print_findings(&mut err, &found)?;
        anyhow::bail!(
            "{count} finding(s) in the project's code: AWS would refuse it at deploy time, so appsync local does not serve it (`appsync check` lists the same)"
        );
    }
    Ok(Some(api))
}

/// What `appsync local` prints about the project at start.
pub(crate) fn describe(api: &ApiDefinition) -> Vec<String> {
    let mut lines =
        vec![format!("appsync local: API {} ({}) from {}", api.name, api.logical_id, api.template)];
    let pipelines = api.resolvers.iter().filter(|r| r.kind == ResolverKind::Pipeline).count();
    let sources: Vec<String> =
        api.data_sources.iter().map(|d| format!("{} {}", d.kind.type_name(), d.name)).collect();
    lines.push(format!(
        "  {} ({pipelines} pipeline), {}, {} ({}), {}",
        count(api.resolvers.len(), "resolver"),
        count(api.functions.len(), "function"),
        count(api.data_sources.len(), "data source"),
        sources.join(", "),
        count(api.tables.len(), "DynamoDB table"),
    ));
    if !api.environment.is_empty() {
        let names: Vec<&str> = api.environment.keys().map(String::as_str).collect();
        lines.push(format!("  environment variables: {}", names.join(", ")));
    }
    let runnable = api
        .resolvers
        .iter()
        .filter(|r| r.type_name != "Subscription")
        .filter(|r| {
            !api.unsupported
                .iter()
                .any(|u| u.field.as_deref() == Some(&format!("{}.{}", r.type_name, r.field_name)))
        })
        .count();
    if runnable > 0 {
        lines.push(format!(
            "  resolvers do not run yet: {} {} an AppSyncLocal:NotImplemented error (subscriptions still deliver their mutations' results, unfiltered)",
            count(runnable, "field"),
            if runnable == 1 { "answers" } else { "answer" }
        ));
    }
    for note in &api.unsupported {
        lines.push(format!("  not emulated: {note}"));
    }
    lines
}

/// `1 resolver`, `2 resolvers`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
