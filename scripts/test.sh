#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run): installs the real tools the
# tests check our output with, then runs, in order, `cargo fmt --check`, clippy with
# warnings denied, every test target, the doc tests, and the shipped binary
# (scripts/release.sh) on the example app, whose artifacts must be the test build's.
#
# Extra arguments go to `cargo test`: a test-name filter or `-- --nocapture` applies to
# both test runs; arguments that pick targets (`--test support_selftest`, `--lib`, ...)
# replace them with one `cargo test ARGS`.
#
# Every step runs even when an earlier one failed, so one run shows every problem; the
# exit status is that of the first step that failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2

# Without the tools every check would fail for the same reason: stop here instead.
if ! bash scripts/install-tools.sh; then
    echo "test.sh: scripts/install-tools.sh failed; no tests were run" >&2
    exit 1
fi
# shellcheck source=/dev/null
source .tools/env.sh
# Tests that need a tool panic when it is missing rather than skip (tests/support/mod.rs).
export SPECDEPLOY_REQUIRE_TOOLS=1

first_failure=0
summary=()
test_log="$(mktemp)"
trap 'rm -f "$test_log"' EXIT

# step NAME COMMAND...: runs COMMAND and records how it ended.
step() {
    local name="$1" status
    shift
    local shown="$*"
    printf '\n==> %s: %s\n' "$name" "${shown/#run_tests/cargo test}" >&2
    "$@"
    status=$?
    if ((status == 0)); then
        summary+=("$name ok")
    else
        summary+=("$name FAILED ($status)")
        ((first_failure)) || first_failure=$status
    fi
}

# test_step NAME CARGO-ARGS...: a `cargo test` whose output is also kept for the tally.
test_step() {
    local name="$1"
    shift
    step "$name" run_tests "$@"
}
# shellcheck disable=SC2317 # called through `step`
run_tests() {
    cargo test --no-fail-fast "$@" | tee -a "$test_log"
    return "${PIPESTATUS[0]}"
}

picks_targets=0
for arg in "$@"; do
    [[ "$arg" == "--" ]] && break
    case "$arg" in
    --lib | --bins | --bin | --bin=* | --examples | --example | --example=* | --tests | \
        --test | --test=* | --benches | --bench | --bench=* | --all-targets | --doc)
        picks_targets=1
        ;;
    esac
done

step fmt cargo fmt --check
step clippy cargo clippy --all-targets -- -D warnings
if ((picks_targets)); then
    test_step test "$@"
else
    test_step test --all-targets "$@"
    # `--all-targets` leaves out doc tests; a crate without a library has none.
    if [[ -f src/lib.rs ]]; then
        test_step doctest --doc "$@"
    fi
fi

# shellcheck disable=SC2317 # called through `step`
# The binary as shipped writes what the tested one writes, byte for byte.
release_writes_the_same() {
    local binary out
    binary="$(bash scripts/release.sh)" || return 1
    out="$(mktemp -d)"
    cp -r fixtures/web-service/app "$out/shipped"
    cp -r fixtures/web-service/app "$out/tested"
    "$binary" build "$out/shipped" --target all >/dev/null 2>&1 &&
        cargo run --quiet -- build "$out/tested" --target all >/dev/null 2>&1 &&
        diff -r "$out/shipped" "$out/tested"
    local status=$?
    rm -rf "$out"
    return "$status"
}
if ((!picks_targets)); then
    step release release_writes_the_same
fi

# One closing line that adds up every test binary's `test result:` line.
read -r passed failed ignored < <(
    sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/p' \
        "$test_log" | awk '{p += $1; f += $2; i += $3} END {print p + 0, f + 0, i + 0}'
)
steps="$(printf '%s, ' "${summary[@]}")"
printf '\ntest.sh: %s\n' "${steps%, }"
if grep -q '^test result:' "$test_log"; then
    printf 'tests: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$ignored"
fi
exit "$first_failure"
