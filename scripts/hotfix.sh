#!/bin/bash
# scripts/hotfix.sh - Skynet 热更新脚本
#
# Skyhost's version of the classic update script (docs/hot-updates.md). Run it from the node's folder, where
# config.NODE holds the line `console = "127.0.0.1:9666"`. It sends one command to the node's
# debug console, prints the console's answer, and exits 0 when the update was done, 1 with the
# console's reason when it was not (2 for bad usage or no answer from the node).
#
# What differs from the classic version, and why:
#   * `nc` gets -N (shut the connection down after the command): the console keeps a connection
#     open for more commands, so the classic `echo ... | nc` never returned. -w bounds the wait
#     (HOTFIX_TIMEOUT seconds without any answer, default 60).
#   * the answer is checked instead of always printing 更新完成: the update failed when the
#     console answers `<CMD Error>`, when the command's result is `false, reason` (run_script,
#     config_mgr's load), or when the updater's report says `FAILED: ...`; nothing at all from the
#     node (not running, wrong port) is a failure too. Under `set -e` the classic script also
#     stopped silently when nc failed.
#   * the console line is found with `^console =` (a comment mentioning the console would have
#     matched), and its host is used as well as its port (`console = "9666"` means 127.0.0.1).
#   * on a node with an update key, the token in SKYHOST_UPDATE_TOKEN is passed along (see
#     lualib/update_auth.lua); a missing or bad one is refused with the reason, exit status 1.

set -e

NODE=$1
UPDATE_TYPE=$2
TARGET=$3

if [ -z "$NODE" ] || [ -z "$UPDATE_TYPE" ] || [ -z "$TARGET" ]; then
    echo "Usage: $0 <node> <type> <target>"
    echo "  type: service | module | config | script | reload"
    echo ""
    echo "Examples:"
    echo "  $0 node1 service game_logic"
    echo "  $0 node1 module business"
    echo "  $0 node1 config game_values"
    echo "  $0 node1 script scripts/migrate_v2.lua"
    echo "  $0 node1 reload game_logic"
    exit 1
fi

if [ ! -f "config.$NODE" ]; then
    echo "找不到节点配置 config.$NODE (run this from the node's folder)" >&2
    exit 2
fi

# 连接到 Skynet 调试控制台
CONSOLE=$(grep -E '^[[:space:]]*console[[:space:]]*=' "config.$NODE" | head -n 1 | cut -d= -f2- | tr -d " \"';\t\r" || true)
CONSOLE_PORT=${CONSOLE##*:}
CONSOLE_HOST=127.0.0.1
case $CONSOLE in
    *:*) CONSOLE_HOST=${CONSOLE%:*} ;;
esac
if ! [[ "$CONSOLE_PORT" =~ ^[0-9]+$ ]]; then
    echo "config.$NODE has no console line such as: console = \"127.0.0.1:9666\"" >&2
    exit 2
fi

echo "连接到节点 $NODE (端口 $CONSOLE_PORT)..."

# 通过调试控制台执行更新命令
case $UPDATE_TYPE in
    service)
        echo "更新服务: $TARGET"
        COMMAND="call .updater lua update_service $TARGET"
        ;;
    module)
        echo "更新模块: $TARGET"
        COMMAND="call .updater lua update_module $TARGET"
        ;;
    config)
        echo "更新配置: $TARGET"
        COMMAND="call .config_mgr lua load $TARGET ./config/$TARGET.json"
        ;;
    reload)
        echo "重新加载服务: $TARGET"
        COMMAND="call .updater lua reload_service $TARGET"
        ;;
    script)
        echo "执行脚本: $TARGET"
        COMMAND="call .updater lua run_script $TARGET"
        ;;
    *)
        echo "未知更新类型: $UPDATE_TYPE"
        exit 1
        ;;
esac

# Update authorisation: a node with an update key wants a token on every update.
# Put one in SKYHOST_UPDATE_TOKEN (scripts/update_token.sh OPERATOR makes one from the key) and it
# goes along as the last words of the console line, `--token TOKEN`. It travels on stdin, not in
# a command line that `ps` would show.
if [ -n "${SKYHOST_UPDATE_TOKEN:-}" ]; then
    COMMAND="$COMMAND --token $SKYHOST_UPDATE_TOKEN"
fi

if ! ANSWER=$(echo "$COMMAND" | nc -N -w "${HOTFIX_TIMEOUT:-60}" "$CONSOLE_HOST" "$CONSOLE_PORT" 2>&1); then
    [ -n "$ANSWER" ] && echo "$ANSWER"
    echo "更新失败: 无法连接到 $CONSOLE_HOST:$CONSOLE_PORT (is node $NODE running?)" >&2
    exit 2
fi

# The console's answer, without its greeting.
ANSWER=$(printf '%s\n' "$ANSWER" | grep -v '^Welcome to skynet console$' || true)
printf '%s\n' "$ANSWER"

REASON=""
if printf '%s\n' "$ANSWER" | grep -q '^<CMD Error>$'; then
    REASON=$(printf '%s\n' "$ANSWER" | sed -n '/^<CMD Error>$/q;p' | paste -sd ' ' -)
    REASON=${REASON:-the console reported an error}
elif ! printf '%s\n' "$ANSWER" | grep -q '^<CMD OK>$'; then
    echo "更新失败: 节点 $NODE 没有应答 (no answer from the console at $CONSOLE_HOST:$CONSOLE_PORT)" >&2
    exit 2
elif printf '%s\n' "$ANSWER" | grep -q $'^1\tfalse$'; then
    REASON=$(printf '%s\n' "$ANSWER" | sed -n $'s/^2\t//p' | head -n 1)
    REASON=${REASON:-the command answered false}
elif printf '%s\n' "$ANSWER" | grep -q $'^[0-9][0-9]*\tFAILED: '; then
    REASON=$(printf '%s\n' "$ANSWER" | sed -n $'s/^[0-9][0-9]*\tFAILED: //p' | head -n 1)
fi

if [ -n "$REASON" ]; then
    echo "更新失败: $REASON" >&2
    exit 1
fi

echo "更新完成"
