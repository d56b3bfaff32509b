#!/usr/bin/env bash
# Fuzzes the `.spec` parser, the manifest reader and the whole pipeline, each for a bounded
# time, starting from the fixtures. Needs a nightly toolchain and cargo-fuzz:
#
#   rustup toolchain install nightly && cargo install cargo-fuzz
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]     # default 60
#
# A crash is saved under fuzz/artifacts/TARGET/ and copied to fuzz/regressions/TARGET/,
# which `cargo test --test fuzz_regressions` replays on every test run: commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
toolchain="${SPECDEPLOY_FUZZ_TOOLCHAIN:-nightly}"

seed() {
  local target=$1
  mkdir -p "fuzz/corpus/$target"
  case $target in
    spec_file)
      find fixtures -name '*.spec' | while read -r f; do
        cp "$f" "fuzz/corpus/$target/$(echo "$f" | tr / _)"
      done ;;
    manifest)
      find fixtures -name assertions.json | while read -r f; do
        cp "$f" "fuzz/corpus/$target/$(echo "$f" | tr / _)"
      done ;;
    pipeline)
      # A manifest, 0xFF, a .spec file, 0xFF, a package.json: the layout fuzz::pipeline reads.
      for app in fixtures/*/app; do
        manifest="$app/specs/assertions.json"; spec=$(find "$app/specs" -name '*.spec' | head -1)
        out="fuzz/corpus/$target/$(basename "$(dirname "$app")")"
        { [ -f "$manifest" ] && cat "$manifest"; printf '\xff'; [ -n "$spec" ] && cat "$spec"
          printf '\xff'; cat "$app/package.json" 2>/dev/null || true; } > "$out"
      done ;;
  esac
  cp fuzz/regressions/"$target"/* "fuzz/corpus/$target/" 2>/dev/null || true
}

status=0
for target in spec_file manifest pipeline; do
  seed "$target"
  echo "== fuzzing $target for ${seconds}s"
  if ! cargo "+$toolchain" fuzz run "$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576; then
    status=1
  fi
  if compgen -G "fuzz/artifacts/$target/*" > /dev/null; then
    mkdir -p "fuzz/regressions/$target"
    cp fuzz/artifacts/"$target"/* "fuzz/regressions/$target/"
    echo "!! $target found inputs that break it: copied to fuzz/regressions/$target/"
    status=1
  fi
done
exit $status
