//! Lowering `app NAME { ... }` into an [`AppDecl`].

use super::tree::Pair;

use super::grammar::Rule;
use super::lower::{Lowering, Seen, values};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::AppDecl;
use crate::source::{Located, Span, Text};

/// The `@` shorthands a schedule may use instead of five fields.
const SCHEDULE_SHORTHANDS: [&str; 7] = [
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
];

/// The app an `app_decl` pair declares, and the span of its header (`app NAME`), which
/// duplicate declarations point at.
pub(super) fn lower(lowering: &mut Lowering, declaration: Pair<'_>) -> (AppDecl, Span) {
    let whole = lowering.tight_span(&declaration);
    let mut app = AppDecl {
        span: Some(whole),
        ..AppDecl::default()
    };
    let mut header = lowering.keyword_span(&declaration, "app".len());
    let mut seen = Seen::default();
    for part in declaration.into_inner() {
        match part.as_rule() {
            Rule::quoted_string | Rule::bare_word => {
                let name = lowering.text(&part);
                header = Span::new(header.file, header.start(), name.span.end());
                app.name = Some(name);
            }
            Rule::app_block => {
                for field in part
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::app_field)
                    .flat_map(Pair::into_inner)
                {
                    read_field(lowering, &mut seen, &mut app, field);
                }
            }
            _ => {}
        }
    }
    (app, header)
}

fn read_field(lowering: &mut Lowering, seen: &mut Seen, app: &mut AppDecl, field: Pair<'_>) {
    let name = match field.as_rule() {
        Rule::version_field => "version",
        Rule::archetype_field => "archetype",
        Rule::entry_field => "entry",
        Rule::port_field => "port",
        Rule::schedule_field => "schedule",
        _ => return,
    };
    let rule = field.as_rule();
    let span = lowering.tight_span(&field);
    if !seen.first(lowering, name, span, "app") {
        return;
    }
    let Some(value) = values(field).next() else {
        return;
    };
    let text = lowering.text(&value);
    match rule {
        Rule::version_field => app.version = Some(text),
        Rule::archetype_field => app.archetype = Some(text),
        Rule::entry_field => app.entry = Some(text),
        Rule::port_field => app.port = port(lowering, &text),
        Rule::schedule_field => app.schedule = schedule(lowering, text),
        _ => {}
    }
}

/// The port, when it is a whole number from 1 to 65535.
fn port(lowering: &mut Lowering, text: &Located<Text>) -> Option<Located<u32>> {
    let number = text.value.trim().parse::<u32>().ok();
    if let Some(port) = number.filter(|p| (1..=65535).contains(p)) {
        return Some(Located::new(port, text.span));
    }
    let message = if number.is_some() || text.value.bytes().all(|b| b.is_ascii_digit()) {
        format!("port {} is outside 1 to 65535", text.value)
    } else {
        format!("`{}` is not a port number", text.value)
    };
    lowering.report(
        Diagnostic::new(Code::InvalidPort, message)
            .at(text.span, "not a usable port")
            .help("a port is a whole number from 1 to 65535, such as `port 3000`"),
    );
    None
}

/// The schedule, when it has the shape of a cron schedule.
fn schedule(lowering: &mut Lowering, text: Located<Text>) -> Option<Located<Text>> {
    if is_cron(&text.value) {
        return Some(text);
    }
    lowering.report(
        Diagnostic::new(
            Code::InvalidValue,
            format!("`{}` is not a cron schedule", text.value),
        )
        .at(text.span, "not a schedule")
        .help(format!(
            "write five fields, minute hour day-of-month month day-of-week \
             (`schedule \"0 3 * * *\"`), or one of {}",
            SCHEDULE_SHORTHANDS.join(", ")
        )),
    );
    None
}

/// Whether `text` is a cron shorthand or five fields of the characters cron fields use. The
/// values in each field are not checked against their ranges.
fn is_cron(text: &str) -> bool {
    let text = text.trim();
    if SCHEDULE_SHORTHANDS.contains(&text) {
        return true;
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|field| {
            field
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'/' | b',' | b'-' | b'?'))
        })
}

#[cfg(test)]
mod tests {
    use super::is_cron;

    #[test]
    fn cron_shapes() {
        for good in [
            "0 3 * * *",
            "*/5 * * * *",
            "0 0 1,15 JAN-MAR MON-FRI",
            "@daily",
        ] {
            assert!(is_cron(good), "{good}");
        }
        for bad in [
            "",
            "0 3 * *",
            "0 3 * * * *",
            "every day",
            "0 3 * * $",
            "@sometimes",
        ] {
            assert!(!is_cron(bad), "{bad}");
        }
    }
}
