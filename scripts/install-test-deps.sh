#!/bin/sh
# Installs what `make test` needs beyond Go: wrk and curl for the interop
# tests, rsvg-convert (Debian's librsvg2-bin) for the test that renders
# the report's charts, ip and tc (iproute2) for the two-host test. Go tools (benchstat, staticcheck) come from go.mod's
# tool lines.
set -eu
missing=""   # commands
packages=""  # the Debian packages that provide them
for cmd in wrk curl rsvg-convert ip tc; do
	command -v "$cmd" >/dev/null 2>&1 && continue
	missing="$missing $cmd"
	case $cmd in
	rsvg-convert) packages="$packages librsvg2-bin" ;;
	ip | tc) case $packages in *iproute2*) ;; *) packages="$packages iproute2" ;; esac ;;
	*) packages="$packages $cmd" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "installing$missing from Debian packages:$packages" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "need root (or sudo) to apt-get install$packages" >&2; exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends $packages >/dev/null 2>&1 || {
	$SUDO apt-get update >/dev/null
	$SUDO apt-get install -y --no-install-recommends $packages >/dev/null
}
for cmd in $missing; do
	command -v "$cmd" >/dev/null 2>&1 || { echo "could not install $cmd" >&2; exit 1; }
done
