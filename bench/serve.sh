#!/usr/bin/env bash
# `kiln serve` under load, beside the usual Python route (scikit-learn in FastAPI on uvicorn), and a
# hardening run of good and bad requests mixed. Writes its tables into bench/SERVE.md.
#
#   bench/serve.sh                                      cargo build --release, then measure
#   CARGO_TARGET_DIR=/work/target-release bench/serve.sh   the same, building into that target dir
#   KILN_BIN=path/to/kiln bench/serve.sh                measure that binary (no build)
#
# Environment (all optional):
#   KILN_BIN              kiln binary; when unset, `cargo build --release` and $CARGO_TARGET_DIR/release/kiln
#   BENCH_PYTHON          Python with scikit-learn and pandas (default: bench/.venv, made from PyPI);
#                         fastapi and uvicorn[standard] are pip-installed into it when missing
#   SERVE_SECONDS         length of each measured wrk run (default 20; each after a 3 s warm-up)
#   SERVE_HARDEN_SECONDS  length of the hardening run (default 60)
#   SERVE_CONNECTIONS     wrk connections (default 32)
#   SERVE_WRK_THREADS     wrk threads (default 2)
#   SERVE_PY_WORKERS      uvicorn worker processes (default 2: one per core; kiln serve runs its default, twice the cores)
#   SERVE_SKIP_PYTHON     set to 1 to measure kiln only
#
# The model: pipelines/ames_ridge.toml less its holdout (data.test_size), so that kiln and the
# scikit-learn twin fit the very same rows and their predictions can be compared. Load generator,
# servers and anything else on the machine share its cores: the load average is reported.
# Everything else it writes goes to bench/out/serve/ (git-ignored).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/serve
SECONDS_RUN=${SERVE_SECONDS:-20}
HARDEN=${SERVE_HARDEN_SECONDS:-60}
CONNS=${SERVE_CONNECTIONS:-32}
THREADS=${SERVE_WRK_THREADS:-2}
PY_WORKERS=${SERVE_PY_WORKERS:-2}

say() { printf '== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

mkdir -p "$OUT"
rm -rf "$OUT/runs" "$OUT/bodies"

# --- tools ----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package wrk)"
    as_root apt-get update -qq
    as_root apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null || { as_root apt-get update -qq; as_root apt-get install -y -qq curl >/dev/null; }

if [ -n "${KILN_BIN:-}" ]; then
    KILN=$KILN_BIN
else
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    say "cargo build --release into $TARGET (the first build compiles polars: about 15 minutes on two cores)"
    cargo build --release --quiet
    KILN=$TARGET/release/kiln
fi
[ -x "$KILN" ] || { echo "error: no kiln binary at $KILN" >&2; exit 2; }
# Measure a private copy: a rebuild of the tree during the run must not swap the binary under it.
cp -p "$KILN" "$OUT/kiln-measured"
KILN_SRC=$(readlink -f "$KILN")
KILN=$OUT/kiln-measured

if [ "${SERVE_SKIP_PYTHON:-0}" != 1 ]; then
    if [ -n "${BENCH_PYTHON:-}" ]; then
        PY=$BENCH_PYTHON
    else
        PY=$ROOT/bench/.venv/bin/python
        if ! "$PY" -c 'import sklearn, pandas' 2>/dev/null; then
            say "making bench/.venv (scikit-learn, pandas, pyarrow from PyPI)"
            python3 -m venv "$ROOT/bench/.venv"
            "$ROOT/bench/.venv/bin/pip" install --quiet --upgrade pip
            "$ROOT/bench/.venv/bin/pip" install --quiet scikit-learn pandas pyarrow
        fi
    fi
    if ! "$PY" -c 'import fastapi, uvicorn' 2>/dev/null; then
        say "pip install fastapi uvicorn[standard] into $("$PY" -c 'import sys; print(sys.prefix)')"
        "$PY" -m pip install --quiet fastapi "uvicorn[standard]"
    fi
else
    PY=python3
fi

# --- the model and the request bodies -------------------------------------------------------
sed -e '/^test_size/d' -e "s#^path = .*#path = \"$ROOT/data/ames.csv\"#" pipelines/ames_ridge.toml >"$OUT/ames_ridge.toml"
say "kiln run $OUT/ames_ridge.toml"
"$KILN" run "$OUT/ames_ridge.toml" --out "$OUT/runs" --quiet
MODEL=$(ls "$OUT"/runs/ames-ridge/*/model.json | head -n 1)
"$PY" bench/serve_bodies.py write data/ames.csv "$OUT/bodies" "$MODEL" 2>/dev/null ||
    { echo "error: bench/serve_bodies.py needs pandas and numpy in $PY" >&2; exit 2; }

# --- helpers --------------------------------------------------------------------------------
KPID=
KURL=
start_kiln() { # extra flags...
    : >"$OUT/kiln.log"
    "$KILN" serve "$MODEL" --addr 127.0.0.1:0 "$@" 2>"$OUT/kiln.log" &
    KPID=$!
    PIDS+=("$KPID")
    for _ in $(seq 300); do
        KURL=$(grep -o 'listening on http://[0-9.:]*' "$OUT/kiln.log" | sed 's/listening on //' || true)
        [ -n "$KURL" ] && return 0
        sleep 0.1
    done
    echo "error: kiln serve did not start:" >&2
    cat "$OUT/kiln.log" >&2
    exit 1
}

STOP_CODE=
stop() { # pid: SIGTERM, wait; its exit code in STOP_CODE
    kill -TERM "$1"
    STOP_CODE=0
    wait "$1" || STOP_CODE=$?
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

field() { # RESULT-line key
    sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

measure() { # name url body -> the RESULT line
    local name=$1 url=$2 body=$3
    wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/serve_post.lua "$url" -- "$body" >/dev/null
    wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_RUN}s" --latency -s bench/serve_post.lua "$url" -- "$body" >"$OUT/$name.txt"
    grep '^RESULT' "$OUT/$name.txt"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# --- facts ----------------------------------------------------------------------------------
CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
WRK_VERSION=$({ wrk --version 2>&1 || true; } | head -n 1 | cut -d' ' -f1-2)
FACTS="$(nproc) cores ($CPU), $MEM memory, Linux $(uname -r); $WRK_VERSION"
say "$FACTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- kiln -----------------------------------------------------------------------------------
say "kiln serve --quiet: $CONNS connections, $THREADS wrk threads, ${SECONDS_RUN}s per run"
start_kiln --quiet
K1=$(measure kiln_1row "$KURL" "$OUT/bodies/good_1.json")
say "kiln   1 row : $K1"
K100=$(measure kiln_100rows "$KURL" "$OUT/bodies/good_100.json")
say "kiln 100 rows: $K100"
KRSS=$(rss_kb "$KPID")
KMETRICS=$(curl -fsS "$KURL/metrics")
K5XX=$(grep -c '^kiln_http_requests_total{.*status="5' <<<"$KMETRICS" || true)

# --- Python ---------------------------------------------------------------------------------
if [ "${SERVE_SKIP_PYTHON:-0}" != 1 ]; then
    PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PURL=http://127.0.0.1:$PORT
    say "scikit-learn in FastAPI on uvicorn, $PY_WORKERS workers, at $PURL"
    SERVE_PIPELINE=$OUT/ames_ridge.toml SERVE_KILN_MODEL=$MODEL \
        "$PY" -m uvicorn --app-dir bench serve_sklearn:app --host 127.0.0.1 --port "$PORT" \
        --workers "$PY_WORKERS" --log-level warning --no-access-log 2>"$OUT/python.log" &
    PYPID=$!
    PIDS+=("$PYPID")
    for _ in $(seq 600); do
        curl -fsS "$PURL/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fsS "$PURL/health" >/dev/null || { cat "$OUT/python.log" >&2; exit 1; }
    AGREE=$("$PY" bench/serve_bodies.py compare "$KURL" "$PURL" "$OUT/bodies/good_100.json")
    say "kiln vs scikit-learn predictions: $AGREE"
    P1=$(measure python_1row "$PURL" "$OUT/bodies/good_1.json")
    say "python   1 row : $P1"
    P100=$(measure python_100rows "$PURL" "$OUT/bodies/good_100.json")
    say "python 100 rows: $P100"
    stop "$PYPID"
    PY_VERSIONS=$("$PY" -c 'import sys, sklearn, pandas, fastapi, uvicorn; print(f"Python {sys.version.split()[0]}, scikit-learn {sklearn.__version__}, pandas {pandas.__version__}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}")')
fi
stop "$KPID"
KCODE=$STOP_CODE
[ "$KCODE" = 0 ] || { echo "error: kiln serve exited $KCODE after SIGTERM" >&2; exit 1; }

# --- hardening ------------------------------------------------------------------------------
say "hardening: ${HARDEN}s of mixed good and bad requests, kiln serve --max-body 64k (request log on)"
start_kiln --max-body 64k
RSS0=$(rss_kb "$KPID")
(
    while kill -0 "$KPID" 2>/dev/null; do
        printf '%s %s\n' "$(date +%s)" "$(rss_kb "$KPID" 2>/dev/null || echo 0)"
        sleep 5
    done
) >"$OUT/rss.txt" &
PIDS+=("$!")
wrk -t"$THREADS" -c"$CONNS" -d"${HARDEN}s" --latency -s bench/serve_mix.lua "$KURL" -- "$OUT/bodies" >"$OUT/hardening.txt"
H=$(grep '^RESULT' "$OUT/hardening.txt")
say "hardening: $H"
HEALTH=$(curl -fsS "$KURL/health")
AFTER=$(curl -fsS -X POST -H 'Content-Type: application/json' --data-binary @"$OUT/bodies/good_1.json" "$KURL/predict")
curl -fsS "$KURL/metrics" >"$OUT/hardening_metrics.txt"
RSS1=$(rss_kb "$KPID")
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$KPID/status")
H5XX=$(awk '/^kiln_http_requests_total\{.*status="5/ {n += $2} END {print n + 0}' "$OUT/hardening_metrics.txt")
# One line per (endpoint, status); the labels themselves may hold braces (`/v2/models/{name}/infer`).
HBY=$(sed -n 's/^kiln_http_requests_total{\(.*\)} \([0-9.e+]*\)$/\1 \2/p' "$OUT/hardening_metrics.txt" | sort)
stop "$KPID"
HCODE=$STOP_CODE
LOG_LINES=$(grep -c ' /' "$OUT/kiln.log" || true)
: >"$OUT/kiln.log" # the request log of the hardening run is large; its line count is kept
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RSS_SERIES=$(awk '{printf "%s%d", (NR > 1 ? ", " : ""), $2 / 1024}' "$OUT/rss.txt")

# --- report ---------------------------------------------------------------------------------
row() { # label RESULT
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$(field "$2" rps)" "$(field "$2" p50_ms)" "$(field "$2" p99_ms)" "$(field "$2" non2xx)"
}
{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC on $FACTS."
    echo "Load average before / after: $LOAD_BEFORE / $LOAD_AFTER. kiln: $("$KILN" --version), release build, copy of $KILN_SRC."
    [ -n "${PY_VERSIONS:-}" ] && echo "$PY_VERSIONS."
    echo
    echo "wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s --latency (after a 3 s warm-up), POST /predict, same body every request:"
    echo
    echo "| server | requests/s | p50 ms | p99 ms | non-2xx |"
    echo "|---|---|---|---|---|"
    row "kiln serve, 1 row" "$K1"
    row "kiln serve, 100 rows" "$K100"
    if [ -n "${P1:-}" ]; then
        row "FastAPI + scikit-learn, 1 row" "$P1"
        row "FastAPI + scikit-learn, 100 rows" "$P100"
    fi
    echo
    echo "- kiln rows predicted per second: $(awk -v a="$(field "$K1" rps)" 'BEGIN{printf "%.0f", a}') (1-row requests), $(awk -v a="$(field "$K100" rps)" 'BEGIN{printf "%.0f", a * 100}') (100-row requests); RSS after both runs $((KRSS / 1024)) MiB; 5xx series in /metrics: $K5XX."
    if [ -n "${P1:-}" ]; then
        echo "- kiln / Python requests per second: $(ratio "$(field "$K1" rps)" "$(field "$P1" rps)")x (1 row), $(ratio "$(field "$K100" rps)" "$(field "$P100" rps)")x (100 rows); p99 latency Python / kiln: $(ratio "$(field "$P1" p99_ms)" "$(field "$K1" p99_ms)")x (1 row), $(ratio "$(field "$P100" p99_ms)" "$(field "$K100" p99_ms)")x (100 rows)."
        echo "- Same predictions: $AGREE (POST of good_100.json to both)."
    fi
    echo
    echo "Hardening, wrk -t$THREADS -c$CONNS -d${HARDEN}s -s bench/serve_mix.lua against kiln serve --max-body 64k (request log on, to a file):"
    echo
    echo "- wrk: $(field "$H" requests) requests, $(field "$H" rps) requests/s, p50 $(field "$H" p50_ms) ms, p99 $(field "$H" p99_ms) ms, socket errors $(field "$H" socket_errors); statuses seen by the clients: $(field "$H" statuses)."
    echo "- The server's /metrics afterwards, requests by endpoint and status: $(tr '\n' ';' <<<"$HBY" | sed 's/;$//; s/;/; /g')."
    echo "- 5xx responses: $H5XX. Afterwards GET /health answered $HEALTH and a good POST /predict $AFTER; SIGTERM then exited $HCODE. Request log lines: $LOG_LINES."
    echo "- RSS (VmRSS, MiB) every 5 s from start: $RSS_SERIES; at start $((RSS0 / 1024)) MiB, after $((RSS1 / 1024)) MiB, peak (VmHWM) $((HWM / 1024)) MiB."
} >"$OUT/summary.md"
cat "$OUT/summary.md" >&2

if [ -f bench/SERVE.md ] && grep -q '<!-- serve:start -->' bench/SERVE.md; then
    "$PY" - "$OUT/summary.md" <<'PYEOF'
import sys
from pathlib import Path
doc = Path("bench/SERVE.md")
text = doc.read_text()
head, rest = text.split("<!-- serve:start -->", 1)
_, tail = rest.split("<!-- serve:end -->", 1)
doc.write_text(head + "<!-- serve:start -->\n" + Path(sys.argv[1]).read_text() + "<!-- serve:end -->" + tail)
PYEOF
    say "bench/SERVE.md updated"
fi
[ "$H5XX" = 0 ] && [ "$HCODE" = 0 ] || { echo "error: the hardening run saw 5xx responses or a bad exit" >&2; exit 1; }
