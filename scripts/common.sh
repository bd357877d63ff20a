# Sourced by the other scripts: which Home Assistant release they work on, and where its
# virtual environment and the caches live.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ECOCITO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecocito}"

# The three Home Assistant releases we test:
#   oldest     requirements_test.txt         the release hacs.json claims (2025.4), Python 3.13
#   newest     requirements_test_newest.txt  the newest release whose test plugin is
#                                            published (2026.10), Python 3.14
#   published  requirements_test_newest.txt, then over it the newest homeassistant on the
#              package index that runs on that Python 3.14: the release users install
#              today. scripts/setup looks it up at each run (one query; the last one found
#              when the index does not answer). The test plugin lags behind it (0.13.375
#              does not load on 2026.11), so the suite does not run there: scripts/lint
#              (mypy) and scripts/smoke (a real Home Assistant process) do.
# To move "newest" forward once the plugin of a newer release is published: change the
# plugin's pin in requirements_test_newest.txt, run `scripts/test --ha newest
# --snapshot-update`, and review tests/snapshots/<release>/. Nothing to change for
# "published": it installs the newest release over the new plugin, the same one until
# Home Assistant publishes the next.
release_requirements() {
    case "$1" in
        oldest) echo "$ROOT/requirements_test.txt" ;;
        newest | published) echo "$ROOT/requirements_test_newest.txt" ;;
        *) return 1 ;;
    esac
}
release_python() {
    case "$1" in
        oldest) echo 3.13 ;;
        newest | published) echo 3.14 ;;
    esac
}

# use_release RELEASE: set RELEASE, REQUIREMENTS, PYTHON_VERSION and VENV. The virtual
# environment lives in the cache folder, keyed by what goes into it, so that clones and
# CI runs on one machine share it (ECOCITO_VENV overrides the place). The one of
# "published" keeps its name from one Home Assistant release to the next: scripts/setup
# makes it again when a newer release is out.
use_release() {
    if ! REQUIREMENTS="$(release_requirements "$1")"; then
        echo "Unknown Home Assistant release '$1': use oldest, newest or published." >&2
        exit 2
    fi
    RELEASE="$1"
    PYTHON_VERSION="$(release_python "$1")"
    local key
    key="$(cat "$REQUIREMENTS" "$ROOT/scripts/setup" | sha256sum | cut -c1-16)"
    VENV="${ECOCITO_VENV:-$CACHE/venv-$RELEASE-$key}"
    export ECOCITO_RELEASE="$RELEASE"
}

# parse_release DEFAULT "$@": take `--ha oldest|newest|published` out of the arguments (into
# ARGS) and call use_release with it, or with DEFAULT.
parse_release() {
    local release="$1"
    shift
    ARGS=()
    while (($#)); do
        case "$1" in
            --ha)
                release="${2:?--ha needs oldest, newest or published}"
                shift 2
                ;;
            --ha=*)
                release="${1#--ha=}"
                shift
                ;;
            *)
                ARGS+=("$1")
                shift
                ;;
        esac
    done
    use_release "$release"
}
