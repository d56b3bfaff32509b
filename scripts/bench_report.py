"""Turns the hyperfine results of scripts/bench.sh into the figures of docs/performance.md.

Usage: bench_report.py RESULTS_DIR BENCH_DIR MACHINE DOC PLOT_DATA

Prints the ratios against the floors, rewrites the part of DOC between the figures markers,
and writes PLOT_DATA for scripts/bench_plot.gp.
"""

import json
import os
import statistics
import sys

# The spec-driven toolchain's own manifest validator (bash calling jq per field) cannot be run
# here; these are its published medians on a 2-core machine.
VALIDATOR_100_S = 36.0
VALIDATOR_10_S = 3.8

START = "<!-- figures:start -->"
END = "<!-- figures:end -->"
SIZES = [100, 1000, 10000, 100000]


def load(results, name):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        run = json.load(f)["results"][0]
    with open(os.path.join(results, name + ".rss")) as f:
        rss_kb = int(f.read().strip() or 0)
    return {
        "median": run["median"],
        "stddev": run["stddev"] or 0.0,
        "cpu": run["user"] + run["system"],
        "rss_kb": rss_kb,
    }


def ms(seconds):
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"


def mb(kb):
    return f"{kb / 1024:.1f} MB"


def spec_bytes(folder):
    total = 0
    for base, _, files in os.walk(os.path.join(folder, "specs")):
        total += sum(os.path.getsize(os.path.join(base, f)) for f in files)
    return total


def paired_ratios(results):
    """The ratio of `build`'s median to `cat`'s in each paired round, in round order."""
    folder = os.path.join(results, "pairs")
    if not os.path.isdir(folder):
        return []
    ratios = []
    for name in sorted(os.listdir(folder), key=lambda n: int(n.split(".")[0])):
        with open(os.path.join(folder, name)) as f:
            cat, build = json.load(f)["results"]
        ratios.append(build["median"] / cat["median"])
    return ratios


def main():
    results, bench, machine, doc, plot_data = sys.argv[1:6]
    r = {name[:-5]: load(results, name[:-5]) for name in os.listdir(results) if name.endswith(".json")}
    pairs = paired_ratios(results)
    true, cat = r["floor-true"], r["floor-cat"]
    build, check_web = r["build-web-service"], r["check-web-service"]
    plain = r.get("build-web-service-plain")
    nix_build, nix_plan = r.get("nixpacks-build"), r.get("nixpacks-plan")

    lines = [f"Measured on {machine}."]
    with open("/proc/loadavg") as f:
        load_now = float(f.read().split()[0])
    if load_now > 1.0:
        lines.append(
            "The machine was busy with other work during the run: the medians include time "
            "spent waiting for a core; the CPU column does not."
        )
    lines.append("")
    lines += ["| command | median | ± | peak memory | vs `cat` | vs `true` |", "|---|---|---|---|---|---|"]

    def row(label, m):
        lines.append(
            f"| {label} | {ms(m['median'])} | {ms(m['stddev'])} | {mb(m['rss_kb'])} "
            f"| {m['median'] / cat['median']:.2f}× | {m['median'] / true['median']:.2f}× |"
        )

    row("`true` (process floor)", true)
    row("`cat specs/assertions.json` (read floor)", cat)
    if nix_plan and nix_build:
        row("`nixpacks plan` (web service)", nix_plan)
        row("`nixpacks build --out` (web service)", nix_build)
    row("`specdeploy build --target all` (web service)", build)
    if plain:
        row("the same, plain `cargo build --release` (glibc linked dynamically)", plain)
    row("`specdeploy check` (web service)", check_web)
    lines.append("")

    lines += [
        "| assertions | form | spec bytes | `check` median | per assertion | CPU (user + system) | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    plot = []
    per = {}
    for n in SIZES:
        plot_row = [str(n)]
        for form in ["manifest", "spec"]:
            m = r[f"check-{form}-{n}"]
            size = spec_bytes(os.path.join(bench, f"{form}-{n}"))
            each = m["median"] / n
            per[(form, n)] = each
            count = max(n // 100, 1)
            files = "" if form == "manifest" else f", {count} file{'s' if count > 1 else ''}"
            lines.append(
                f"| {n:,} | {form}{files} | {size / 1e6:.2f} MB | {ms(m['median'])} "
                f"| {each * 1e6:.1f} µs | {ms(m['cpu'])} | {mb(m['rss_kb'])} |"
            )
            plot_row += [f"{m['median'] * 1000:.3f}", f"{each * 1e6:.3f}"]
        plot.append(" ".join(plot_row))
    lines.append("")

    # The targets, each with the figure that decides it.
    def verdict(ok):
        return "met" if ok else "**not met**"

    targets = ["| target | figure | |", "|---|---|---|"]
    if nix_build:
        half = build["median"] <= nix_build["median"] / 2
        targets.append(
            f"| `build` ≤ ½ × `nixpacks build --out` | {ms(build['median'])} vs "
            f"{ms(nix_build['median'])} ({build['median'] / nix_build['median']:.2f}×) | {verdict(half)} |"
        )
    else:
        targets.append("| `build` ≤ ½ × `nixpacks build --out` | nixpacks not installed: not measured | |")
    whole = build["median"] / cat["median"]
    if pairs:
        # The rounds decide: each compares the two at the same moment.
        paired = statistics.median(pairs)
        targets.append(
            f"| `build` ≤ 3 × `cat` | {paired:.2f}×, the median of {len(pairs)} paired rounds "
            f"({min(pairs):.2f}× to {max(pairs):.2f}×); {whole:.2f}× from the medians above "
            f"| {verdict(paired <= 3)} |"
        )
    else:
        targets.append(f"| `build` ≤ 3 × `cat` | {whole:.2f}× | {verdict(whole <= 3)} |")
    speedup = VALIDATOR_100_S / r["check-manifest-100"]["median"]
    targets.append(
        f"| `check` of 100 assertions ≥ 3,000 × faster than the validator's {VALIDATOR_100_S:.0f} s "
        f"| {speedup:,.0f}× | {verdict(speedup >= 3000)} |"
    )
    for form in ["manifest", "spec"]:
        m = r[f"check-{form}-100000"]
        targets.append(
            f"| `check` of 100,000 assertions ({form}) < 0.5 s, < 200 MB | {ms(m['median'])}, "
            f"{mb(m['rss_kb'])} | {verdict(m['median'] < 0.5 and m['rss_kb'] < 200 * 1024)} |"
        )
        growth = per[(form, 100000)] / per[(form, 10000)] - 1
        targets.append(
            f"| time per assertion, 10k → 100k ({form}), grows < 20% | {growth * 100:+.0f}% "
            f"| {verdict(growth < 0.2)} |"
        )
    targets.append(
        f"| peak memory, web service < 20 MB | {mb(build['rss_kb'])} (`build`) "
        f"| {verdict(build['rss_kb'] < 20 * 1024)} |"
    )
    lines += targets

    with open(doc) as f:
        text = f.read()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(doc, "w") as f:
        f.write(head + START + "\n" + "\n".join(lines) + "\n" + END + tail)
    with open(plot_data, "w") as f:
        f.write("# assertions manifest_ms manifest_us_each spec_ms spec_us_each\n")
        f.write("\n".join(plot) + "\n")

    print("\n".join(lines))
    if pairs:
        print("build / cat in each paired round: " + ", ".join(f"{p:.2f}" for p in pairs))
    print(
        f"\nbuild / cat = {build['median'] / cat['median']:.2f}, build / true = "
        f"{build['median'] / true['median']:.2f}"
        + (f", build / nixpacks build = {build['median'] / nix_build['median']:.2f}" if nix_build else
           ", nixpacks: skipped (not installed)")
    )
    print(
        f"check of 100 assertions vs the validator ({VALIDATOR_100_S:.0f} s for 100, "
        f"{VALIDATOR_10_S} s for 10, published figures): {speedup:,.0f}x faster"
    )


if __name__ == "__main__":
    main()
