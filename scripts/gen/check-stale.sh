#!/usr/bin/env bash
# Fails when the committed interpreter symbols (scripts/symbols) differ from
# what the generator writes for the current packages: run
# `go generate ./scripts/` and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./gen -strict -o "$tmp/symbols"
if ! diff -r -x symbols.go symbols "$tmp/symbols" >"$tmp/diff"; then
  head -40 "$tmp/diff" >&2
  echo "scripts/symbols is stale: run 'go generate ./scripts/' and commit it" >&2
  exit 1
fi
