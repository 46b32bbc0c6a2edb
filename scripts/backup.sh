#!/bin/bash
# scripts/backup.sh NODE - 备份当前代码和配置 (the first step of the update procedure, docs/hot-updates.md).
#
# Run it from the node's folder (where config.NODE is), before an update. It copies the node's
# lualib/, service/, config/ and config.NODE (those that exist) into a new timestamped folder,
# backups/NODE-YYYYmmdd-HHMMSS (BACKUP_ROOT overrides "backups"), and prints that folder's path
# on its last line. scripts/rollback.sh NODE [BACKUP] puts it back and reloads what changed.
set -euo pipefail

NODE=${1:-}
if [ -z "$NODE" ]; then
    echo "Usage: $0 <node>    (run from the node's folder, where config.<node> is)"
    exit 1
fi
if [ ! -f "config.$NODE" ]; then
    echo "找不到节点配置 config.$NODE (run this from the node's folder)" >&2
    exit 2
fi

BACKUP_ROOT=${BACKUP_ROOT:-backups}
STAMP=$(date +%Y%m%d-%H%M%S)
DEST="$BACKUP_ROOT/$NODE-$STAMP"
n=1
while [ -e "$DEST" ]; do
    DEST="$BACKUP_ROOT/$NODE-$STAMP-$n"
    n=$((n + 1))
done
mkdir -p "$DEST"

SAVED=()
for item in lualib service config "config.$NODE"; do
    if [ -e "$item" ]; then
        cp -a "$item" "$DEST/"
        SAVED+=("$item")
    fi
done

echo "备份完成: ${SAVED[*]} -> $DEST"
echo "$DEST"
