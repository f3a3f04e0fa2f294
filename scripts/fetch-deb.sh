#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch one Debian package without installing it:
#   scripts/fetch-deb.sh PKG[:ARCH] VERSION DIR
# downloads PKG at VERSION ("newest": the archive's newest) into DIR with
# apt-get download, unless a .deb of it is already there, and prints the
# .deb's path. When the archive no longer has VERSION it takes the newest
# and says so in one line on stderr. newest-base.sh and debcfg.sh fetch
# their bases and configs through here.
set -euo pipefail

pkg=$1 want=$2 dir=$3
name=${pkg%%:*} arch=${pkg#*:}
[ "$arch" = "$pkg" ] && arch=$(dpkg --print-architecture)
mapfile -t offered < <(apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
[ ${#offered[@]} -gt 0 ] ||
	{ echo "fetch-deb: apt offers no $pkg (apt-get update?)" >&2; exit 1; }
ver=$want
if [ "$want" = newest ]; then
	ver=${offered[0]}
elif ! printf '%s\n' "${offered[@]}" | grep -xF "$want" >/dev/null; then
	ver=${offered[0]}
	echo "fetch-deb: WARNING: the archive no longer has $pkg $want, using its newest, $ver" >&2
fi
mkdir -p "$dir"
# the file name holds the version with ':' as %3a, and the architecture
# (or "all")
glob="$dir/${name}_${ver//:/%3a}_"
deb=$(ls "$glob$arch.deb" "${glob}all.deb" 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	(cd "$dir" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
		{ echo "fetch-deb: apt-get download $pkg=$ver failed" >&2; exit 1; }
	deb=$(ls "$glob$arch.deb" "${glob}all.deb" 2>/dev/null | head -1 || true)
	[ -n "$deb" ] || { echo "fetch-deb: no $pkg $ver in $dir after download" >&2; exit 1; }
fi
echo "$deb"
