#!/bin/sh
# Installs what `make test` needs beyond Go: wrk and curl for the interop
# tests. Go tools (benchstat, staticcheck) come from go.mod's tool lines.
set -eu
missing=""
for cmd in wrk curl; do
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
[ -z "$missing" ] && exit 0
echo "installing$missing from Debian packages" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "need root (or sudo) to apt-get install$missing" >&2; exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
	$SUDO apt-get update >/dev/null
	$SUDO apt-get install -y --no-install-recommends $missing >/dev/null
}
for cmd in $missing; do
	command -v "$cmd" >/dev/null 2>&1 || { echo "could not install $cmd" >&2; exit 1; }
done
