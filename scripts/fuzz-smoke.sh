#!/usr/bin/env bash
# Fuzz smoke test for CI (issues #8, #20): builds the fuzz targets and runs each briefly,
# failing on any crash, panic, timeout or memory blow-up. `scenario` gets the seconds given,
# `overrides` (`--set` lines on the default scenario) and `shard_manifest` (`shard.json` as
# merge reads it) half as many each. Also the way to run a long session:
#
#   scripts/fuzz-smoke.sh            # 60 s + 30 s + 30 s, as CI runs it
#   scripts/fuzz-smoke.sh 1800       # 30 min + 15 + 15
#
# It works on a fresh machine with only rustup and cargo: it installs cargo-fuzz (pinned) if
# missing, uses nightly when rustup has it, and otherwise builds on stable with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only -Z flags to rustc for the sanitizer).
# The corpus is seeded from configs/*.yaml and tests/bad_inputs/ (the seeds are not kept in
# fuzz/corpus, which only holds what the fuzzer grows and is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-60}
CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  TOOLCHAIN=(+nightly)
  echo "toolchain: nightly"
else
  TOOLCHAIN=()
  export RUSTC_BOOTSTRAP=1
  echo "toolchain: stable with RUSTC_BOOTSTRAP=1 (no nightly installed)"
fi

# -a: debug assertions and overflow checks, so the model's per-event invariant and accounting
# checks run (cargo-fuzz's -O default would turn them off).
(cd fuzz && cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz build -a)

# Seeds: the shipped configs and the bad-input corpus for `scenario`; overrides as users type
# them for `overrides`; for `shard_manifest`, the shard.json of a small sharded run made with
# the release binary (built here if missing).
seed() { mkdir -p "fuzz/corpus/$1" "fuzz/artifacts/$1"; }
seed scenario
cp configs/*.yaml tests/bad_inputs/* fuzz/corpus/scenario/
seed overrides
printf 'market.bitcoin.volatility=0.6\nsites[0].grid_mw=150\n' > fuzz/corpus/overrides/set-two
printf "plans[1].actions[0].date=2028-01-01\nplans[0].name='a,b'\n" > fuzz/corpus/overrides/set-plan
printf 'sites[0].halls[0]={name: A}\nrums=5\n' > fuzz/corpus/overrides/set-bad
seed shard_manifest
cargo build --release --quiet
SHARD_DIR=$(mktemp -d)
target/release/pivotsim run --runs 64 --seed 1 --set horizon_years=3 --no-plots -q \
  --shard 1/1 --out "$SHARD_DIR/s" > /dev/null
cp "$SHARD_DIR/s/shard.json" fuzz/corpus/shard_manifest/three-years
rm -rf "$SHARD_DIR"

# One job (the fuzzer is single-threaded without -fork/-jobs). -timeout: seconds per input
# (the slowest valid input simulated takes well under 1 s); -rss_limit_mb: a memory blow-up
# is a finding. libFuzzer exits non-zero on the first crash and writes it to fuzz/artifacts.
run() {
  local target=$1 seconds=$2
  shift 2
  echo "fuzzing $target for $seconds s"
  (cd fuzz && cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz run -a "$target" "corpus/$target" -- \
    "$@" \
    -max_total_time="$seconds" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1)
}
run scenario "$SECONDS_TO_RUN" -dict=scenario.dict -max_len=16384
run overrides $(( (SECONDS_TO_RUN + 1) / 2 )) -dict=scenario.dict -max_len=2048
run shard_manifest $(( (SECONDS_TO_RUN + 1) / 2 )) -max_len=1048576
