//! The walk over the parsed module that finds what the runtime refuses.

use oxc_ast::ast::{
    ArrowFunctionExpression, AssignmentExpression, AssignmentTarget, AwaitExpression, BinaryExpression,
    BindingIdentifier, Class, ContinueStatement, DoWhileStatement, Expression, ForStatement,
    FormalParameters, Function, ImportDeclaration, LabeledStatement, MemberExpression, NewExpression,
    PrivateInExpression, Program, RegExpLiteral, ThisExpression, ThrowStatement, TryStatement,
    UnaryExpression, UpdateExpression, VariableDeclarator, WhileStatement, YieldExpression,
};
use oxc_ast_visit::{Visit, walk};
use oxc_syntax::operator::{BinaryOperator, UnaryOperator, UpdateOperator};
use oxc_syntax::scope::ScopeFlags;

use super::Rule;
use super::members;

/// Every finding in `program` as (byte offset, rule, explanation).
pub(super) fn visit(program: &Program<'_>) -> Vec<(u32, Rule, String)> {
    let mut bindings = Bindings::default();
    bindings.visit_program(program);
    let mut rules = Rules { found: Vec::new(), ctx_names: Vec::new(), shadowed: bindings.names };
    rules.visit_program(program);
    rules.found
}

/// The globals' names (`util`, `runtime`, `extensions`) that the module binds itself, other than
/// by importing them: their members are the module's business, not the runtime's.
#[derive(Default)]
struct Bindings {
    names: Vec<String>,
}

impl<'a> Visit<'a> for Bindings {
    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        let name = it.name.as_str();
        if members::members_of(name).is_some() && !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_owned());
        }
    }

    fn visit_import_declaration(&mut self, _it: &ImportDeclaration<'a>) {
        // `import { util } from '@aws-appsync/utils'` is the runtime's `util`.
    }
}

struct Rules {
    found: Vec<(u32, Rule, String)>,
    /// The name of the context parameter of each enclosing `request`/`response` handler.
    ctx_names: Vec<String>,
    /// Globals the module shadows with its own bindings.
    shadowed: Vec<String>,
}

impl Rules {
    fn report(&mut self, offset: u32, rule: Rule, message: impl Into<String>) {
        self.found.push((offset, rule, message.into()));
    }

    fn is_ctx(&self, expression: &Expression<'_>) -> bool {
        match expression {
            Expression::Identifier(id) => self.ctx_names.iter().any(|name| name == id.name.as_str()),
            _ => false,
        }
    }

    /// Checks `object.property` against the globals' member tables.
    fn check_member(&mut self, member: &MemberExpression<'_>) {
        let Some((span, property)) = member.static_property_info() else { return };
        match member.object() {
            Expression::Identifier(object) => {
                let object = object.name.as_str();
                if let Some(known) = members::members_of(object)
                    && !known.contains(&property)
                    && !self.shadowed.iter().any(|n| n == object)
                {
                    self.report(
                        span.start,
                        Rule::UnknownUtilMember,
                        format!(
                            "`{object}.{property}` does not exist in APPSYNC_JS, and AppSync refuses code that uses it; `{object}` has: {}",
                            known.join(", ")
                        ),
                    );
                }
                if object == "Promise" {
                    self.report(
                        member.span().start,
                        Rule::NoPromise,
                        "promises are not supported: APPSYNC_JS runs synchronously; call the data source from `request` and read its answer in `response` (or use a pipeline function per call)",
                    );
                }
            }
            Expression::StaticMemberExpression(inner) => {
                if let Expression::Identifier(root) = &inner.object
                    && root.name.as_str() == "util"
                    && !self.shadowed.iter().any(|n| n == "util")
                    && let Some(known) = members::util_namespace(inner.property.name.as_str())
                    && !known.contains(&property)
                {
                    let namespace = inner.property.name.as_str();
                    self.report(
                        span.start,
                        Rule::UnknownUtilMember,
                        format!(
                            "`util.{namespace}.{property}` does not exist in APPSYNC_JS, and AppSync refuses code that uses it; `util.{namespace}` has: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
            _ => {}
        }
    }

    fn visit_handler<F: FnOnce(&mut Self)>(
        &mut self,
        name: Option<&str>,
        params: &FormalParameters<'_>,
        walk: F,
    ) {
        let ctx = match name {
            Some("request" | "response") => {
                params.items.first().and_then(|p| p.pattern.get_identifier_name()).map(|n| n.to_string())
            }
            _ => None,
        };
        let pushed = ctx.is_some();
        if let Some(ctx) = ctx {
            self.ctx_names.push(ctx);
        }
        walk(self);
        if pushed {
            self.ctx_names.pop();
        }
    }
}

use oxc_span::GetSpan as _;

impl<'a> Visit<'a> for Rules {
    fn visit_try_statement(&mut self, it: &TryStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoTry,
            "try/catch/finally is not supported; check values before using them (`if (!x) { util.error('...') }`) and read data source failures from `ctx.error` in `response`",
        );
        walk::walk_try_statement(self, it);
    }

    fn visit_throw_statement(&mut self, it: &ThrowStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoThrow,
            "throw is not supported; stop with an error by calling `util.error(message, errorType)`",
        );
        walk::walk_throw_statement(self, it);
    }

    fn visit_while_statement(&mut self, it: &WhileStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoWhile,
            "while loops are not supported; loop over an array with `for (const x of items)` or use `map`/`filter`/`reduce`",
        );
        walk::walk_while_statement(self, it);
    }

    fn visit_do_while_statement(&mut self, it: &DoWhileStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoWhile,
            "do...while loops are not supported; loop over an array with `for (const x of items)` or use `map`/`filter`/`reduce`",
        );
        walk::walk_do_while_statement(self, it);
    }

    fn visit_for_statement(&mut self, it: &ForStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoFor,
            "C-style for loops are not supported; use `for (const x of items)`, `for (const key in object)`, or `items.forEach`/`map`",
        );
        walk::walk_for_statement(self, it);
    }

    fn visit_continue_statement(&mut self, it: &ContinueStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoContinue,
            "continue is not supported; put the rest of the loop body in an `if` block, or filter the array first",
        );
        walk::walk_continue_statement(self, it);
    }

    fn visit_labeled_statement(&mut self, it: &LabeledStatement<'a>) {
        self.report(
            it.span.start,
            Rule::NoLabels,
            "labeled statements are not supported; move the inner loop into a function and `return` from it",
        );
        walk::walk_labeled_statement(self, it);
    }

    fn visit_update_expression(&mut self, it: &UpdateExpression<'a>) {
        let (op, instead) = match it.operator {
            UpdateOperator::Increment => ("++", "`x += 1`"),
            UpdateOperator::Decrement => ("--", "`x -= 1`"),
        };
        self.report(
            it.span.start,
            Rule::NoDisallowedUnaryOperators,
            format!("the operator {op} is not supported; write {instead}"),
        );
        walk::walk_update_expression(self, it);
    }

    fn visit_unary_expression(&mut self, it: &UnaryExpression<'a>) {
        if it.operator == UnaryOperator::BitwiseNot {
            self.report(
                it.span.start,
                Rule::NoDisallowedUnaryOperators,
                "the operator ~ is not supported; write `-x - 1`, or `s.includes(t)` instead of `~s.indexOf(t)`",
            );
        }
        if it.operator == UnaryOperator::Delete
            && let Some(member) = it.argument.as_member_expression()
            && self.is_ctx(member.object())
        {
            self.report(
                it.span.start,
                Rule::NoDisallowedReAssignment,
                "the context is read-only: its properties cannot be deleted; keep your own values in `ctx.stash` or in local variables",
            );
        }
        walk::walk_unary_expression(self, it);
    }

    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        match it.operator {
            BinaryOperator::In => self.report(
                it.span.start,
                Rule::NoInOperator,
                "the `in` operator is not supported; write `Object.hasOwn(object, key)` (`for (const key in object)` is fine)",
            ),
            BinaryOperator::Instanceof => self.report(
                it.span.start,
                Rule::NoDisallowedBinaryOperators,
                "the operator instanceof is not supported; test with `typeof x`, `Array.isArray(x)` or a property of the value",
            ),
            _ => {}
        }
        walk::walk_binary_expression(self, it);
    }

    fn visit_private_in_expression(&mut self, it: &PrivateInExpression<'a>) {
        self.report(
            it.span.start,
            Rule::NoInOperator,
            "the `in` operator is not supported; write `Object.hasOwn(object, key)`",
        );
        walk::walk_private_in_expression(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if it.r#async {
            self.report(
                it.span.start,
                Rule::NoAsync,
                "async functions are not supported: APPSYNC_JS runs synchronously; drop `async` and return the data source request from `request`",
            );
        }
        if it.generator {
            self.report(
                it.span.start,
                Rule::NoGenerators,
                "generator functions are not supported; build and return an array instead",
            );
        }
        let name = it.id.as_ref().map(|id| id.name.as_str());
        self.visit_handler(name, &it.params, |me| walk::walk_function(me, it, flags));
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        if it.r#async {
            self.report(
                it.span.start,
                Rule::NoAsync,
                "async functions are not supported: APPSYNC_JS runs synchronously; drop `async`",
            );
        }
        walk::walk_arrow_function_expression(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        let name = it.id.get_identifier_name();
        match &it.init {
            Some(Expression::ArrowFunctionExpression(arrow)) => {
                let name = name.map(|n| n.to_string());
                self.visit_handler(name.as_deref(), &arrow.params, |me| {
                    walk::walk_variable_declarator(me, it)
                });
            }
            Some(Expression::FunctionExpression(function)) => {
                let name = name.map(|n| n.to_string());
                self.visit_handler(name.as_deref(), &function.params, |me| {
                    walk::walk_variable_declarator(me, it)
                });
            }
            _ => walk::walk_variable_declarator(self, it),
        }
    }

    fn visit_await_expression(&mut self, it: &AwaitExpression<'a>) {
        self.report(
            it.span.start,
            Rule::NoAwait,
            "await is not supported: APPSYNC_JS runs synchronously; a data source's answer arrives in `ctx.result` in `response`",
        );
        walk::walk_await_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        if let Expression::Identifier(callee) = &it.callee
            && callee.name.as_str() == "Promise"
        {
            self.report(
                it.span.start,
                Rule::NoPromise,
                "promises are not supported: APPSYNC_JS runs synchronously; call the data source from `request` and read its answer in `response` (or use a pipeline function per call)",
            );
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_member_expression(&mut self, it: &MemberExpression<'a>) {
        self.check_member(it);
        walk::walk_member_expression(self, it);
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        self.report(
            it.span.start,
            Rule::NoClasses,
            "classes are not supported; use plain objects and functions",
        );
        walk::walk_class(self, it);
    }

    fn visit_yield_expression(&mut self, it: &YieldExpression<'a>) {
        self.report(
            it.span.start,
            Rule::NoYield,
            "yield is not supported; build and return an array instead",
        );
        walk::walk_yield_expression(self, it);
    }

    fn visit_this_expression(&mut self, it: &ThisExpression) {
        self.report(
            it.span.start,
            Rule::NoThis,
            "`this` is not supported; pass what the function needs as an argument",
        );
    }

    fn visit_reg_exp_literal(&mut self, it: &RegExpLiteral<'a>) {
        self.report(
            it.span.start,
            Rule::NoRegex,
            "regular expression literals are not supported; test a pattern with `util.matches(pattern, value)`, or use string methods (`includes`, `startsWith`, `split`, `replaceAll`)",
        );
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        let target = match &it.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                self.ctx_names.iter().any(|name| name == id.name.as_str()).then(|| id.name.to_string())
            }
            other => {
                other.as_member_expression().filter(|member| self.is_ctx(member.object())).map(|member| {
                    member
                        .static_property_name()
                        .map_or_else(|| "a property".to_owned(), |p| format!("`{p}`"))
                })
            }
        };
        if let Some(target) = target {
            self.report(
                it.span.start,
                Rule::NoDisallowedReAssignment,
                format!(
                    "the context is read-only: {target} cannot be assigned; keep your own values in `ctx.stash.name = value` or in local variables"
                ),
            );
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let source = it.source.value.as_str();
        if !members::MODULES.contains(&source) {
            self.report(
                it.span.start,
                Rule::UnsupportedImport,
                format!(
                    "AppSync cannot import {source:?}: only {} are available; bundle other code into the file (esbuild `--bundle --external:@aws-appsync/utils`)",
                    members::MODULES.join(", ")
                ),
            );
        }
        walk::walk_import_declaration(self, it);
    }
}
