#!/usr/bin/env bash
# kiln against scikit-learn's GridSearchCV, side by side, plus kiln's scaling curve.
#
#   bench/run.sh                      build kiln in release, run everything, update bench/RESULTS.md
#   KILN_BIN=path/to/kiln bench/run.sh   measure that binary instead (no build)
#
# Environment (all optional):
#   KILN_BIN          kiln binary to measure; when unset, `cargo build --release` and target/release/kiln
#   KILN_BUILD_NOTE   how KILN_BIN was built, for RESULTS.md (default: guessed from its path)
#   BENCH_PYTHON      Python with scikit-learn, pandas, pyarrow (default: bench/.venv, made from PyPI)
#   BENCH_REPS        repetitions of each side-by-side case (default 3)
#   BENCH_JOBS        workers for both tools (default 2)
#   BENCH_CASES       comma-separated subset of bench/cases/*.toml names (default: all)
#   BENCH_SIZES       powers of ten for the scaling curve (default 4,5,6,7; empty: skip it)
#   BENCH_MAX_SECONDS skip a scaling size predicted to take longer than this (default 120)
#
# Everything it writes goes to bench/out/ (git-ignored) except bench/RESULTS.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

REPS=${BENCH_REPS:-3}
JOBS=${BENCH_JOBS:-2}
CASES=${BENCH_CASES:-}
SIZES=${BENCH_SIZES-4,5,6,7}
MAX_SECONDS=${BENCH_MAX_SECONDS:-120}

say() { printf '== %s\n' "$*" >&2; }

# /usr/bin/time -v measures peak memory; Debian's package is `time`.
if [ ! -x /usr/bin/time ]; then
    say "installing /usr/bin/time (Debian package time)"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq time >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq time >/dev/null
    fi
fi

# The scikit-learn side.
if [ -n "${BENCH_PYTHON:-}" ]; then
    PY=$BENCH_PYTHON
else
    PY=$ROOT/bench/.venv/bin/python
    if ! "$PY" -c 'import sklearn, pandas, pyarrow' 2>/dev/null; then
        say "making bench/.venv (scikit-learn, pandas, pyarrow from PyPI)"
        python3 -m venv "$ROOT/bench/.venv"
        "$ROOT/bench/.venv/bin/pip" install --quiet --upgrade pip
        "$ROOT/bench/.venv/bin/pip" install --quiet scikit-learn pandas pyarrow
    fi
fi
"$PY" -c 'import sklearn, pandas, pyarrow, sys; print("== python", sys.version.split()[0], "scikit-learn", sklearn.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__)' >&2

# The kiln side.
if [ -n "${KILN_BIN:-}" ]; then
    KILN=$KILN_BIN
    NOTE=${KILN_BUILD_NOTE:-}
else
    say "cargo build --release (the first build compiles polars: about 15 minutes on two cores)"
    cargo build --release --quiet
    KILN=$ROOT/target/release/kiln
    NOTE="release (cargo build --release)"
fi
[ -x "$KILN" ] || { echo "error: no kiln binary at $KILN" >&2; exit 2; }
# Measure a private copy: a rebuild of the tree during the run must not swap the binary under it.
mkdir -p "$ROOT/bench/out"
[ -n "$NOTE" ] || case "$(readlink -f "$KILN")" in
    */release/*) NOTE="release" ;;
    */debug/*) NOTE="dev profile (kiln opt-level 1, dependencies opt-level 2)" ;;
    *) NOTE="unknown build: $KILN" ;;
esac
NOTE="$NOTE; measured as a copy of $(readlink -f "$KILN")"
cp -p "$KILN" "$ROOT/bench/out/kiln-measured"
KILN=$ROOT/bench/out/kiln-measured
say "kiln: $("$KILN" --version) - $NOTE"

say "side by side: $REPS repetitions, $JOBS workers each"
"$PY" bench/driver.py --kiln "$KILN" --python "$PY" --reps "$REPS" --jobs "$JOBS" --cases "$CASES" --build-note "$NOTE"

if [ -n "$SIZES" ]; then
    say "scaling curve (kiln only): 10^{$SIZES} rows"
    "$PY" bench/synthetic.py --kiln "$KILN" --sizes "$SIZES" --max-seconds "$MAX_SECONDS" --jobs "$JOBS" --build-note "$NOTE"
fi
say "done: bench/RESULTS.md"
