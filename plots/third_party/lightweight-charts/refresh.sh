#!/bin/sh
# Re-downloads the pinned lightweight-charts release from the npm registry
# and replaces the vendored standalone build and its licence. To move to a
# new version, change VERSION and SHA256 (sha256sum of the .tgz) together.
set -eu
VERSION=5.2.1
SHA256=64310292298df4dd527494865e5d91d447f8bb397b68de3912c2a6465025ee5e
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/lwc.tgz" "https://registry.npmjs.org/lightweight-charts/-/lightweight-charts-$VERSION.tgz"
echo "$SHA256  $tmp/lwc.tgz" | sha256sum -c -
tar -xzf "$tmp/lwc.tgz" -C "$tmp"
cp "$tmp/package/dist/lightweight-charts.standalone.production.js" "$tmp/package/LICENSE" "$here/"
echo "lightweight-charts $VERSION refreshed in $here"
