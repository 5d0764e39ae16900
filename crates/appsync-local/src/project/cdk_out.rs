//! A `cdk synth` output directory: `manifest.json` names the stacks (and nested assemblies, for
//! stages), each stack's template and asset manifest; nested stacks (`AWS::CloudFormation::Stack`,
//! as Amplify Gen 2 writes them) are followed through their `TemplateURL`'s asset.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::intrinsics::{At, Intrinsics};
use super::read::{self, ApiType, Assets};
use super::template_file;
use crate::error::{Error, Kind};

/// A stack of the assembly.
struct Stack {
    /// The artifact id (`MyStack`) and the names it also answers to (`displayName`, `stackName`).
    names: Vec<String>,
    template: PathBuf,
    asset_manifests: Vec<PathBuf>,
}

fn read_json(path: &Path, what: &str) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(Kind::Project, format!("could not read {what} {}", path.display())).with_source(e)
    })?;
    template_file::parse(&text, &path.display().to_string())
}

/// Every stack of the assembly in `dir`, nested assemblies (stages) included.
fn stacks(dir: &Path, depth: usize, out: &mut Vec<Stack>) -> Result<(), Error> {
    let manifest_path = dir.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(Error::new(
            Kind::Project,
            format!(
                "{} has no manifest.json: give the directory `cdk synth` writes (cdk.out)",
                dir.display()
            ),
        ));
    }
    let manifest = read_json(&manifest_path, "the cloud assembly manifest")?;
    let Some(artifacts) = manifest.get("artifacts").and_then(Value::as_object) else {
        return Err(Error::new(
            Kind::Project,
            format!("{}: expected an `artifacts` map", manifest_path.display()),
        ));
    };
    for (id, artifact) in artifacts {
        let properties = artifact.get("properties");
        let prop = |name: &str| properties.and_then(|p| p.get(name)).and_then(Value::as_str);
        match artifact.get("type").and_then(Value::as_str) {
            Some("aws:cloudformation:stack") => {
                let Some(template) = prop("templateFile") else {
                    return Err(Error::new(
                        Kind::Project,
                        format!("{}: stack {id} has no properties.templateFile", manifest_path.display()),
                    ));
                };
                let mut names = vec![id.clone()];
                names.extend(artifact.get("displayName").and_then(Value::as_str).map(str::to_owned));
                names.extend(prop("stackName").map(str::to_owned));
                let asset_manifests = artifact
                    .get("dependencies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter_map(|dep| artifacts.get(dep))
                    .filter(|a| a.get("type").and_then(Value::as_str) == Some("cdk:asset-manifest"))
                    .filter_map(|a| a.get("properties").and_then(|p| p.get("file")).and_then(Value::as_str))
                    .map(|file| dir.join(file))
                    .collect();
                out.push(Stack { names, template: dir.join(template), asset_manifests });
            }
            Some("cdk:cloud-assembly") if depth < 4 => {
                if let Some(sub) = prop("directoryName") {
                    stacks(&dir.join(sub), depth + 1, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// S3 object key -> local file, from a stack's asset manifests.
fn asset_objects(stack: &Stack) -> Result<HashMap<String, PathBuf>, Error> {
    let mut objects = HashMap::new();
    for path in &stack.asset_manifests {
        let manifest = read_json(path, "the asset manifest")?;
        let base = path.parent().unwrap_or(Path::new("."));
        for asset in manifest.get("files").and_then(Value::as_object).into_iter().flat_map(|f| f.values()) {
            let Some(source) = asset.get("source").and_then(|s| s.get("path")).and_then(Value::as_str) else {
                continue;
            };
            for destination in
                asset.get("destinations").and_then(Value::as_object).into_iter().flat_map(|d| d.values())
            {
                if let Some(key) = destination.get("objectKey").and_then(Value::as_str) {
                    objects.insert(key.to_owned(), base.join(source));
                }
            }
        }
    }
    Ok(objects)
}

/// A template in which to look for the API: the stack's, or a nested stack's with the parameter
/// values its parent passes.
struct Found {
    template: Value,
    shown: String,
    stack_name: String,
    parameters: HashMap<String, Value>,
    apis: Vec<String>,
}

/// The stack's template and its nested stacks' templates, depth first.
fn templates(
    mut current: Found,
    objects: &HashMap<String, PathBuf>,
    region: &str,
    kind: ApiType,
    depth: usize,
    out: &mut Vec<Found>,
) -> Result<(), Error> {
    let mut nested = Vec::new();
    {
        let (template, stack_name, parameters) =
            (&current.template, &current.stack_name, &current.parameters);
        let intrinsics = Intrinsics::new(template, stack_name, region, parameters)?;
        for (id, resource) in intrinsics.resources() {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::CloudFormation::Stack")
                || depth >= 4
            {
                continue;
            }
            let properties = resource.get("Properties");
            let at = At { resource: id, property: "TemplateURL" };
            let url = properties
                .and_then(|p| p.get("TemplateURL"))
                .ok_or_else(|| at.error("missing; expected the nested template's URL"))?;
            let url = intrinsics.string(url, at)?;
            let key = url.rsplit('/').next().unwrap_or(&url);
            let Some(file) = objects.get(key) else {
                return Err(at.error(format!("{url}: no asset of the cdk.out has the object key {key:?}")));
            };
            let mut given = HashMap::new();
            if let Some(values) = properties.and_then(|p| p.get("Parameters")) {
                let at = At { resource: id, property: "Parameters" };
                if let Some(Value::Object(values)) = intrinsics.resolve(values, at)? {
                    given.extend(values);
                }
            }
            nested.push((file.clone(), format!("{stack_name}/{id}"), given));
        }
    }
    current.apis = read::api_ids(&current.template, kind);
    out.push(current);
    for (file, stack_name, parameters) in nested {
        let shown = file.display().to_string();
        let template = read_json(&file, "the nested stack template")?;
        let found = Found { template, shown, stack_name, parameters, apis: Vec::new() };
        templates(found, objects, region, kind, depth + 1, out)?;
    }
    Ok(())
}

/// Reads the API of type `kind` of the chosen stack with `reader` (given the API's template and its
/// nested stacks' templates, the assets, and the API's logical id).
pub(crate) fn read<T>(
    dir: &Path,
    stack: Option<&str>,
    api: Option<&str>,
    region: &str,
    kind: ApiType,
    reader: impl FnOnce(&[read::Context<'_>], &Assets, &str) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut all = Vec::new();
    stacks(dir, 0, &mut all)?;
    let chosen = match stack {
        Some(wanted) => all
            .into_iter()
            .find(|s| s.names.iter().any(|n| n == wanted))
            .ok_or_else(|| Error::new(Kind::Project, format!("{} has no stack {wanted}", dir.display())))?,
        None => {
            let names: Vec<String> = all.iter().map(|s| s.names[0].clone()).collect();
            let with_appsync: Vec<Stack> = all
                .into_iter()
                .filter(|s| {
                    std::fs::read_to_string(&s.template).is_ok_and(|t| {
                        t.contains(&format!("\"{}\"", kind.resource_type()))
                            || t.contains("AWS::CloudFormation::Stack")
                    })
                })
                .collect();
            match <[Stack; 1]>::try_from(with_appsync) {
                Ok([one]) => one,
                Err(rest) if rest.is_empty() => {
                    return Err(Error::no_api(format!(
                        "no stack of {} defines an AppSync API (stacks: {})",
                        dir.display(),
                        names.join(", ")
                    )));
                }
                Err(rest) => {
                    let names: Vec<&str> = rest.iter().map(|s| s.names[0].as_str()).collect();
                    return Err(Error::new(
                        Kind::Project,
                        format!(
                            "{} has several stacks ({}): choose one with --stack",
                            dir.display(),
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let objects = asset_objects(&chosen)?;
    let template = read_json(&chosen.template, "the stack template")?;
    let mut found = Vec::new();
    let stack_name = chosen.names.last().cloned().unwrap_or_default();
    let root = Found {
        template,
        shown: chosen.template.display().to_string(),
        stack_name,
        parameters: HashMap::new(),
        apis: Vec::new(),
    };
    templates(root, &objects, region, kind, 0, &mut found)?;
    let candidates: Vec<&Found> = found
        .iter()
        .filter(|f| match api {
            Some(wanted) => f.apis.iter().any(|a| a == wanted),
            None => !f.apis.is_empty(),
        })
        .collect();
    let target = match candidates.as_slice() {
        [one] => *one,
        [] => {
            let all: Vec<String> = found.iter().flat_map(|f| f.apis.iter().cloned()).collect();
            let shown = chosen.template.display().to_string();
            read::choose_api(&all, api, &shown, kind)?;
            return Err(Error::new(Kind::Project, format!("{shown}: no {} found", kind.resource_type())));
        }
        several => {
            let all: Vec<String> = several.iter().flat_map(|f| f.apis.iter().cloned()).collect();
            return Err(Error::new(
                Kind::Project,
                format!(
                    "the stack has several APIs of type {} ({}): choose one by its logical id (--api)",
                    kind.resource_type(),
                    all.join(", ")
                ),
            ));
        }
    };
    let chosen_api = read::choose_api(&target.apis, api, &target.shown, kind)?;
    // The API's template, then its nested stacks' (their names extend its name).
    let prefix = format!("{}/", target.stack_name);
    let contexts = std::iter::once(target)
        .chain(found.iter().filter(|f| f.stack_name.starts_with(&prefix)))
        .map(|f| {
            Ok(read::Context {
                intrinsics: Intrinsics::new(&f.template, &f.stack_name, region, &f.parameters)?,
                shown: f.shown.clone(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    reader(&contexts, &Assets::CdkOut { objects }, &chosen_api)
}
