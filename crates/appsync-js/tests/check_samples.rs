//! AWS's published resolver samples (vendored under fixtures/aws-appsync-resolver-samples) deploy,
//! so the check finds nothing in them, except in the two files that are not whole modules.

// Helpers outside `#[test]` functions: a failed read is the test failing.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/aws-appsync-resolver-samples")
}

fn js_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            js_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            out.push(path);
        }
    }
}

#[test]
fn aws_samples_pass() {
    let mut files = Vec::new();
    js_files(&samples_dir(), &mut files);
    assert!(files.len() > 40, "the vendored samples are missing: {}", files.len());
    let mut all = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(samples_dir()).unwrap().display().to_string();
        all.extend(appsync_js::check::check(&source, &name).into_iter().map(|f| f.to_string()));
    }
    // Two files are fragments, not deployable as they are: `subquery.js` shows a request only, and
    // `scratch.js` (used by no template) imports local modules that would first have to be bundled.
    let expected = [
        "examples/cloudformation/todo-api-pipeline-cfn/functions/scratch.js:2:1: unsupported-import",
        "examples/cloudformation/todo-api-pipeline-cfn/functions/scratch.js:3:1: unsupported-import",
        "samples/rds/queries/subquery.js:1:1: missing-export",
    ];
    let found: Vec<String> =
        all.iter().map(|f| f.splitn(5, ':').take(4).collect::<Vec<_>>().join(":")).collect();
    assert_eq!(found, expected, "findings in AWS's own samples:\n{}", all.join("\n"));
}
