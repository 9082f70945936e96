#!/usr/bin/env bash
# Make the peer-library environment the benchmarks call (default: .venv-peers at the
# repository root; pass another path as the first argument).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="${1:-$root/.venv-peers}"
python3 -m venv "$target"
"$target/bin/pip" install --quiet --upgrade pip
"$target/bin/pip" install --quiet -r "$root/experiments/peers/requirements.txt"
echo "peer environment ready: $target/bin/python"
