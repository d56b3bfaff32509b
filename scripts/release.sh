#!/usr/bin/env bash
# Builds specdeploy as it is shipped, and prints the binary's path:
#
#   bash scripts/release.sh            # target/<host>/release/specdeploy
#
# A release build (fat LTO, see Cargo.toml), and on Linux with glibc the C library linked in
# statically (`-C target-feature=+crt-static`): the binary runs on any Linux of its
# architecture, whatever glibc it has, and starts without the dynamic loader mapping and
# resolving three libraries, about 0.3 ms of each run (docs/performance.md). The flag needs
# `--target`: without it, cargo would also pass it to the proc-macro crates, which cannot be
# linked statically. Elsewhere this is `cargo build --release --target <host>`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

host="$(rustc -vV | sed -n 's/^host: //p')"
if [[ "$host" == *-linux-gnu ]]; then
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static"
fi
cargo build --release --quiet --locked --target "$host" --bin specdeploy
# Where cargo puts it: target/ unless CARGO_TARGET_DIR or a config file says otherwise.
target_dir="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
echo "${target_dir:-$root/target}/$host/release/specdeploy"
