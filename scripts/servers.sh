# Sourced by scripts/develop and scripts/smoke (after common.sh and scripts/setup): start
# the portal simulator and Home Assistant as background process groups, and stop them.
# shellcheck shell=bash

SERVER_PIDS=()

# install_server_requirements: add what a running Home Assistant needs beyond its test
# tool chain, once: the frontend and the authenticator-app MFA module it loads at start,
# at the versions that release itself pins (so moving a release needs no edit here); and
# the requirements of the entity components Home Assistant imports to describe its
# actions, when missing (the frontend's first `get_services` fails without them, and the
# page stays at "Loading data"). Those are installed as wheels only, as there is no
# compiler here: the pinned version, else the newest wheel (2026.10 pins pymicro-vad
# 1.0.1, published as source only). Home Assistant then runs with --skip-pip and never
# changes the environment.
install_server_requirements() {
    local stamp="$VENV/.ecocito-server-requirements" wanted missing requirement
    {
        read -r wanted
        read -r missing
    } < <("$VENV/bin/python" - <<'EOF'
import inspect, json, pathlib, re
from importlib import metadata
import homeassistant
from homeassistant.auth.mfa_modules import totp
from homeassistant.helpers import service

def manifest(domain):
    here = pathlib.Path(homeassistant.__file__).parent / "components" / domain
    return json.loads((here / "manifest.json").read_text())

print(*manifest("frontend")["requirements"], *totp.REQUIREMENTS)
base = getattr(service, "_base_components", None)  # private: may change with a release
todo = re.findall(r'"(\w+)": \1\b', inspect.getsource(base)) if base else []
seen, missing = set(), set()
while todo:
    if (domain := todo.pop()) not in seen:
        seen.add(domain)
        todo += manifest(domain).get("dependencies", [])
        for requirement in manifest(domain).get("requirements", []):
            try:
                metadata.distribution(requirement.split("==")[0])
            except metadata.PackageNotFoundError:
                missing.add(requirement)
print(*sorted(missing))
EOF
    )
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -z "$missing" ]; then
        return 0
    fi
    echo "Installing $wanted $missing into $VENV"
    # shellcheck disable=SC2086 # one word per requirement
    pip_quiet install $wanted
    for requirement in $missing; do
        pip_quiet install --only-binary :all: "$requirement" 2>/dev/null \
            || pip_quiet install --only-binary :all: "${requirement%%==*}"
    done
    echo "$wanted" >"$stamp"
}

# pip_quiet ARGS...: pip in the release's environment, without the noise of the local
# mirrors some machines configure.
pip_quiet() {
    "$VENV/bin/python" -m pip --quiet "$@" \
        2> >(grep -v -e "is ignored: it is neither" -e "is ignored: it is either" >&2)
}

# port_free PORT: succeed when nothing listens on 127.0.0.1:PORT.
port_free() {
    "$VENV/bin/python" - "$1" <<'EOF'
import socket, sys
with socket.socket() as sock:
    sys.exit(sock.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0)
EOF
}

# free_port: print a port the system has just handed out as free.
free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# prepare_config DIR PORT HOST: a Home Assistant configuration directory that loads the
# integration from the working tree (custom_components is a symlink to ours) and serves
# on HOST:PORT.
prepare_config() {
    local dir="$1"
    mkdir -p "$dir"
    if [ "$(cd "$dir" && pwd)" != "$ROOT/config" ]; then
        cp "$ROOT/config/configuration.yaml" "$dir/configuration.yaml"
    fi
    if [ -e "$dir/custom_components" ] && [ ! -L "$dir/custom_components" ]; then
        echo "$dir/custom_components exists and is not a symlink: move it away first." >&2
        return 1
    fi
    ln -sfn "$ROOT/custom_components" "$dir/custom_components"
    write_http_settings "$dir" "$2" "$3"
}

# write_http_settings DIR PORT HOST: where Home Assistant's web server listens, where the
# release reads it. 2026.x keeps those settings in its own storage (Settings > System >
# Network): an `http:` block in configuration.yaml raises a repair there ("The HTTP YAML
# configuration is deprecated"), so they go into .storage/http, in the format 2025.x
# wrote, which 2026.x takes in as a former installation's. 2025.4 reads them from YAML
# only: configuration.yaml's packages/ folder gets an http.yaml then (and loses it on
# 2026.x, where config/ may come from an earlier run on 2025.4).
write_http_settings() {
    "$VENV/bin/python" - "$@" <<'EOF'
import importlib.util, json, pathlib, sys

folder, port, host = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
package = folder / "packages" / "http.yaml"
if importlib.util.find_spec("homeassistant.components.http.config"):  # 2026.x: storage
    package.unlink(missing_ok=True)
    (folder / ".storage").mkdir(exist_ok=True)
    settings = {"server_host": [host], "server_port": port}
    stored = {"version": 1, "minor_version": 1, "key": "http", "data": settings}
    (folder / ".storage" / "http").write_text(json.dumps(stored, indent=2))
else:
    package.parent.mkdir(exist_ok=True)
    package.write_text(f"http:\n  server_host: {host}\n  server_port: {port}\n")
EOF
}

# start_in_group LOG COMMAND...: run COMMAND in the background in its own session (so
# process group), output to LOG ("-" for the terminal); remember it for stop_servers.
start_in_group() {
    local log="$1"
    shift
    if [ "$log" = "-" ]; then
        setsid "$@" &
    else
        setsid "$@" >"$log" 2>&1 &
    fi
    SERVER_PIDS+=("$!")
}

# start_portal PORT LOG [SCENARIO]: the simulator (the demo scenario unless told), on
# loopback.
start_portal() {
    start_in_group "$2" env -C "$ROOT" "$VENV/bin/python" -m tests.portal \
        --scenario "${3:-demo}" --host 127.0.0.1 --port "$1"
}

# start_hass CONFIG_DIR LOG: --skip-pip, so that Home Assistant never changes the
# environment (install_server_requirements has put in what it needs).
start_hass() {
    start_in_group "$2" "$VENV/bin/hass" --skip-pip -c "$1"
}

# wait_http URL SECONDS: wait until URL answers 200, or until a server has exited.
wait_http() {
    local url="$1" deadline=$((SECONDS + $2)) pid
    while ((SECONDS < deadline)); do
        if "$VENV/bin/python" - "$url" <<'EOF'; then
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
        sys.exit(answer.status != 200)
except OSError:
    sys.exit(1)
EOF
            return 0
        fi
        for pid in "${SERVER_PIDS[@]}"; do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "A server exited while waiting for $url." >&2
                return 1
            fi
        done
        sleep 0.5
    done
    echo "Timed out waiting for $url." >&2
    return 1
}

# stop_servers: SIGTERM each process group, wait up to 30 s, then SIGKILL what is left.
stop_servers() {
    local pid deadline=$((SECONDS + 30)) alive
    ((${#SERVER_PIDS[@]})) || return 0
    for pid in "${SERVER_PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    while ((SECONDS < deadline)); do
        alive=0
        for pid in "${SERVER_PIDS[@]}"; do
            kill -0 -- "-$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.2
    done
    for pid in "${SERVER_PIDS[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}
