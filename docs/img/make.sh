#!/bin/sh
# Draws the chapters' timeline pictures (docs/img/*.svg) from the examples:
#
#     docs/img/make.sh
#
# Each example runs on the virtual clock with RONDO_TIMELINE=<file>.svg, so
# the pictures are the same on every machine; tests/observers_on_examples.rs
# checks that the ones in the repository are what this script draws today.
# A program that runs its loop twice writes <name>.svg, then <name>-2.svg.
set -eu
cd "$(dirname "$0")/../.."
img=docs/img
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --quiet --examples

# draw EXAMPLE: runs it with its timeline going to $tmp/EXAMPLE.svg (and -2.svg, ...).
draw() {
    RONDO_TIMELINE="$tmp/$1.svg" cargo run --quiet --example "$1" -- --virtual > /dev/null 2> "$tmp/$1.log" || {
        cat "$tmp/$1.log" >&2
        exit 1
    }
}

draw countasync        # chapter 03: three counts sleep together
cp "$tmp/countasync.svg" "$img/countasync.svg"

draw fetch_data        # chapter 06: printNumbers still pending when main returns
cp "$tmp/fetch_data.svg" "$img/fetch_data.svg"

draw highest_prime     # chapter 05: gathered searches; chapter 06: the same with a blocking sleep
cp "$tmp/highest_prime.svg" "$img/highest_prime-gathered.svg"
cp "$tmp/highest_prime-2.svg" "$img/highest_prime-blocking.svg"

draw chess             # chapter 06: 24 boards one at a time (12 h), then in turn (1 h)
cp "$tmp/chess.svg" "$img/chess-one-at-a-time.svg"
cp "$tmp/chess-2.svg" "$img/chess-in-turn.svg"

draw rate_limit        # chapter 07: a Semaphore(3) hands each freed slot to the first in line
cp "$tmp/rate_limit.svg" "$img/rate_limit.svg"

ls -l "$img"/*.svg
