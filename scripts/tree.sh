#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unpack Debian's linux-source-6.12 under build/ and apply the series:
# new files from linux/ are copied at their tree paths (only when their
# content changed, so incremental builds stay incremental), hook patches
# from linux/patches/ are applied in order. Re-running on an unchanged
# series does nothing; a changed series first reverts the patches it
# applied last time.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
src=$B/linux
tarball=/usr/src/linux-source-6.12.tar.xz
state=$B/series-state

[ -f "$tarball" ] || { echo "tree: $tarball missing (make deps)" >&2; exit 1; }
want=$(cat "$top/linux/SOURCE_VERSION")
have=$(dpkg-query -W -f='${Version}' linux-source-6.12)
[ "$want" = "$have" ] ||
	echo "tree: WARNING: building against linux-source-6.12 $have, series is pinned to $want" >&2

mkdir -p "$B"
if [ ! -f "$src/Makefile" ] || [ "$(cat "$B/source-version" 2>/dev/null)" != "$have" ]; then
	echo "tree: unpacking $tarball ($have)"
	rm -rf "$src" "$B/linux-source-6.12" "$state"
	. "$top/scripts/progress.sh"
	progress "tree: unpacking" /dev/null tar -C "$B" -xf "$tarball"
	mv "$B/linux-source-6.12" "$src"
	echo "$have" > "$B/source-version"
fi

# Hash of the whole series decides whether anything needs doing.
hash=$(cd "$top/linux" && find . -type f ! -name SOURCE_VERSION ! -name '*.config' \
	-print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$state/hash" 2>/dev/null)" = "$hash" ]; then
	exit 0
fi

# Revert the patches applied last time, newest first.
# Files the old and new series patch: their content and time now, so
# that one the new series leaves as it was keeps its time (no rebuild).
stamps=$(mktemp)
trap 'rm -f "$stamps"' EXIT
{ cat "$state"/patches/*.patch 2>/dev/null || true
  cat "$top"/linux/patches/*.patch; } |
	sed -n 's|^+++ b/||p' | sort -u | while read -r f; do
	if [ -f "$src/$f" ]; then
		echo "$(sha256sum < "$src/$f" | cut -d' ' -f1) $(stat -c %Y "$src/$f") $f"
	fi
done > "$stamps"

if [ -d "$state/patches" ]; then
	for p in $(ls "$state/patches" | sort -r); do
		patch -d "$src" -p1 -R -s --no-backup-if-mismatch < "$state/patches/$p" || {
			echo "tree: cannot revert $p; remove $src and retry" >&2; exit 1; }
	done
fi
rm -rf "$state.new"; mkdir -p "$state.new/patches"

# New files: copy when changed; remove ones dropped from the series.
"$top/scripts/series-files.sh" > "$state.new/files"
if [ -f "$state/files" ]; then
	comm -23 "$state/files" "$state.new/files" | while read -r f; do
		rm -f "$src/$f"
	done
fi
while read -r f; do
	if ! cmp -s "$top/linux/$f" "$src/$f"; then
		mkdir -p "$(dirname "$src/$f")"
		cp "$top/linux/$f" "$src/$f"
	fi
done < "$state.new/files"

for p in $("$top/scripts/series-files.sh" --patches); do
	if ! patch -d "$src" -p1 -s -N --dry-run \
		< "$top/linux/patches/$p" > "$B/patch.log" 2>&1; then
		cat "$B/patch.log" >&2
		echo "tree: FAILED to apply linux/patches/$p" >&2
		# Leave a state that reverts what did apply on the next run.
		rm -rf "$state"; mv "$state.new" "$state"; echo failed > "$state/hash"
		exit 1
	fi
	patch -d "$src" -p1 -s -N --no-backup-if-mismatch < "$top/linux/patches/$p"
	cp "$top/linux/patches/$p" "$state.new/patches/$p"
done
while read -r sum t f; do
	if [ -f "$src/$f" ] &&
	   [ "$(sha256sum < "$src/$f" | cut -d' ' -f1)" = "$sum" ]; then
		touch -d "@$t" "$src/$f"
	fi
done < "$stamps"
echo "$hash" > "$state.new/hash"
rm -rf "$state"; mv "$state.new" "$state"
echo "tree: series applied to $src"
