//! The stable diagnostic codes. Each is documented with a bad input and its fix in
//! `docs/diagnostics.md`; a code, once published, keeps its meaning.

use super::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        /// A stable diagnostic code (`SD0103`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as users see it (`SD0103`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// The severity a problem of this code has unless a flag changes it.
            #[must_use]
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            /// A short title for the documentation index.
            #[must_use]
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }
        }
    };
}

codes! {
    // Reading the app folder.
    NoSpecsFolder = "SD0001", Error, "the app folder has no specs";
    UnreadableFile = "SD0002", Error, "a file could not be read";
    InputTooLarge = "SD0003", Error, "an input file is over a size or nesting limit";
    NotUtf8 = "SD0004", Error, "an input file is not UTF-8 text";
    SkippedLink = "SD0005", Warning, "a symbolic link in the app folder is skipped";
    InvalidWorkspace = "SD0006", Error, "the workspace file or a workspace's list of apps is not valid";

    // The manifest, specs/assertions.json.
    MalformedJson = "SD0101", Error, "the manifest is not valid JSON";
    MissingField = "SD0102", Error, "a required field is missing";
    InvalidCategory = "SD0103", Error, "an assertion's category is not structure or behavior";
    InvalidStatus = "SD0104", Error, "an assertion's status is not a known status";
    UnknownType = "SD0105", Warning, "an assertion's type is not a known type";
    DuplicateId = "SD0106", Error, "two assertions share an id";
    WrongFieldType = "SD0107", Error, "a field has the wrong JSON type";
    InvalidId = "SD0108", Error, "an assertion id has characters ids cannot hold";
    UnknownDependency = "SD0109", Warning, "an assertion depends on an id no assertion has";
    NoAssertions = "SD0110", Warning, "the specs hold no assertions yet";
    InvalidFormalSpec = "SD0111", Warning, "a formalSpec reference is malformed or names a missing file";
    DuplicateKey = "SD0112", Warning, "a JSON object gives the same key twice";

    // The `.spec` language.
    SpecSyntax = "SD0201", Error, "a .spec file has a syntax error";
    DuplicateAppDeclaration = "SD0202", Error, "the app is declared twice";
    DuplicateVariable = "SD0203", Error, "a config or secret variable is declared twice";
    InvalidValue = "SD0204", Error, "a declared value is not valid for its field";

    // Statuses in a build.
    UnconfirmedAssertion = "SD0301", Warning, "a pending, proposed or deferred assertion is in the build";
    DeniedAssertion = "SD0302", Warning, "a denied assertion is in the specs";

    // Archetype.
    NoArchetype = "SD0401", Error, "no archetype is given and none can be inferred";
    UnknownArchetype = "SD0402", Error, "the archetype is not one specdeploy knows";
    ConflictingArchetype = "SD0403", Warning, "the .spec files and the manifest give different archetypes";
    LibraryHasNoImage = "SD0404", Note, "a library gets no deployment artifacts";

    // The app's own files.
    MissingPackageJson = "SD0501", Error, "the app has no package.json";
    MissingEntryPoint = "SD0502", Error, "the app's entry point does not exist";
    MissingLockfile = "SD0503", Warning, "the app has no lockfile";
    MalformedPackageJson = "SD0504", Error, "package.json is not valid";
    InvalidName = "SD0505", Error, "a name is not valid as an image or service name";
    TwoLockfiles = "SD0506", Warning, "the app has both bun.lock and bun.lockb";

    // Needs, configuration and services.
    UnderivableConfig = "SD0601", Error, "a need's configuration cannot be derived";
    ConflictingNeeds = "SD0602", Error, "explicit needs contradict each other";
    PortClash = "SD0603", Error, "two services ask for the same host port";
    ServiceCycle = "SD0604", Error, "services depend on each other in a cycle";
    InvalidPort = "SD0605", Error, "a port is outside 1 to 65535";
    UnsafeValue = "SD0606", Error, "a value cannot be written safely into an artifact";
    UnusedNeedOverride = "SD0607", Warning, "a declaration's `because` names an assertion that does not exist";
    ImageProbeMissing = "SD0608", Error, "a health probe names a program the image does not have";
    IncompatibleBase = "SD0609", Error, "the runtime base image cannot run the built artifact";
    ProseOnlyNeed = "SD0610", Note, "an assertion's text alone suggests a need, so nothing is provisioned";
    UnsupportedTechnology = "SD0611", Warning, "the specs name a technology specdeploy does not provision";
    AppCycle = "SD0612", Error, "apps of a workspace call each other in a cycle";
    SharedServerSetting = "SD0613", Warning, "a setting an app declares for its PostgreSQL is replaced on the workspace's shared server";

    // Writing the artifacts.
    WouldOverwrite = "SD0701", Warning, "a file specdeploy did not write stands where an artifact goes, and is kept";
    WeakIgnoreFile = "SD0702", Warning, "the app's own .dockerignore lets secrets in or keeps the lockfile out";
    EditedArtifact = "SD0703", Error, "a file specdeploy wrote was edited since";
    UnsafeOutputPath = "SD0704", Error, "an artifact's path leads outside the output folder or onto something that is not a file";
    GraphvizMissing = "SD0705", Error, "Graphviz's dot is not installed or cannot draw the graph";

    // Health endpoints.
    HealthRoutesNotMounted = "SD0801", Warning, "the entry point does not mount the generated health routes";
    HealthNeedsHono = "SD0802", Warning, "the generated health routes need Hono, which the app does not depend on";

    // Formal verification.
    VerifierMissing = "SD0901", Error, "a verifier is not installed or cannot be run";
    StaleVerification = "SD0902", Warning, "a formal model changed after it was verified";
    VerificationFailed = "SD0903", Warning, "a formal model does not verify";
    NeverVerified = "SD0904", Note, "a formal model has no verification verdict";
    UnreadableRecord = "SD0905", Warning, "the verification record cannot be read";
    UnusableLog = "SD0906", Error, "a verifier log cannot be used";

    // Kubernetes settings the specs do not give.
    KubernetesReplicasDefaulted = "SD1001", Warning, "the number of replicas on Kubernetes is not given";
    KubernetesImageWithoutRegistry = "SD1002", Warning, "the app's image names no registry for Kubernetes to pull it from";
    KubernetesSettingUnused = "SD1003", Warning, "a Kubernetes setting is given where it has no effect";
    KubernetesNameTooLong = "SD1004", Error, "the app's name is too long for a Kubernetes CronJob";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
