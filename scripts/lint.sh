#!/usr/bin/env bash
# Checks the tree's style: Swift with the toolchain's `swift format` (.swift-format), Lua with
# luacheck (.luacheckrc). Exits non-zero on the first finding. `scripts/lint.sh --fix` formats the
# Swift sources in place instead of only checking them.
set -euo pipefail
cd "$(dirname "$0")/.."
swift_paths=(Package.swift Sources Tests examples)
if [ "${1:-}" = "--fix" ]; then
    swift format format --recursive --in-place "${swift_paths[@]}"
fi
swift format lint --recursive --strict "${swift_paths[@]}"
luacheck --quiet lualib service examples Benchmarks/lua scripts Tests
