#!/usr/bin/env bash
# compare/run.sh — rondo beside tokio, smol, futures, asyncio (and uvloop),
# every workload of docs/design.md ("Performance") in one run, and the
# side-by-side table written into docs/performance.md (between its
# <!-- compare:begin --> / <!-- compare:end --> markers).
#
# rondo has two columns: `rondo` (hand-written coroutines,
# examples/bench/workloads.rs) and `rondo-async` (the one generic `async`
# version of every workload that tokio, smol and futures run,
# compare/src/workloads.rs, on rondo through stage 9's bridge:
# compare/src/rondo_async.rs). Their ratio is what the bridge costs.
# (compare/traces.sh is the other comparison: the same scenarios' printed
# traces on rondo, tokio, smol and CPython, line by line.)
#
#   compare/run.sh            # full sizes (about 5 minutes on 2 cores, build included)
#   compare/run.sh --quick    # smaller sizes, under 2 minutes: a try, not the record
#   compare/run.sh --runs 5   # more runs per median (default 3)
#   compare/run.sh --no-python / --only rondo,rondo-async,tokio   # leave columns out
#
# Works on a fresh clone: it installs what it needs (uvloop, optional) and
# builds the compare crate (its own workspace: rondo's build never sees it).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

python=${PYTHON:-python3}
if command -v "$python" >/dev/null 2>&1; then
    if ! "$python" -c "import uvloop" >/dev/null 2>&1; then
        echo "== installing uvloop (optional: its column is left out if this fails)"
        "$python" -m pip install --quiet --user uvloop 2>/dev/null \
            || "$python" -m pip install --quiet uvloop 2>/dev/null \
            || echo "   uvloop could not be installed; going on without it"
    fi
else
    echo "== no $python: the asyncio columns will be left out"
fi

echo "== building compare/ (release)"
cargo build --release --locked --manifest-path compare/Cargo.toml

echo "== measuring (progress below; the table goes to docs/performance.md)"
compare/target/release/rondo-compare \
    --python "$python" \
    --script compare/asyncio_bench.py \
    --out docs/performance.md \
    "$@"

echo "== compare/run.sh took $(( $(date +%s) - started )) s"
