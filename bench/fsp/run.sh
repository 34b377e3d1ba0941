#!/bin/sh
# Builds TA-Lib's C library from the sources in the npm `talib` package
# (v1.1.6) into a temp folder (nothing is copied into the repo), then runs
# the benchmark with it: bash run.sh [-bars N] [-runs R] [-only NAME]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lib=${TALIB_DIR:-${TMPDIR:-/tmp}/workbench-talib-1.1.6}
if [ ! -f "$lib/libta.a" ]; then
	mkdir -p "$lib/obj"
	(cd "$lib" && npm pack talib@1.1.6 >/dev/null && tar xzf talib-1.1.6.tgz)
	src=$lib/package/src/lib
	for f in "$src"/src/ta_func/*.c "$src"/src/ta_common/*.c; do
		gcc -O2 -DTA_SINGLE_THREAD -fno-strict-aliasing -I"$src/include" -I"$src/src/ta_common" \
			-c "$f" -o "$lib/obj/$(basename "$f" .c).o"
	done
	ar rcs "$lib/libta.a" "$lib"/obj/*.o
fi
cd "$here"
CGO_CFLAGS="-I$lib/package/src/lib/include" CGO_LDFLAGS="$lib/libta.a" go run -tags talib . "$@"
