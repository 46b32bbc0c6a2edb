#!/usr/bin/env bash
# Starts the demo node: the inject walkthrough (examples/inject). serviceA prints "foo" and
# "cmd not found bar" every 5 s; the debug console listens on 127.0.0.1:9666. From another
# terminal:  echo 'inject :0000000a examples/inject/hotfix.lua' | nc 127.0.0.1 9666
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product skyhost
exec .build/release/skyhost --path examples/inject "$@"
