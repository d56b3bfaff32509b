//! The pest parser for `.spec` files, and the words users see for each of its rules.

use pest_derive::Parser;

/// The parser generated from `grammar/spec.pest`; `pest_derive` reads the path below from `src/`.
#[derive(Parser)]
#[grammar = "../grammar/spec.pest"]
pub(super) struct SpecParser;

/// How a diagnostic names what a rule expects: tokens in backticks or things in plain words,
/// one or more (a rule with several alternatives names each). Grammar rule names never reach
/// a user; every expectation goes through this table.
pub(super) fn describe(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::EOI => &["end of file"],
        Rule::ws => &["a space"],
        Rule::word_end => &["the end of the word"],
        Rule::line_comment => &["a comment"],
        Rule::line_end => &["end of line"],
        Rule::decl_chunk | Rule::top_decl => {
            &["a declaration (`app`, `assertion`, `needs`, `config` or `secret`)"]
        }
        Rule::app_decl => &["an `app` declaration"],
        Rule::app_block => &["an app block"],
        Rule::app_field => &["an app field"],
        Rule::version_field => &["a `version` field"],
        Rule::archetype_field => &["an `archetype` field"],
        Rule::entry_field => &["an `entry` field"],
        Rule::port_field => &["a `port` field"],
        Rule::schedule_field => &["a `schedule` field"],
        Rule::assertion_decl => &["an `assertion` declaration"],
        Rule::assertion_block => &["an assertion block"],
        Rule::assertion_field | Rule::text_field | Rule::name_field => &["an assertion field"],
        Rule::constraint_field => &["a `constraint` field"],
        Rule::formal_field => &["a `formal spec` field"],
        Rule::line_range => &["`lines`", "`line`"],
        Rule::line_number => &["a line number"],
        Rule::depends_field => &["a `depends on` field"],
        Rule::refines_field => &["a `refines` field"],
        Rule::tags_field => &["a `tags` field"],
        Rule::tag_list => &["a tag"],
        Rule::need_decl => &["a `needs` declaration"],
        Rule::service_need | Rule::service_kind => {
            &["a service (`database`, `cache`, `queue` or `object storage`)"]
        }
        Rule::technology_name => &["a technology"],
        Rule::api_need => &["`api`"],
        Rule::api_vars | Rule::kw_with => &["`with`"],
        Rule::url_var | Rule::kw_url => &["`url`"],
        Rule::key_var | Rule::kw_key => &["`key`"],
        Rule::api_option => &["`required`", "`because`"],
        Rule::variable_decl => &["a `config` or `secret` declaration"],
        Rule::variable_option => &["a description", "`default`", "`because`"],
        Rule::default_clause => &["`default`"],
        Rule::because_clause | Rule::kw_because => &["`because`"],
        Rule::id_list | Rule::assertion_ref => &["an assertion id"],
        Rule::list_comma => &["`,`"],
        Rule::open_brace => &["`{`"],
        Rule::close_brace | Rule::unicode_close => &["`}`"],
        Rule::bare_word | Rule::word_phrase => &["a word"],
        Rule::variable_name => &["a variable name"],
        Rule::quoted_string => &["a quoted string"],
        Rule::string_text => &["more text"],
        Rule::string_escape => &["an escape"],
        Rule::escape_code => &["`\"`", "`\\`", "`n`", "`t`", "`u{`"],
        Rule::unicode_hex => &["1 to 6 hex digits"],
        Rule::kw_spec => &["`spec`"],
        Rule::kw_lines => &["`lines`"],
        Rule::kw_line => &["`line`"],
        Rule::kw_to => &["`to`"],
        Rule::kw_on => &["`on`"],
        Rule::kw_storage => &["`storage`"],
        Rule::kw_and => &["`and`"],
        Rule::kw_required => &["`required`"],
    }
}
