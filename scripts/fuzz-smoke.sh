#!/usr/bin/env bash
# Fuzz smoke test for CI (issue #8): builds the `scenario` fuzz target and runs it briefly,
# failing on any crash, panic, timeout or memory blow-up. Also the way to run a long session:
#
#   scripts/fuzz-smoke.sh            # 60 s, as CI runs it
#   scripts/fuzz-smoke.sh 1800       # 30 min
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
TARGET=scenario

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

CORPUS=fuzz/corpus/$TARGET
mkdir -p "$CORPUS" "fuzz/artifacts/$TARGET"
cp configs/*.yaml tests/bad_inputs/* "$CORPUS/"

# -a: debug assertions and overflow checks, so the model's per-event invariant and accounting
# checks run (cargo-fuzz's -O default would turn them off).
(cd fuzz && cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz build -a "$TARGET")

# One job (the fuzzer is single-threaded without -fork/-jobs). -timeout: seconds per input
# (the slowest valid input simulated takes well under 1 s); -rss_limit_mb: a memory blow-up
# is a finding. libFuzzer exits non-zero on the first crash and writes it to fuzz/artifacts.
(cd fuzz && cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz run -a "$TARGET" "corpus/$TARGET" -- \
  -dict=scenario.dict \
  -max_len=16384 \
  -max_total_time="$SECONDS_TO_RUN" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1)
