#!/usr/bin/env bash
# Whole-process timings of specdeploy, and the figures in docs/performance.md.
#
#   bash scripts/bench.sh            # every size, up to 100,000 assertions
#   BENCH_QUICK=1 bash scripts/bench.sh   # fewer runs each, for a first look
#
# Builds specdeploy as it is shipped (scripts/release.sh: glibc linked statically on Linux),
# and the corpus generator (examples/specgen) with --release, generates
# spec folders of 100, 1,000, 10,000 and 100,000 assertions in the manifest form and spread
# over .spec files (100 assertions a file) into target/bench/, copies the example web service
# there, and times with hyperfine, in one run:
#
#   - the floors: `true` (starting and ending a process) and `cat` of the web service's manifest;
#   - nixpacks `plan` and `build --out` on the web service, when nixpacks is on PATH or in
#     .tools/nixpacks/bin (otherwise said and skipped);
#   - `specdeploy build --target all` on the web service (every artifact), and
#     `specdeploy check` on the web service and on every corpus, with the shipped binary;
#   - the same `build` with the binary of a plain `cargo build --release` (glibc linked
#     dynamically), for comparison;
#   - `cat` and the shipped `build` again, back to back in paired rounds (15, or 5 with
#     BENCH_QUICK), for the ratio of the two within each round.
#
# Peak memory comes from `/usr/bin/time -v` (Debian package `time`). The hyperfine JSON goes
# to target/bench/results/, the ratios against the floors are printed, the table between the
# markers in docs/performance.md is rewritten, and docs/performance.svg is drawn with gnuplot.
# scripts/install-tools.sh installs hyperfine, time and gnuplot.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bench="$root/target/bench"
results="$bench/results"
sizes=(100 1000 10000 100000)
if [[ -n "${BENCH_QUICK:-}" ]]; then
    runs=(--warmup 1 --min-runs 3 --max-runs 5)
else
    runs=(--warmup 3 --min-runs 10)
fi

say() { printf 'bench: %s\n' "$*" >&2; }

for tool in hyperfine /usr/bin/time gnuplot python3; do
    command -v "$tool" >/dev/null || {
        say "$tool is missing; run scripts/install-tools.sh"
        exit 2
    }
done

say "building specdeploy (scripts/release.sh, and a plain --release) and specgen (--release)"
# The generator first: built with it, the binary would get the dev-dependencies' features.
cargo build --release --quiet --example specgen
cargo build --release --quiet --bin specdeploy
specdeploy="$(bash scripts/release.sh)"
plain="$root/target/release/specdeploy"
specgen="$root/target/release/examples/specgen"

rm -rf "$results"
mkdir -p "$results"

# --- Inputs ---------------------------------------------------------------------------------
web="$bench/web-service"
rm -rf "$web" "$bench/web-service-out" "$bench/nixpacks-out"
cp -r fixtures/web-service/app "$web"
for n in "${sizes[@]}"; do
    files=$((n / 100 > 0 ? n / 100 : 1))
    "$specgen" --assertions "$n" --form manifest --out "$bench/manifest-$n" >&2
    "$specgen" --assertions "$n" --form spec --files "$files" --out "$bench/spec-$n" >&2
done

# --- Timings --------------------------------------------------------------------------------
# time_one NAME COMMAND: hyperfine's figures into results/NAME.json, peak memory into
# results/NAME.rss (kilobytes, the largest of three runs).
time_one() {
    local name="$1" command="$2" rss=0 kb
    say "timing $name: $command"
    hyperfine --shell=none "${runs[@]}" --style basic --export-json "$results/$name.json" \
        --command-name "$name" "$command" >&2
    for _ in 1 2 3; do
        # shellcheck disable=SC2086 # the command is split into words, as hyperfine does
        kb="$(/usr/bin/time -f '%M' $command 2>&1 >/dev/null | tail -n1)"
        ((kb > rss)) && rss=$kb
    done
    echo "$rss" >"$results/$name.rss"
}

time_one floor-true "true"
time_one floor-cat "cat $web/specs/assertions.json"

nixpacks="$(command -v nixpacks || true)"
if [[ -z "$nixpacks" && -x "$root/.tools/nixpacks/bin/nixpacks" ]]; then
    nixpacks="$root/.tools/nixpacks/bin/nixpacks"
fi
if [[ -n "$nixpacks" ]]; then
    time_one nixpacks-plan "$nixpacks plan $web"
    time_one nixpacks-build "$nixpacks build $web --out $bench/nixpacks-out"
else
    say "nixpacks not found (PATH or .tools/nixpacks/bin): its rows are skipped;"
    say "install it with: cargo install --locked nixpacks --root .tools/nixpacks"
fi

# The first build writes the artifacts; the timed ones find them unchanged, as a save hook does.
"$specdeploy" build "$web" --target all --out "$bench/web-service-out" >/dev/null 2>&1
time_one build-web-service "$specdeploy build $web --target all --out $bench/web-service-out"
time_one build-web-service-plain "$plain build $web --target all --out $bench/web-service-out"

# Paired rounds: `cat` and `build` back to back, round after round. This machine's speed
# changes by a third from one moment to the next, and a ratio of two medians taken seconds
# apart can fall on either side of such a change; the ratio within a round cannot.
pairs="$results/pairs"
mkdir -p "$pairs"
rounds=15
[[ -n "${BENCH_QUICK:-}" ]] && rounds=5
say "timing $rounds paired rounds of cat and build"
for ((round = 1; round <= rounds; round++)); do
    hyperfine --shell=none --warmup 5 --runs 40 --style none --export-json "$pairs/$round.json" \
        "cat $web/specs/assertions.json" \
        "$specdeploy build $web --target all --out $bench/web-service-out" >/dev/null
done
time_one check-web-service "$specdeploy check $web"
for n in "${sizes[@]}"; do
    for form in manifest spec; do
        time_one "check-$form-$n" "$specdeploy check $bench/$form-$n"
    done
done

# --- Report ---------------------------------------------------------------------------------
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), \
load average $(cut -d' ' -f1-3 /proc/loadavg) at the end of the run"
python3 scripts/bench_report.py "$results" "$bench" "$machine" docs/performance.md \
    "$results/plot.dat"
gnuplot -e "data='$results/plot.dat'; out='docs/performance.svg'" scripts/bench_plot.gp
say "wrote docs/performance.md (figures) and docs/performance.svg"
