//! AppSync's `selectionSetList` and `selectionSetGraphQL` for the field being resolved (guide:
//! "resolver context object reference", `info`): paths of the selected fields by response key
//! (aliases, not names), fragments expanded into the list; the GraphQL text keeps them as written.

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::{Field, Selection, SelectionSet};

/// The list and the text of the selection under `fields` (one field, or the same response key
/// selected more than once).
pub(crate) fn selection_set(document: &ExecutableDocument, fields: &[&Field]) -> (Vec<String>, String) {
    let mut list = Vec::new();
    for field in fields {
        walk(document, &field.selection_set, "", &mut list);
    }
    let mut seen = std::collections::HashSet::new();
    list.retain(|path| seen.insert(path.clone()));
    let graphql = fields
        .first()
        .filter(|f| !f.selection_set.selections.is_empty())
        .map(|f| f.selection_set.to_string())
        .unwrap_or_default();
    (list, graphql)
}

fn walk(document: &ExecutableDocument, set: &SelectionSet, prefix: &str, out: &mut Vec<String>) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                let key = field.response_key().as_str();
                let path = if prefix.is_empty() { key.to_owned() } else { format!("{prefix}/{key}") };
                out.push(path.clone());
                walk(document, &field.selection_set, &path, out);
            }
            Selection::InlineFragment(inline) => walk(document, &inline.selection_set, prefix, out),
            Selection::FragmentSpread(spread) => {
                // Validation has refused cycles, so this ends.
                if let Some(fragment) = document.fragments.get(&spread.fragment_name) {
                    walk(document, &fragment.selection_set, prefix, out);
                }
            }
        }
    }
}
