//! What the needs pass infers from prose, on sentences that are not in any fixture: the
//! words that name a service make a need; everyday words, negations and technologies
//! specdeploy does not provision do not.

mod support;

use support::Specdeploy;

/// A web service whose only assertion says `text`; the kinds of need `explain` reports.
fn needs_for(text: &str, tags: &[&str]) -> (Vec<String>, String) {
    let work = tempfile::tempdir().expect("temp dir");
    let app = work.path();
    std::fs::create_dir_all(app.join("specs")).expect("specs");
    std::fs::create_dir_all(app.join("src")).expect("src");
    let manifest = serde_json::json!({
        "archetype": "web-service",
        "assertions": [{
            "id": "A-1", "natural": text, "type": "invariant",
            "category": "structure", "status": "confirmed", "tags": tags
        }]
    });
    std::fs::write(app.join("specs/assertions.json"), manifest.to_string()).expect("manifest");
    std::fs::write(
        app.join("package.json"),
        r#"{"name": "probe", "version": "1.0.0", "dependencies": {"hono": "4"}}"#,
    )
    .expect("package.json");
    std::fs::write(app.join("src/index.ts"), "export default {};\n").expect("entry");
    let run = Specdeploy::new()
        .args(["explain", "--format", "json"])
        .arg(app)
        .run();
    run.assert_success();
    let explained: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let kinds = explained["needs"]
        .as_array()
        .expect("needs")
        .iter()
        .map(|n| n["kind"].as_str().expect("kind").to_owned())
        .collect();
    (kinds, run.stderr)
}

#[test]
fn technology_words_make_needs() {
    for (text, kind) in [
        ("Orders are persisted in the Postgres database", "database"),
        ("Sessions live in Redis for an hour", "cache"),
        ("Events are published to Kafka", "queue"),
        ("Exports are archived to S3", "object-storage"),
        ("Jobs go through RabbitMQ", "queue"),
    ] {
        let (kinds, _) = needs_for(text, &[]);
        assert_eq!(kinds, [kind], "{text}");
    }
}

#[test]
fn generic_words_in_prose_alone_make_only_a_note() {
    for text in [
        "Responses carry a Cache-Control: no-store header",
        "Users can subscribe to a topic of discussion",
        "A user's bucket list has at most 100 items",
        "Notes are queued for indexing",
        "The database of recipes is curated by hand",
    ] {
        let (kinds, stderr) = needs_for(text, &[]);
        assert!(kinds.is_empty(), "{text}: {kinds:?}");
        assert!(
            stderr.contains("SD0610"),
            "{text}: the note says why: {stderr}"
        );
    }
}

#[test]
fn generic_words_confirmed_by_a_tag_make_needs() {
    let (kinds, _) = needs_for(
        "Every order is persisted before the API answers",
        &["persistence"],
    );
    assert_eq!(kinds, ["database"]);
    let (kinds, _) = needs_for("Catalog reads may be served from the cache", &["cache"]);
    assert_eq!(kinds, ["cache"]);
}

#[test]
fn negations_make_nothing() {
    for text in [
        "The service does not use a Redis cache",
        "Redis is not used",
        "We never use Kafka",
        "The tool never talks to a Postgres database",
    ] {
        let (kinds, _) = needs_for(text, &[]);
        assert!(kinds.is_empty(), "{text}: {kinds:?}");
    }
    let (kinds, _) = needs_for("Orders published to Kafka are never lost", &[]);
    assert_eq!(kinds, ["queue"], "`never lost` does not negate Kafka");
}

#[test]
fn technologies_specdeploy_does_not_provision_are_not_replaced_by_postgres() {
    for text in [
        "Orders are saved to the MySQL database",
        "Settings live in a local SQLite database file",
        "Documents are stored in MongoDB",
    ] {
        let (kinds, stderr) = needs_for(text, &["persistence"]);
        assert!(kinds.is_empty(), "{text}: {kinds:?}");
        assert!(stderr.contains("SD0611"), "{text}: {stderr}");
    }
}
