#!/bin/bash
# scripts/update_token.sh OPERATOR - prints an update token for a node's update key.
#
# The key is read from SKYHOST_UPDATE_KEY (the variable a node prefers to its config's
# update_key). The token is OPERATOR:TIMESTAMP:base64(HMAC-SHA1(key, "OPERATOR:TIMESTAMP")), as
# lualib/update_auth.lua's generate_token makes it, and is valid for 300 seconds:
#
#   export SKYHOST_UPDATE_TOKEN=$(SKYHOST_UPDATE_KEY=... scripts/update_token.sh alice)
#   scripts/hotfix.sh node1 service game_logic
#   echo "inject :0000000a hotfix.lua --token $SKYHOST_UPDATE_TOKEN" | nc -N 127.0.0.1 9666
#
# With python3 the key never appears on a command line (it is read from the environment); the
# fallback, openssl, takes it hex-encoded in its arguments, visible to `ps` while it runs.

set -e

OPERATOR=$1
if [ -z "$OPERATOR" ] || [[ "$OPERATOR" =~ [:[:space:]] ]]; then
    echo "Usage: SKYHOST_UPDATE_KEY=KEY $0 OPERATOR   (OPERATOR without ':' or spaces)" >&2
    exit 2
fi
if [ -z "${SKYHOST_UPDATE_KEY:-}" ]; then
    echo "SKYHOST_UPDATE_KEY is not set: it must hold the node's update key" >&2
    exit 2
fi

TIMESTAMP=$(date +%s)
if command -v python3 >/dev/null 2>&1; then
    SIGNATURE=$(OPERATOR="$OPERATOR" TIMESTAMP="$TIMESTAMP" python3 -c '
import base64, hashlib, hmac, os
data = (os.environ["OPERATOR"] + ":" + os.environ["TIMESTAMP"]).encode()
print(base64.b64encode(hmac.new(os.environ["SKYHOST_UPDATE_KEY"].encode(), data, hashlib.sha1).digest()).decode())')
else
    SIGNATURE=$(printf '%s' "$OPERATOR:$TIMESTAMP" |
        openssl dgst -sha1 -mac HMAC -macopt "hexkey:$(printf '%s' "$SKYHOST_UPDATE_KEY" | xxd -p | tr -d '\n')" -binary |
        base64)
fi
echo "$OPERATOR:$TIMESTAMP:$SIGNATURE"
