# Sourced by the other scripts: where the virtual environment and caches live.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ECOCITO_VENV:-$ROOT/.venv}"
CACHE="${ECOCITO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecocito}"
export ECOCITO_VENV="$VENV"
