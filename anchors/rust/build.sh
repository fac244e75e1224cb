#!/bin/sh
# build.sh OUTDIR: builds OUTDIR/rustanchor, the Rust anchors (see README.md),
# offline from Debian's packaged crates (deps.txt), with Cargo's build files
# under OUTDIR/rust-target. Quiet on success; on failure one line on stderr
# saying why, exit 1.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: build.sh OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
hint="run scripts/install-anchor-deps.sh"

command -v cargo >/dev/null 2>&1 ||
	{ echo "cargo not found: rustanchor needs Rust 1.75 or later (cargo and rustc on PATH)" >&2; exit 1; }
for pkg in $(sed 's/#.*//' "$here/deps.txt"); do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
		{ echo "Debian crate $pkg not installed: $hint" >&2; exit 1; }
done

mkdir -p "$1" || { echo "cannot create $1" >&2; exit 1; }
out=$(cd "$1" && pwd)
# Cargo finds .cargo/config.toml (crates-io replaced by Debian's directory)
# from the working directory, so build from here.
cd "$here"
if ! log=$(cargo build --release --offline --quiet --target-dir "$out/rust-target" 2>&1); then
	first=$(printf '%s\n' "$log" | grep -m1 -E '^error' || printf '%s\n' "$log" | head -n1)
	echo "rustanchor: cargo build failed: $first" >&2
	exit 1
fi
cp "$out/rust-target/release/rustanchor" "$out/rustanchor"
