#!/usr/bin/env bash
# compare/traces.sh — the same program on four runtimes, line by line.
#
# Six seed scenarios (countasync, create_task, gather_results, rate_limit,
# fetch_data, bank), each written ONCE as generic `async fn`s over a small runtime
# trait (compare/src/traces/), run on rondo (virtual clock, through stage 9's
# bridge), tokio (current-thread runtime, clock paused: it auto-advances to
# the next timer) and smol (no virtual clock: real time), beside CPython's
# asyncio running the scenario's mirror, tests/asyncio/<name>.py, on
# rondo_vclock.py's virtual clock. asyncio's trace is the reference: every
# other trace is aligned with it, and the rows where a runtime differs are
# marked (order / missing / extra / time), each scenario then giving the
# known reason for the runtimes that differ.
#
#   compare/traces.sh                     # every scenario (about 20 s: smol sleeps in real time)
#   compare/traces.sh --smol-scale 0.1    # smol's sleeps x 0.1, its stamps / 0.1 (2 s, noisier)
#   compare/traces.sh --only rate_limit   # some scenarios (comma-separated)
#   compare/traces.sh --wide              # lines not cut at 40 characters
#   compare/traces.sh --tolerance-ms 20   # how far smol's real stamps may be off (default 20)
#
# It builds the `traces` binary with the `traces` feature (tokio's
# `test-util`, for the paused clock), which run.sh's measurements leave off.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --locked --features traces --bin traces --manifest-path compare/Cargo.toml
exec compare/target/release/traces --python "${PYTHON:-python3}" "$@"
