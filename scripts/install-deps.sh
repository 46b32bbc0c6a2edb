#!/usr/bin/env bash
# Installs the Debian packages Skyhost needs (as root, or through sudo), only those missing.
set -euo pipefail
# libmariadb-dev: the skyhost.mysql driver; mariadb-server, mariadb-client: the database tests
# (scripts/test-mariadb.sh starts a throw-away server); libmimalloc-dev: the services' Lua heaps;
# lua-check: luacheck, for scripts/lint.sh; redis-server: the Redis driver's tests (each starts its own).
packages=(liblua5.4-dev lua5.4 lua-cjson pkg-config netcat-openbsd libmariadb-dev mariadb-server mariadb-client libmimalloc-dev lua-check redis-server)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
