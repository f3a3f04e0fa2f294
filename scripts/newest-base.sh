#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Apply the whole series to the newest linux-source-6.12 that apt offers,
# without installing it: apt-get download into build/bases/, unpack only
# the files the hook patches touch, dry-run every patch. Prints one line
# per patch and exits non-zero naming the patch, file and hunk that fail,
# so the day Debian moves its 6.12, the next test run says so.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
pin=$(cat "$top/linux/SOURCE_VERSION")
newest=$(apt-cache madison linux-source-6.12 | awk 'NR==1 {print $3}')
[ -n "$newest" ] || { echo "newest-base: apt offers no linux-source-6.12 (apt-get update?)" >&2; exit 1; }
echo "newest-base: the archive's newest is $newest, the series is pinned to $pin"

deb=$("$top/scripts/fetch-deb.sh" linux-source-6.12 "$newest" "$B/bases/$newest")

# the files the hook patches touch, at their tree paths
mapfile -t files < <("$top/scripts/series-files.sh" --touched)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
	tar -xJ -C "$tree" --strip-components=1 "${files[@]/#/linux-source-6.12/}"
# new files of the series, so patches that edit them apply too
(cd "$top/linux" && "$top/scripts/series-files.sh" | cpio -pdm --quiet "$tree")

bad=0
for p in $("$top/scripts/series-files.sh" --patches); do
	if out=$(patch -d "$tree" -p1 -N --no-backup-if-mismatch < "$top/linux/patches/$p" 2>&1); then
		echo "newest-base: $p applies"
	else
		echo "newest-base: $p FAILS on $newest:" >&2
		echo "$out" | grep -E '^checking file|^patching file|FAILED|can.t find' |
			awk '/^(checking|patching) file/ {f=$3; next} {print "newest-base:   " f ": " $0}' >&2
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "newest-base: the whole series applies to $newest"
exit $bad
