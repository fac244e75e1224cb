#!/bin/sh
# build.sh OUTDIR: builds OUTDIR/canchor, the C anchors (see README.md).
# Quiet on success; on failure one line on stderr saying why, exit 1.
# Needs gcc and Debian's liburing-dev (deps.txt).
set -eu
if [ $# -ne 1 ]; then
	echo "usage: build.sh OUTDIR" >&2
	exit 2
fi
out=$1
here=$(cd "$(dirname "$0")" && pwd)
hint="(scripts/install-anchor-deps.sh)"

command -v gcc >/dev/null 2>&1 || { echo "gcc not found: install gcc $hint" >&2; exit 1; }
echo '#include <liburing.h>' | gcc -E -x c - >/dev/null 2>&1 ||
	{ echo "liburing.h not found: install liburing-dev $hint" >&2; exit 1; }

# liburing 2.3 has no version macros: -version then reports the package's.
deb=$(dpkg-query -W -f '${Version}' liburing-dev 2>/dev/null || true)
mkdir -p "$out" || { echo "cannot create $out" >&2; exit 1; }
if ! log=$(gcc -O2 -Wall -Wextra -pthread ${deb:+-DLIBURING_DEB_VERSION="\"$deb\""} \
	-o "$out/canchor" "$here"/*.c -luring -lm 2>&1); then
	first=$(printf '%s\n' "$log" | grep -m1 -E 'error|undefined' || printf '%s\n' "$log" | head -n1)
	echo "canchor: gcc failed: $first" >&2
	exit 1
fi
