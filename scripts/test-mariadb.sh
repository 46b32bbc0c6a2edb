#!/usr/bin/env bash
# A throw-away MariaDB server for tests: its own data directory, a unix socket and a loopback
# port, no grant tables to set up (root without a password, reachable only from this machine).
#
#   scripts/test-mariadb.sh start DIR [--port N] [--owner PID]
#       Creates DIR/data on first use (mariadb-install-db), starts mariadbd, waits until it
#       answers, and prints the settings as KEY=VALUE lines (also written to DIR/env):
#         MYSQL_SOCKET=DIR/mysqld.sock  MYSQL_PORT=N  MYSQL_USER=root  MYSQL_PID=...
#       With --owner, a watchdog stops the server and removes DIR when process PID ends (a test
#       run that dies leaves nothing behind). --port 0 (the default) picks a free port, and a
#       restart reuses the port of the previous start in DIR.
#       Starting again with the same DIR reuses its data (a restart).
#   scripts/test-mariadb.sh stop DIR        stops the server started in DIR; keeps the data
#   scripts/test-mariadb.sh clean DIR       stops it if running and removes DIR
#
# Exits non-zero with the reason (and the end of the server's error log) when the server
# cannot be installed or started. Only the mariadbd this script started is ever signalled
# (by the pid it recorded).
set -euo pipefail

die() { echo "test-mariadb: $*" >&2; exit 1; }

command=${1:-}
dir=${2:-}
[ -n "$command" ] && [ -n "$dir" ] || die "usage: $0 start|stop|clean DIR [--port N] [--owner PID]"
shift 2
port=0
owner=""
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port=$2; shift 2 ;;
        --owner) owner=$2; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done

find_tool() {
    local name
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
        for d in /usr/sbin /usr/local/sbin /usr/bin; do
            if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
        done
    done
    return 1
}

running_pid() {
    [ -f "$dir/mysqld.pid" ] || return 1
    local pid
    pid=$(cat "$dir/mysqld.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_server() {
    local pid
    pid=$(running_pid) || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$dir/mysqld.pid"
}

# Closes every descriptor above 2 in the calling (sub)shell. The server and the watchdog outlive
# this script: they must not keep the caller's pipes or sockets open (Foundation's Process, for
# one, learns that its child ended when a socket it passed down is closed).
close_inherited_fds() {
    local fd
    for fd in $(ls "/proc/$BASHPID/fd" 2>/dev/null); do
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $(( 20000 + RANDOM % 20000 ))
}

case "$command" in
start)
    mariadbd=$(find_tool mariadbd mysqld) || die "mariadbd not found: install the Debian package mariadb-server (scripts/install-deps.sh)"
    install_db=$(find_tool mariadb-install-db mysql_install_db) || die "mariadb-install-db not found: install mariadb-server"
    client=$(find_tool mariadb mysql) || die "the mariadb client not found: install mariadb-client"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    running_pid >/dev/null && die "a server is already running in $dir (pid $(cat "$dir/mysqld.pid"))"
    user_opt=()
    [ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
    if [ ! -d "$dir/data/mysql" ]; then
        "$install_db" --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
            --skip-test-db "${user_opt[@]}" >"$dir/install.log" 2>&1 \
            || { tail -20 "$dir/install.log" >&2; die "mariadb-install-db failed (log: $dir/install.log)"; }
    fi
    chosen=""
    if [ "$port" = 0 ]; then
        if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); chosen=1; fi
    fi
    socket="$dir/mysqld.sock"
    # A unix socket path is limited to 107 bytes.
    [ ${#socket} -lt 100 ] || die "data directory path too long for a unix socket: $dir"
    server=""
    for attempt in 1 2 3 4 5; do
        : >"$dir/error.log"
        (
            close_inherited_fds
            exec "$mariadbd" --no-defaults "${user_opt[@]}" --datadir="$dir/data" --socket="$socket" \
                --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
                --log-error="$dir/error.log" --skip-log-bin --skip-name-resolve \
                --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
                --innodb-buffer-pool-size=16M --innodb-log-file-size=8M --max-connections=64 \
                </dev/null >>"$dir/error.log" 2>&1
        ) &
        candidate=$!
        for _ in $(seq 1 300); do
            if ! kill -0 "$candidate" 2>/dev/null; then break; fi
            if "$client" --no-defaults -uroot --socket="$socket" -e "SELECT 1" >/dev/null 2>&1; then server=$candidate; break; fi
            sleep 0.1
        done
        [ -n "$server" ] && break
        kill -TERM "$candidate" 2>/dev/null || true
        wait "$candidate" 2>/dev/null || true
        # A port picked here that someone else took meanwhile: pick another.
        if [ -n "$chosen" ] && [ "$attempt" -lt 5 ] && grep -qiE "address already in use|bind on tcp/ip port" "$dir/error.log"; then
            port=$(free_port)
            continue
        fi
        tail -20 "$dir/error.log" >&2
        die "mariadbd did not start (log: $dir/error.log)"
    done
    echo "$port" >"$dir/port"
    echo "$server" >"$dir/mysqld.pid"
    if [ -n "$owner" ]; then
        # The watchdog: when the owner is gone, stop this server (if it is still the one recorded
        # in DIR: after a restart, the newer watchdog stops the newer server) and remove DIR once
        # no server runs from it.
        (
            exec </dev/null >/dev/null 2>&1
            close_inherited_fds
            while kill -0 "$owner" 2>/dev/null; do sleep 1; done
            if [ "$(cat "$dir/mysqld.pid" 2>/dev/null)" = "$server" ]; then
                kill -TERM "$server" 2>/dev/null || true
                for _ in $(seq 1 300); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
            fi
            if ! running_pid >/dev/null; then rm -rf "$dir"; fi
        ) &
        disown $! 2>/dev/null || true
    fi
    {
        echo "MYSQL_SOCKET=$socket"
        echo "MYSQL_PORT=$port"
        echo "MYSQL_HOST=127.0.0.1"
        echo "MYSQL_USER=root"
        echo "MYSQL_PID=$server"
    } | tee "$dir/env"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    stop_server
    ;;
clean)
    [ -d "$dir" ] || exit 0
    stop_server
    rm -rf "$dir"
    ;;
*)
    die "unknown command $command (start, stop or clean)"
    ;;
esac
