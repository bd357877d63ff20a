# Sourced by scripts/screenshot and scripts/ui (after common.sh): Debian's chromium and a
# small environment with Playwright, made on first use.
# shellcheck shell=bash

PLAYWRIGHT=1.65.2

# setup_browser NAME: install what is missing; set BROWSER_PYTHON, the interpreter with
# Playwright. Its environment lives in the cache folder (Python 3.13, as tests.portal
# needs 3.12+); the browser is Debian's chromium (installed with apt when missing), as
# Playwright's own browser download is not reachable here.
setup_browser() {
    if [ ! -x /usr/bin/chromium ]; then
        echo "$1: installing Debian's chromium"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    # Python 3.13 comes with the oldest release's environment.
    (use_release oldest && scripts/setup --ha oldest)
    local base_python browser_venv
    base_python="$(use_release oldest && echo "$VENV/bin/python")"
    browser_venv="$CACHE/venv-screenshot-playwright$PLAYWRIGHT"
    if ! "$browser_venv/bin/python" -c "import aiohttp, playwright, yaml" 2>/dev/null; then
        echo "$1: making $browser_venv"
        "$base_python" -m venv "$browser_venv"
        "$browser_venv/bin/pip" install --quiet "playwright==$PLAYWRIGHT" aiohttp pyyaml \
            2> >(grep -v -e "is ignored: it is neither" -e "is ignored: it is either" >&2)
    fi
    BROWSER_PYTHON="$browser_venv/bin/python"
}
