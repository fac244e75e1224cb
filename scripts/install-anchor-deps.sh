#!/bin/sh
# Installs what `make bench-report ANCHORS=1` needs to build the anchors:
# the Debian packages listed in anchors/*/deps.txt (Debian's packaged Rust
# crates such as librust-tokio-dev, liburing-dev, gcc). A package counts
# as present when dpkg has it installed or a command of its name is on
# PATH (a rustup cargo serves as well as Debian's). The Go anchors (gnet,
# net/http) need nothing here: gnet comes from the Go module proxy.
# Without ANCHORS=1 nothing runs this.
set -eu
cd "$(dirname "$0")/.."
packages=""
for pkg in $(cat anchors/*/deps.txt 2>/dev/null | sed 's/#.*//' | sort -u); do
	command -v "$pkg" >/dev/null 2>&1 && continue
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
	packages="$packages $pkg"
done
[ -z "$packages" ] && exit 0
echo "anchors: installing Debian packages:$packages" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "anchors: need root (or sudo) to apt-get install$packages" >&2; exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends $packages >/dev/null 2>&1 || {
	$SUDO apt-get update >/dev/null
	$SUDO apt-get install -y --no-install-recommends $packages >/dev/null
}
