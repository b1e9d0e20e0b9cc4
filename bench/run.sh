#!/usr/bin/env bash
# kiln against scikit-learn's GridSearchCV (and LightGBM, and a polars-only read), side by side,
# plus kiln's scaling curves.
#
#   bench/run.sh                      build kiln in release, run everything, update bench/RESULTS.md
#   KILN_BIN=path/to/kiln bench/run.sh   measure that binary instead (no build)
#
# Environment (all optional):
#   KILN_BIN          kiln binary to measure; when unset, `cargo build --release` and target/release/kiln
#   KILN_BUILD_NOTE   how KILN_BIN was built, for RESULTS.md (default: guessed from its path)
#   BENCH_PYTHON      Python with scikit-learn, pandas, pyarrow, lightgbm, polars (default: bench/.venv,
#                     made from PyPI)
#   BENCH_REPS        repetitions of each side-by-side case (default 3)
#   BENCH_JOBS        workers for every tool (default 2)
#   BENCH_CASES       comma-separated subset of bench/cases/*.toml names (default: all; "none":
#                     no side-by-side case, only the scaling curves)
#   BENCH_SIZES       powers of ten for the ridge scaling curve (default 4,5,6,7; empty: skip it)
#   BENCH_HGB_SIZES   powers of ten for the hist_gradient_boosting scaling curve (default 5,6,7;
#                     empty: skip it)
#   BENCH_HGB_FOLDS   folds of the hist_gradient_boosting curve (default 5)
#   BENCH_MAX_SECONDS skip a ridge scaling size predicted to take longer than this (default 120)
#   BENCH_HGB_MAX_SECONDS  the same for the hist_gradient_boosting curve (default 1200)
#   BENCH_HALVING     1 (default): the search-on-a-budget table (bench/halving.py); 0: skip it
#
# Everything it writes goes to bench/out/ (git-ignored) except bench/RESULTS.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

REPS=${BENCH_REPS:-3}
JOBS=${BENCH_JOBS:-2}
CASES=${BENCH_CASES:-}
SIZES=${BENCH_SIZES-4,5,6,7}
HGB_SIZES=${BENCH_HGB_SIZES-5,6,7}
HALVING=${BENCH_HALVING:-1}
HGB_FOLDS=${BENCH_HGB_FOLDS:-5}
MAX_SECONDS=${BENCH_MAX_SECONDS:-120}
HGB_MAX_SECONDS=${BENCH_HGB_MAX_SECONDS:-1200}

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

# The Python side: scikit-learn, LightGBM (the hist_gradient_boosting peer), polars (the CSV read
# reference and the CSV copy of flights).
if [ -n "${BENCH_PYTHON:-}" ]; then
    PY=$BENCH_PYTHON
else
    PY=$ROOT/bench/.venv/bin/python
    if ! "$PY" -c 'import sklearn, pandas, pyarrow, lightgbm, polars' 2>/dev/null; then
        say "making bench/.venv (scikit-learn, pandas, pyarrow, lightgbm, polars from PyPI)"
        python3 -m venv "$ROOT/bench/.venv"
        "$ROOT/bench/.venv/bin/pip" install --quiet --upgrade pip
        "$ROOT/bench/.venv/bin/pip" install --quiet scikit-learn pandas pyarrow lightgbm polars
    fi
fi
"$PY" -c 'import sklearn, pandas, pyarrow, lightgbm, polars, sys; print("== python", sys.version.split()[0], "scikit-learn", sklearn.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "lightgbm", lightgbm.__version__, "polars", polars.__version__)' >&2

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

if [ "$CASES" != none ]; then
    say "side by side: $REPS repetitions, $JOBS workers each"
    "$PY" bench/driver.py --kiln "$KILN" --python "$PY" --reps "$REPS" --jobs "$JOBS" --cases "$CASES" --build-note "$NOTE"
fi

if [ -n "$SIZES$HGB_SIZES" ]; then
    say "scaling curves (kiln only): ridge 10^{${SIZES:-none}} rows, hist_gradient_boosting 10^{${HGB_SIZES:-none}} rows x $HGB_FOLDS folds"
    "$PY" bench/synthetic.py --kiln "$KILN" --sizes "$SIZES" --hgb-sizes "$HGB_SIZES" --hgb-folds "$HGB_FOLDS" \
        --max-seconds "$MAX_SECONDS" --hgb-max-seconds "$HGB_MAX_SECONDS" --jobs "$JOBS" --build-note "$NOTE"
fi
if [ "$HALVING" = 1 ]; then
    say "search on a budget: grid, random and halving in kiln, HalvingRandomSearchCV in scikit-learn"
    "$PY" bench/halving.py --kiln "$KILN" --python "$PY" --jobs "$JOBS"
fi
say "done: bench/RESULTS.md"
