//! The deploy-time check: what AWS refuses when APPSYNC_JS code is deployed, found before it is.
//!
//! AppSync parses and type-checks a resolver's or function's code when it is created or updated
//! and refuses it with only "The code contains one or more errors". [`check`] parses the code
//! with oxc and names every construct the runtime does not support (the list in AWS's guide,
//! "Supported runtime features", and the base rules of `@aws-appsync/eslint-plugin`), the
//! `request`/`response` exports the runtime calls, the modules it can import, and the members of
//! `util`, `runtime` and `extensions` it knows, each with the line, the column and what to write
//! instead.
//!
//! ```
//! let findings = appsync_js::check::check(
//!     "export function request(ctx) {\n  let i = 0;\n  i++;\n  return {};\n}\nexport function response(ctx) { return ctx.result; }\n",
//!     "resolvers/getPost.js",
//! );
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule().id(), "no-disallowed-unary-operators");
//! assert!(findings[0].to_string().starts_with("resolvers/getPost.js:3:3: no-disallowed-unary-operators: "));
//! ```

mod members;
mod rules;

use std::fmt;

use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;

/// One thing AWS would refuse, where it is and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    file: String,
    line: u32,
    column: u32,
    rule: Rule,
    message: String,
}

impl Finding {
    /// The name the code was checked under (a path, or `Type.field` for inline code).
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, from 1.
    #[must_use]
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column, from 1, in characters.
    #[must_use]
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The rule the code breaks.
    #[must_use]
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What is wrong and what to write instead.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file, self.line, self.column, self.rule.id(), self.message)
    }
}

/// The rules [`check`] applies. The ids are `@aws-appsync/eslint-plugin`'s where it has the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The code does not parse as an ES module.
    SyntaxError,
    /// `request` or `response` is not exported.
    MissingExport,
    /// Empty code, or longer than the 32,768 characters AppSync accepts.
    CodeSize,
    /// An import of a module other than `@aws-appsync/utils` and its submodules.
    UnsupportedImport,
    /// A member of `util`, `runtime` or `extensions` that the runtime does not have.
    UnknownUtilMember,
    /// `try`/`catch`/`finally`.
    NoTry,
    /// `throw`.
    NoThrow,
    /// `while` and `do ... while`.
    NoWhile,
    /// `for (init; test; update)`.
    NoFor,
    /// `continue`.
    NoContinue,
    /// Labeled statements.
    NoLabels,
    /// `++`, `--` and `~`.
    NoDisallowedUnaryOperators,
    /// The `in` operator.
    NoInOperator,
    /// `instanceof`.
    NoDisallowedBinaryOperators,
    /// `async` functions.
    NoAsync,
    /// `await`.
    NoAwait,
    /// Promises.
    NoPromise,
    /// Classes.
    NoClasses,
    /// Generator functions.
    NoGenerators,
    /// `yield`.
    NoYield,
    /// `this`.
    NoThis,
    /// Regular expression literals.
    NoRegex,
    /// Assigning `ctx` or one of its own properties.
    NoDisallowedReAssignment,
}

impl Rule {
    /// The rule's id as printed (`no-try`, `syntax-error`...).
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::SyntaxError => "syntax-error",
            Self::MissingExport => "missing-export",
            Self::CodeSize => "code-size",
            Self::UnsupportedImport => "unsupported-import",
            Self::UnknownUtilMember => "unknown-util-member",
            Self::NoTry => "no-try",
            Self::NoThrow => "no-throw",
            Self::NoWhile => "no-while",
            Self::NoFor => "no-for",
            Self::NoContinue => "no-continue",
            Self::NoLabels => "no-labels",
            Self::NoDisallowedUnaryOperators => "no-disallowed-unary-operators",
            Self::NoInOperator => "no-in-operator",
            Self::NoDisallowedBinaryOperators => "no-disallowed-binary-operators",
            Self::NoAsync => "no-async",
            Self::NoAwait => "no-await",
            Self::NoPromise => "no-promise",
            Self::NoClasses => "no-classes",
            Self::NoGenerators => "no-generators",
            Self::NoYield => "no-yield",
            Self::NoThis => "no-this",
            Self::NoRegex => "no-regex",
            Self::NoDisallowedReAssignment => "no-disallowed-re-assignment",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The longest code AppSync accepts for a resolver or function, in characters.
pub const MAX_CODE_CHARS: usize = 32_768;

/// Checks one resolver's or function's code, as AppSync would when it is deployed.
///
/// `name` is what findings are reported under (the file's path, or `Type.field` for code inlined
/// in a template). The findings are in source order; none means AWS would accept the code as far
/// as these rules know. A syntax error is reported as such, with the other findings the parser
/// could still reach.
#[must_use]
pub fn check(source: &str, name: &str) -> Vec<Finding> {
    check_module(source, name, Exports::Resolver)
}

/// Checks an AppSync Events channel namespace's handler code (`CodeHandlers`, or the file
/// `CodeS3Location` names) by the same rules: the same runtime runs it. It must export
/// `onPublish` or `onSubscribe` (or both), each a function or, with a data source integration,
/// a `{request, response}` object, instead of `request` and `response`.
#[must_use]
pub fn check_events(source: &str, name: &str) -> Vec<Finding> {
    check_module(source, name, Exports::EventHandlers)
}

/// What a module must export.
#[derive(Clone, Copy)]
enum Exports {
    /// A resolver or function: `request` and `response`.
    Resolver,
    /// A channel namespace: `onPublish`, `onSubscribe` or both.
    EventHandlers,
}

fn check_module(source: &str, name: &str, exports: Exports) -> Vec<Finding> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    let lines = LineIndex::new(source);
    let mut raw: Vec<(u32, Rule, String)> = Vec::new();
    // AppSync's API reference: `code` is 1 to 32,768 characters long (Resolver, FunctionConfiguration).
    let length = source.chars().count();
    if length > MAX_CODE_CHARS {
        // AWS's bundling guide: a source map may be included, its sources' content not.
        let map_hint = if source.contains("sourceMappingURL=data:") {
            "; the inline source map counts too: leave the sources out of it (esbuild `--sources-content=false`)"
        } else {
            ""
        };
        raw.push((
            0,
            Rule::CodeSize,
            format!(
                "the code is {length} characters long; AppSync accepts at most {MAX_CODE_CHARS}: minify the bundle (esbuild `--minify`) or split the work into pipeline functions{map_hint}"
            ),
        ));
    } else if source.trim().is_empty() {
        let needed = match exports {
            Exports::Resolver => "`request` and `response`",
            Exports::EventHandlers => "`onPublish` or `onSubscribe`",
        };
        raw.push((
            0,
            Rule::CodeSize,
            format!("the code is empty; AppSync needs a module exporting {needed}"),
        ));
    }
    for diagnostic in parsed.diagnostics.errors() {
        let offset = diagnostic.labels.first().map_or(0, oxc_span::LabeledSpan::offset);
        let mut message = format!("the code does not parse: {}", diagnostic.message);
        if let Some(help) = &diagnostic.help {
            message.push_str(" (");
            message.push_str(help);
            message.push(')');
        }
        raw.push((offset, Rule::SyntaxError, message));
    }
    if !parsed.panicked {
        raw.extend(rules::visit(&parsed.program));
        raw.extend(missing_exports(&parsed.module_record, exports));
    }
    raw.sort_by_key(|(offset, rule, _)| (*offset, rule.id()));
    raw.into_iter()
        .map(|(offset, rule, message)| {
            let (line, column) = lines.locate(offset);
            Finding { file: name.to_owned(), line, column, rule, message }
        })
        .collect()
}

/// `request` and `response`, which the runtime calls, must both be exported; a channel
/// namespace's module exports at least one of `onPublish` and `onSubscribe`.
fn missing_exports(
    record: &oxc_syntax::module_record::ModuleRecord<'_>,
    exports: Exports,
) -> Vec<(u32, Rule, String)> {
    let exported: Vec<&str> = record
        .local_export_entries
        .iter()
        .chain(record.indirect_export_entries.iter())
        .filter_map(|entry| match &entry.export_name {
            oxc_syntax::module_record::ExportExportName::Name(name) => Some(name.name.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    if let Exports::EventHandlers = exports {
        if !exported.iter().any(|name| matches!(*name, "onPublish" | "onSubscribe")) {
            out.push((
                0,
                Rule::MissingExport,
                "the module exports neither `onPublish` nor `onSubscribe`, the handlers AppSync Events calls; add `export function onPublish(ctx) { return ctx.events; }` (a named export, not a default one)".to_owned(),
            ));
        }
        return out;
    }
    for (handler, example) in [
        ("request", "`export function request(ctx) { return {}; }`"),
        ("response", "`export function response(ctx) { return ctx.result; }`"),
    ] {
        if !exported.contains(&handler) {
            out.push((
                0,
                Rule::MissingExport,
                format!(
                    "the module does not export `{handler}`, which AppSync calls; add {example} (a named export, not a default one)"
                ),
            ));
        }
    }
    out
}

/// Byte offsets to 1-based lines and character columns.
struct LineIndex<'s> {
    source: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    fn new(source: &'s str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Self { source, starts }
    }

    fn locate(&self, offset: u32) -> (u32, u32) {
        let offset = (offset as usize).min(self.source.len());
        let line = self.starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column = self.source.get(start..offset).map_or(0, |s| s.chars().count());
        (u32::try_from(line + 1).unwrap_or(u32::MAX), u32::try_from(column + 1).unwrap_or(u32::MAX))
    }
}
