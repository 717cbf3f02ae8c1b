#!/usr/bin/env bash
# Benchmark llm-gateway against a local mock upstream; prints a markdown table, writes
# bench/results/<timestamp>.json and bench/results/latest.json.
#
#   bench/run.sh [--quick] [--profile] [--soak [N]] [--with litellm] [--workers N] [--scale]
#
# Installs Debian's wrk when it is missing and this is root (BENCH_NO_INSTALL=1: never
# install; BENCH_LOADGEN=python: use the Python load generator). BENCH_PYTHON picks the
# interpreter (default: the repo's .venv, else python3). The Python side ends every
# process it starts, also on Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${BENCH_PYTHON:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY="$(command -v python3 || command -v python)"; fi
fi

install_wrk() {
  command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] || return 1
  export DEBIAN_FRONTEND=noninteractive
  echo "[bench] installing wrk with apt-get" >&2
  timeout 180 apt-get install -y -q wrk >/dev/null 2>&1 && return 0
  timeout 300 apt-get update -q >/dev/null 2>&1 || true
  timeout 180 apt-get install -y -q wrk >/dev/null 2>&1
}

if [[ "${BENCH_NO_INSTALL:-0}" != 1 && "${BENCH_LOADGEN:-auto}" != python ]] && ! command -v wrk >/dev/null 2>&1; then
  install_wrk || echo "[bench] wrk could not be installed; the Python load generator will be used" >&2
fi

exec "$PY" -m bench.bench "$@"
