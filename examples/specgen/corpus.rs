//! Synthetic spec folders for benchmarks and scale tests: an app folder with any number of
//! assertions, in the manifest form (`specs/assertions.json`), the `.spec` form (spread over
//! any number of files) or both, drawn from a seed so the same settings give the same bytes.
//!
//! The text follows the shapes of the example app's assertions (invariants on entities,
//! orderings that name the Postgres database, cache windows that name Redis, charges through
//! the external payment gateway API); some assertions depend on earlier ones, some carry tags,
//! a few are pending. Problems are sprinkled at a chosen rate, and [`Corpus::expected`] says
//! how many of each `specdeploy check` must report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Which spec forms a corpus is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Every assertion in `specs/assertions.json`.
    Manifest,
    /// Every assertion in `.spec` files, with an `app` declaration, needs and variables.
    Spec,
    /// The first half of the assertions in the manifest, the rest in `.spec` files.
    Both,
}

impl Form {
    /// Parses `manifest`, `spec` or `both`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "manifest" => Some(Self::Manifest),
            "spec" => Some(Self::Spec),
            "both" => Some(Self::Both),
            _ => None,
        }
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How many assertions, sprinkled ones included.
    pub assertions: usize,
    /// How many `.spec` files the `.spec` part is spread over (at least one).
    pub files: usize,
    /// The spec forms.
    pub form: Form,
    /// The seed of the pseudo-random choices.
    pub seed: u64,
    /// The share of assertions, from 0 to 1, that repeat an earlier assertion's id.
    pub duplicate_rate: f64,
    /// The share of assertions, from 0 to 1, with an invalid or missing required field.
    pub error_rate: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            assertions: 100,
            files: 1,
            form: Form::Manifest,
            seed: 1,
            duplicate_rate: 0.0,
            error_rate: 0.0,
        }
    }
}

/// A generated app folder: each file's path relative to the folder and its text.
#[derive(Debug, Default)]
pub struct Corpus {
    /// The files, by path.
    pub files: BTreeMap<String, String>,
    /// How many errors of each diagnostic code `specdeploy check` must report.
    pub expected: BTreeMap<&'static str, usize>,
}

impl Corpus {
    /// Writes every file under `root`, creating folders as needed.
    ///
    /// # Errors
    /// When a folder or file cannot be written.
    pub fn write_to(&self, root: &Path) -> std::io::Result<()> {
        for (path, text) in &self.files {
            let full = root.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, text)?;
        }
        Ok(())
    }

    /// The total size of the spec files in bytes.
    pub fn spec_bytes(&self) -> usize {
        self.files
            .iter()
            .filter(|(path, _)| path.starts_with("specs/"))
            .map(|(_, text)| text.len())
            .sum()
    }
}

/// The app's own files, those of the example web service.
const PACKAGE_JSON: &str = include_str!("../../fixtures/web-service/app/package.json");
const BUN_LOCK: &str = include_str!("../../fixtures/web-service/app/bun.lock");
const TSCONFIG: &str = include_str!("../../fixtures/web-service/app/tsconfig.json");
const INDEX_TS: &str = include_str!("../../fixtures/web-service/app/src/index.ts");

const ENTITIES: &[(&str, &[&str])] = &[
    ("Inventory", &["reserved", "onHand", "Reserve", "Release"]),
    ("Reservation", &["quantity", "expiresAt", "Hold", "Expire"]),
    ("Order", &["total", "lines", "Place", "Cancel"]),
    ("Customer", &["email", "addresses", "Register", "Delete"]),
    ("Invoice", &["number", "amount", "Issue", "Void"]),
    (
        "Shipment",
        &["carrier", "trackingId", "Dispatch", "Deliver"],
    ),
    ("Cart", &["items", "subtotal", "AddItem", "Clear"]),
    ("Payment", &["amount", "status", "Capture", "Refund"]),
];

const ADJECTIVES: &[&str] = &[
    "paid", "pending", "locked", "flagged", "returned", "held", "shipped", "new",
];

const TAGS: &[&str] = &[
    "critical",
    "inventory",
    "persistence",
    "payments",
    "auth",
    "caching",
    "audit",
    "ops",
];

/// The shapes of assertion text: a type, a category and a sentence with `{e}` (an entity),
/// `{p}` (one of its properties) and `{a}` (an adjective) to fill in. The sentences that name a
/// technology make the same needs as the example app's.
const SHAPES: &[(&str, &str, &str)] = &[
    (
        "invariant",
        "structure",
        "The {p} of a {a} {e} never goes below zero",
    ),
    (
        "precondition",
        "structure",
        "A {e} can only be changed by {p} while it is {a}",
    ),
    (
        "postcondition",
        "structure",
        "A failed {p} leaves every {a} {e} unchanged",
    ),
    (
        "uniqueness",
        "structure",
        "No two {a} records of {e} share the same {p}",
    ),
    (
        "ordering",
        "behavior",
        "Every {e} change to {p} is persisted in the Postgres database before the API responds 2xx",
    ),
    (
        "liveness",
        "behavior",
        "Reads of {a} {e} records may be served from the Redis cache for at most 60 seconds after {p} changes",
    ),
    (
        "safety",
        "behavior",
        "A {e} is never charged by the external payment gateway API unless it is {a}",
    ),
    (
        "liveness",
        "behavior",
        "Every {a} {e} is eventually released, either by {p} or by the expiry sweeper",
    ),
    (
        "relationship",
        "structure",
        "Each {a} {e} belongs to exactly one account, and {p} follows it",
    ),
    (
        "data-constraint",
        "structure",
        "The {p} of every {e} is a well-formed value, checked on write",
    ),
];

/// One assertion as generated, before it is written in either form.
struct Generated {
    id: String,
    natural: String,
    kind: Option<&'static str>,
    category: &'static str,
    status: &'static str,
    source: String,
    entity: &'static str,
    property: &'static str,
    dependencies: Vec<String>,
    tags: Vec<&'static str>,
}

/// A small, fast pseudo-random generator (SplitMix64): the same seed gives the same corpus on
/// every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (which is not 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        // The top 32 bits as a fraction in [0, 1].
        let top = u32::try_from(self.next() >> 32).unwrap_or(u32::MAX);
        f64::from(top) / f64::from(u32::MAX) < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Generates the corpus `settings` describe.
pub fn generate(settings: &Settings) -> Corpus {
    let mut random = Random(settings.seed);
    let mut corpus = Corpus::default();
    let mut good_ids: Vec<String> = Vec::new();
    let mut generated = Vec::with_capacity(settings.assertions);
    for n in 1..=settings.assertions {
        let assertion = assertion(&mut random, n, &good_ids, settings, &mut corpus.expected);
        if assertion.id == format!("A-{n:06}") && assertion.is_valid() {
            good_ids.push(assertion.id.clone());
        }
        generated.push(assertion);
    }

    let in_manifest = match settings.form {
        Form::Manifest => generated.len(),
        Form::Spec => 0,
        Form::Both => generated.len() / 2,
    };
    let (manifest_part, spec_part) = generated.split_at(in_manifest);
    if settings.form != Form::Spec {
        corpus
            .files
            .insert("specs/assertions.json".to_owned(), manifest(manifest_part));
    }
    if settings.form != Form::Manifest {
        write_spec_files(&mut corpus, spec_part, settings.files.max(1));
    }
    for (path, text) in [
        ("package.json", PACKAGE_JSON),
        ("bun.lock", BUN_LOCK),
        ("tsconfig.json", TSCONFIG),
        ("src/index.ts", INDEX_TS),
    ] {
        corpus.files.insert(path.to_owned(), text.to_owned());
    }
    corpus.expected.retain(|_, count| *count > 0);
    corpus
}

impl Generated {
    fn is_valid(&self) -> bool {
        self.kind.is_some()
            && matches!(self.category, "structure" | "behavior")
            && self.status != "approved"
    }
}

/// The `n`th assertion; `earlier` are the ids of the valid assertions before it.
fn assertion(
    random: &mut Random,
    n: usize,
    earlier: &[String],
    settings: &Settings,
    expected: &mut BTreeMap<&'static str, usize>,
) -> Generated {
    let (kind, category, shape) = random.pick(SHAPES);
    let (entity, properties) = random.pick(ENTITIES);
    let property = random.pick(properties);
    let adjective = random.pick(ADJECTIVES);
    let natural = shape
        .replace("{e}", entity)
        .replace("{p}", property)
        .replace("{a}", adjective);
    let status = match random.below(20) {
        0 => "pending",
        1 => "refined",
        _ => "confirmed",
    };
    let mut dependencies = Vec::new();
    if !earlier.is_empty() && random.chance(0.4) {
        // Mostly near neighbours, as people write them, and now and then one far back.
        for _ in 0..=random.below(2) {
            let back = 1 + random.below(earlier.len().min(50));
            dependencies.push(earlier[earlier.len() - back].clone());
        }
        dependencies.dedup();
    }
    let tags = (0..random.below(3)).map(|_| random.pick(TAGS)).collect();
    let mut assertion = Generated {
        id: format!("A-{n:06}"),
        natural,
        kind: Some(kind),
        category,
        status,
        source: format!("user-interview-{:03}", 1 + random.below(40)),
        entity,
        property,
        dependencies,
        tags,
    };

    // Problems, at most one an assertion, so each is reported exactly once.
    if !earlier.is_empty() && random.chance(settings.duplicate_rate) {
        let repeated = &earlier[random.below(earlier.len())];
        assertion.id.clone_from(repeated);
        *expected.entry("SD0106").or_default() += 1;
    } else if random.chance(settings.error_rate) {
        match random.below(3) {
            0 => {
                assertion.status = "approved";
                *expected.entry("SD0104").or_default() += 1;
            }
            1 => {
                assertion.category = "process";
                *expected.entry("SD0103").or_default() += 1;
            }
            _ => {
                assertion.kind = None;
                *expected.entry("SD0102").or_default() += 1;
            }
        }
    }
    assertion
}

/// `specs/assertions.json` holding `assertions`, with the example app's context.
fn manifest(assertions: &[Generated]) -> String {
    let mut out = String::with_capacity(assertions.len() * 320 + 1024);
    out.push_str(
        "{\n  \"version\": \"1.0.0\",\n  \"archetype\": \"web-service\",\n  \
         \"domains\": [\"e-commerce\", \"auth\"],\n  \
         \"actors\": [\"shopper\", \"store-admin\", \"payment-gateway-webhook\"],\n  \
         \"boundaries\": [\"postgres-database\", \"redis-cache\", \
         \"external-payment-gateway-api\"],\n  \
         \"constraints\": [\"not-multi-currency\", \"not-multi-tenant\"],\n  \
         \"assertions\": [",
    );
    for (i, a) in assertions.iter().enumerate() {
        out.push_str(if i == 0 { "\n    {" } else { ",\n    {" });
        let _ = write!(out, "\n      \"id\": {},", quoted(&a.id));
        let _ = write!(out, "\n      \"natural\": {},", quoted(&a.natural));
        if let Some(kind) = a.kind {
            let _ = write!(out, "\n      \"type\": {},", quoted(kind));
        }
        let _ = write!(out, "\n      \"category\": {},", quoted(a.category));
        let _ = write!(out, "\n      \"entity\": {},", quoted(a.entity));
        let _ = write!(out, "\n      \"property\": {},", quoted(a.property));
        let _ = write!(out, "\n      \"status\": {},", quoted(a.status));
        let _ = write!(out, "\n      \"source\": {},", quoted(&a.source));
        let _ = write!(out, "\n      \"dependencies\": {},", list(&a.dependencies));
        let _ = write!(out, "\n      \"tags\": {}", list(&a.tags));
        out.push_str("\n    }");
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// A JSON string.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// A JSON array of strings on one line.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// Spreads `assertions` over `files` `.spec` files, with the app, its needs and its variables
/// declared in the first.
fn write_spec_files(corpus: &mut Corpus, assertions: &[Generated], files: usize) {
    let per_file = assertions.len().div_ceil(files).max(1);
    let width = files.to_string().len().max(3);
    for index in 0..files {
        let mut out = String::with_capacity(per_file * 300 + 512);
        if index == 0 {
            out.push_str(
                "# The storefront API.\napp storefront-api {\n  version \"0.3.0\"\n  \
                 archetype web service\n  entry \"src/index.ts\"\n  port 3000\n}\n\n\
                 needs database postgres\nneeds cache redis\n\
                 needs api payment-gateway with url PAYMENT_GATEWAY_URL and key \
                 PAYMENT_GATEWAY_KEY, required\n\n\
                 config LOG_LEVEL \"How much the app logs\" default \"info\"\n\
                 secret JWT_SECRET \"Signs the session tokens\"\n",
            );
        }
        let start = (index * per_file).min(assertions.len());
        let end = ((index + 1) * per_file).min(assertions.len());
        for a in &assertions[start..end] {
            spec_assertion(&mut out, a);
        }
        corpus
            .files
            .insert(format!("specs/part-{:0width$}.spec", index + 1), out);
    }
}

/// One assertion in the `.spec` language.
fn spec_assertion(out: &mut String, a: &Generated) {
    let _ = write!(out, "\nassertion {} {} {{\n", a.id, quoted(&a.natural));
    if let Some(kind) = a.kind {
        let _ = writeln!(out, "  type {kind}");
    }
    let _ = writeln!(out, "  category {}", a.category);
    let _ = writeln!(out, "  status {}", a.status);
    let _ = writeln!(out, "  source \"{}\"", a.source);
    let _ = writeln!(out, "  entity {}", a.entity);
    let _ = writeln!(out, "  property {}", a.property);
    if !a.dependencies.is_empty() {
        let _ = writeln!(out, "  depends on {}", a.dependencies.join(", "));
    }
    if !a.tags.is_empty() {
        let _ = writeln!(out, "  tags {}", a.tags.join(", "));
    }
    out.push_str("}\n");
}
