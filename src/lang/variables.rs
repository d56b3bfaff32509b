//! Lowering `config NAME ...` and `secret NAME ...` into a [`VariableDecl`].

use super::tree::Pair;

use super::grammar::Rule;
use super::lower::{Lowering, Seen, values};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::VariableDecl;

/// The variable a `variable_decl` pair declares; `None` only if the pair has no name, which
/// the grammar rules out.
pub(super) fn lower(lowering: &mut Lowering, declaration: Pair<'_>) -> Option<VariableDecl> {
    let span = lowering.tight_span(&declaration);
    let secret = declaration.as_str().starts_with("secret");
    let mut name = None;
    let mut variable_options = Vec::new();
    for part in declaration.into_inner() {
        match part.as_rule() {
            Rule::variable_name => name = Some(lowering.variable_name(&part)),
            Rule::variable_option => variable_options.extend(part.into_inner()),
            _ => {}
        }
    }
    let mut variable = VariableDecl {
        name: name?,
        secret,
        default: None,
        description: None,
        because: Vec::new(),
        span,
    };
    let owner = if secret { "secret" } else { "config variable" };

    let mut seen = Seen::default();
    for option in variable_options {
        let at = lowering.tight_span(&option);
        match option.as_rule() {
            Rule::quoted_string if seen.first(lowering, "description", at, owner) => {
                variable.description = Some(lowering.text(&option));
            }
            Rule::default_clause => {
                if secret {
                    lowering.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("secret `{}` has a default", variable.name.value),
                        )
                        .at(at, "a secret takes no default")
                        .help(
                            "remove the default: a secret's value is given where the app runs \
                             and is never written in the specs; use `config` for a value that \
                             may have one",
                        ),
                    );
                } else if seen.first(lowering, "default", at, owner) {
                    variable.default = values(option).next().map(|v| lowering.text(&v));
                }
            }
            Rule::because_clause => {
                let ids = lowering.because(option);
                variable.because.extend(ids);
            }
            _ => {}
        }
    }
    Some(variable)
}
