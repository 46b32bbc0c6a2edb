#!/bin/bash
# scripts/rollback.sh NODE [BACKUP] - 回滚: restore a backup made by scripts/backup.sh and reload.
#
# Run it from the node's folder (where config.NODE is). BACKUP defaults to the newest
# backups/NODE-* folder (BACKUP_ROOT overrides "backups"). Following the update procedure's 回滚 steps (docs/hot-updates.md):
#   1. 恢复备份的代码: lualib/, service/, config/ and config.NODE become exactly as in the backup
#      (files the update added are removed);
#   2. 重新加载: every file that was different is reloaded in the running node through
#      scripts/hotfix.sh: lualib/a/b.lua -> `module a.b`, service/x.lua -> `service x`,
#      config/x.json -> `config x` (configs first, then modules, then services);
#   3. 验证回滚结果: each reload's answer is printed; the exit status is 0 only if every reload
#      succeeded (1 otherwise: the files are restored, but some running service is not).
# A service's own file (service/x.lua) is used by instances started from now on; running
# instances get `_hotfix` (the business-service template reloads its business module there).
set -uo pipefail

NODE=${1:-}
if [ -z "$NODE" ]; then
    echo "Usage: $0 <node> [backup-folder]    (run from the node's folder, where config.<node> is)"
    exit 1
fi
if [ ! -f "config.$NODE" ]; then
    echo "找不到节点配置 config.$NODE (run this from the node's folder)" >&2
    exit 2
fi

BACKUP=${2:-}
if [ -z "$BACKUP" ]; then
    BACKUP=$(ls -d "${BACKUP_ROOT:-backups}/$NODE"-[0-9]* 2>/dev/null | sort | tail -n 1)
    if [ -z "$BACKUP" ]; then
        echo "没有找到备份: no ${BACKUP_ROOT:-backups}/$NODE-* folder (make one with scripts/backup.sh $NODE)" >&2
        exit 2
    fi
fi
BACKUP=${BACKUP%/}
if [ ! -d "$BACKUP" ]; then
    echo "没有找到备份: $BACKUP is not a folder" >&2
    exit 2
fi
HOTFIX="$(cd "$(dirname "$0")" && pwd)/hotfix.sh"

echo "回滚节点 $NODE 到 $BACKUP"

# Which files differ between the backup and the node's folder (before anything is touched).
CHANGED=()
while IFS= read -r file; do
    [ -n "$file" ] || continue
    if ! cmp -s "$BACKUP/$file" "$file"; then
        CHANGED+=("$file")
    fi
done < <({ for dir in lualib service config; do
              (cd "$BACKUP" && find "$dir" -type f 2>/dev/null)
              find "$dir" -type f 2>/dev/null
          done; } | sort -u)

if [ ${#CHANGED[@]} -eq 0 ]; then
    echo "没有需要回滚的文件: the node's lualib/, service/ and config/ are as in $BACKUP"
    exit 0
fi

# 1. 恢复备份的代码
for dir in lualib service config; do
    if [ -d "$BACKUP/$dir" ]; then
        mkdir -p "$dir"
        # Files the update added: not in the backup.
        while IFS= read -r file; do
            [ -e "$BACKUP/$file" ] || rm -f "$file"
        done < <(find "$dir" -type f 2>/dev/null)
        cp -a "$BACKUP/$dir/." "$dir/"
    elif [ -d "$dir" ]; then
        rm -rf "$dir"   # the update created it
    fi
done
[ -f "$BACKUP/config.$NODE" ] && cp -a "$BACKUP/config.$NODE" "config.$NODE"

# 2. 重新加载
CONFIGS=() MODULES=() SERVICES=()
for file in "${CHANGED[@]}"; do
    if [ ! -e "$BACKUP/$file" ]; then
        echo "已删除 (added by the update): $file"
        continue
    fi
    echo "已恢复: $file"
    case $file in
        config/*.json)
            name=${file#config/}; CONFIGS+=("${name%.json}") ;;
        lualib/*.lua)
            name=${file#lualib/}; name=${name%.lua}; name=${name%/init}; MODULES+=("${name//\//.}") ;;
        service/*.lua)
            name=${file#service/}; SERVICES+=("${name%.lua}") ;;
    esac
done

FAILED=()
reload() {
    echo "--- 重新加载: $1 $2"
    if ! "$HOTFIX" "$NODE" "$1" "$2"; then
        FAILED+=("$1 $2")
    fi
}
for name in "${CONFIGS[@]}"; do reload config "$name"; done
for name in "${MODULES[@]}"; do reload module "$name"; done
for name in "${SERVICES[@]}"; do reload service "$name"; done

# 3. 验证回滚结果
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "回滚未完成: files restored from $BACKUP, but these reloads failed: ${FAILED[*]}" >&2
    exit 1
fi
echo "回滚完成: $NODE runs the code of $BACKUP"
