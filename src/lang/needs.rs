//! Lowering `needs ...` into an [`ExplicitNeed`].

use super::tree::Pair;

use super::grammar::Rule;
use super::lower::Lowering;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{ExplicitNeed, NeedKind};
use crate::source::{Located, Span, Text};

/// The technologies specdeploy can provide for each kind of backing service.
fn technologies(kind: NeedKind) -> &'static [&'static str] {
    crate::model::technology_names(kind)
}

/// The need a `need_decl` pair declares.
pub(super) fn lower(lowering: &mut Lowering, declaration: Pair<'_>) -> Option<ExplicitNeed> {
    let span = lowering.tight_span(&declaration);
    let body = declaration
        .into_inner()
        .find(|p| matches!(p.as_rule(), Rule::service_need | Rule::api_need))?;
    let mut need = ExplicitNeed {
        kind: Located::new(NeedKind::ExternalApi, span),
        technology: None,
        url_variable: None,
        key_variable: None,
        because: Vec::new(),
        required: false,
        span,
    };
    if body.as_rule() == Rule::service_need {
        service(lowering, &mut need, body);
    } else {
        api(lowering, &mut need, body);
    }
    Some(need)
}

/// `needs database postgres because A-004`
fn service(lowering: &mut Lowering, need: &mut ExplicitNeed, body: Pair<'_>) {
    for part in body.into_inner() {
        match part.as_rule() {
            Rule::service_kind => {
                let written = part.as_str();
                let kind = if written.starts_with("database") {
                    NeedKind::Database
                } else if written.starts_with("cache") {
                    NeedKind::Cache
                } else if written.starts_with("queue") {
                    NeedKind::Queue
                } else {
                    NeedKind::ObjectStorage
                };
                need.kind = Located::new(kind, lowering.span(&part));
            }
            Rule::technology_name => need.technology = technology(lowering, need.kind.value, &part),
            Rule::because_clause => {
                let ids = lowering.because(part);
                need.because.extend(ids);
            }
            _ => {}
        }
    }
}

/// The technology as its canonical lower-case name, when specdeploy provides it.
fn technology(lowering: &mut Lowering, kind: NeedKind, part: &Pair<'_>) -> Option<Located<Text>> {
    let written = lowering.text(part);
    let known = technologies(kind);
    if let Some(name) = known
        .iter()
        .find(|name| name.eq_ignore_ascii_case(&written.value))
    {
        return Some(Located::new(Text::from(*name), written.span));
    }
    let kind_name = kind.as_str();
    let article = if kind_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let choices: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
    let help = match choices.split_last() {
        Some((one, [])) => format!("the {kind_name} specdeploy provides is {one}"),
        Some((last, rest)) => format!(
            "the choices for a {kind_name} are {} and {last}",
            rest.join(", ")
        ),
        None => format!("specdeploy provides no {kind_name} of its own"),
    };
    lowering.report(
        Diagnostic::new(
            Code::InvalidValue,
            format!(
                "specdeploy cannot provide `{}` as {article} {kind_name}",
                written.value
            ),
        )
        .at(
            written.span,
            format!("not {article} {kind_name} specdeploy provides"),
        )
        .help(help),
    );
    None
}

/// `needs api NAME with url VAR and key VAR, required, because A-006`
fn api(lowering: &mut Lowering, need: &mut ExplicitNeed, body: Pair<'_>) {
    let mut required_at: Option<Span> = None;
    need.kind = Located::new(
        NeedKind::ExternalApi,
        lowering.keyword_span(&body, "api".len()),
    );
    for part in body.into_inner() {
        match part.as_rule() {
            Rule::quoted_string | Rule::bare_word => need.technology = Some(lowering.text(&part)),
            Rule::api_vars => {
                for var in part.into_inner() {
                    let rule = var.as_rule();
                    let Some(name) = var
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::variable_name)
                    else {
                        continue;
                    };
                    let name = lowering.variable_name(&name);
                    match rule {
                        Rule::url_var => need.url_variable = Some(name),
                        Rule::key_var => need.key_variable = Some(name),
                        _ => {}
                    }
                }
            }
            Rule::api_option => {
                for option in part.into_inner() {
                    match option.as_rule() {
                        Rule::kw_required => {
                            let at = lowering.span(&option);
                            if let Some(first) = required_at {
                                lowering.report(
                                    Diagnostic::new(
                                        Code::InvalidValue,
                                        "`required` is given twice for this API",
                                    )
                                    .at(at, "second `required`")
                                    .also(first, "first given here")
                                    .help("write `required` once"),
                                );
                            }
                            required_at.get_or_insert(at);
                            need.required = true;
                        }
                        Rule::because_clause => {
                            let ids = lowering.because(option);
                            need.because.extend(ids);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}
