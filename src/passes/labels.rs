//! Image labels: the OCI annotations and the spec-driven verification labels.

use super::{Draft, Input};
use crate::diagnostic::Diagnostics;

/// Sets `draft.labels`.
pub fn run(input: &Input<'_>, draft: &mut Draft, _diagnostics: &mut Diagnostics) {
    let Some(app) = &draft.app else {
        return;
    };
    let v = &draft.verification;
    let mut labels = vec![
        ("org.opencontainers.image.title", app.name.clone()),
        ("org.opencontainers.image.version", app.version.clone()),
    ];
    let created = input
        .options
        .source_date_epoch
        .and_then(|epoch| time::OffsetDateTime::from_unix_timestamp(epoch).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    if let Some(created) = created {
        labels.push(("org.opencontainers.image.created", created));
    }
    if let Some(description) = &app.description {
        labels.push(("org.opencontainers.image.description", description.clone()));
    }
    if let Some(license) = &app.license {
        labels.push(("org.opencontainers.image.licenses", license.clone()));
    }
    if let Some(source) = &app.source_url {
        labels.push(("org.opencontainers.image.source", source.clone()));
    }
    labels.extend([
        (
            "com.spec-driven.archetype",
            app.archetype.as_str().to_owned(),
        ),
        ("com.spec-driven.assertions", v.assertions.to_string()),
        ("com.spec-driven.confirmed", v.confirmed.to_string()),
        ("com.spec-driven.verified", v.verified.clone()),
        ("com.spec-driven.dafny-verified", v.dafny.clone()),
        ("com.spec-driven.tlc-verified", v.tlc.clone()),
    ]);
    if let Some(schedule) = &app.schedule {
        labels.push(("com.spec-driven.schedule", schedule.clone()));
    }
    if let Some(at) = &v.verified_at {
        labels.push(("com.spec-driven.verified-at", at.clone()));
    }
    draft.labels = labels.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
}
