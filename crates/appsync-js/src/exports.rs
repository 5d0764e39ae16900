//! Which handlers a module exports, read without running it: an Events namespace's code may
//! define `onPublish`, `onSubscribe` or both, and AppSync's default applies to the one missing.

use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;
use oxc_syntax::module_record::ExportExportName;

use crate::error::{Error, Kind, Location};

/// The names `code` exports (named exports only, in source order).
///
/// ```
/// let names = appsync_js::exported_names("export function onPublish(ctx) { return ctx.events; }\nexport const x = 1;")?;
/// assert_eq!(names, ["onPublish", "x"]);
/// assert!(appsync_js::exported_names("export function (").unwrap_err().is_syntax());
/// # Ok::<(), appsync_js::Error>(())
/// ```
///
/// # Errors
/// A syntax error ([`Error::is_syntax`]) with its line and column.
pub fn exported_names(code: &str) -> Result<Vec<String>, Error> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, code, SourceType::mjs()).parse();
    if let Some(diagnostic) = parsed.diagnostics.errors().next() {
        let offset = diagnostic.labels.first().map_or(0, oxc_span::LabeledSpan::offset);
        return Err(Error::new(Kind::Syntax, format!("SyntaxError: {}", diagnostic.message))
            .at(Some(locate(code, usize::try_from(offset).unwrap_or(0)))));
    }
    if parsed.panicked {
        return Err(Error::new(Kind::Syntax, "SyntaxError: the code does not parse"));
    }
    let record = &parsed.module_record;
    let mut entries: Vec<(u32, String)> = record
        .local_export_entries
        .iter()
        .chain(record.indirect_export_entries.iter())
        .filter_map(|entry| match &entry.export_name {
            ExportExportName::Name(name) => Some((name.span.start, name.name.to_string())),
            _ => None,
        })
        .collect();
    entries.sort_by_key(|(at, _)| *at);
    Ok(entries.into_iter().map(|(_, name)| name).collect())
}

/// The 1-based line and column of byte `offset`.
fn locate(code: &str, offset: usize) -> Location {
    let before = code.get(..offset).unwrap_or(code);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}
