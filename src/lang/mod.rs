//! The `.spec` assertion language: a pest grammar (`grammar/spec.pest`) and its lowering into
//! the [`crate::model`].

use crate::diagnostic::Diagnostics;
use crate::model::SpecDocument;
use crate::source::FileId;

/// Parses one `.spec` file. Syntax errors are reported into `diagnostics`; what could be read
/// is returned.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> SpecDocument {
    let _ = (file, text, diagnostics);
    SpecDocument::default()
}
