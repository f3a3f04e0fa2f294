#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Style checks that cost nothing: checkpatch --strict on every new kernel
# file and hook patch, kernel-doc on every new kernel file.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
ks=$B/linux/scripts
rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top/linux"
for f in $(find . -name '*.[ch]' | sort); do
	out=$("$ks/checkpatch.pl" --strict --no-tree --show-types -f "$f" 2>&1)
	echo "$out" | grep -q "total: 0 errors, 0 warnings, 0 checks" ||
		{ echo "$out" | grep -v '^$'; rc=1; }
	"$ks/kernel-doc" -none "$f" 2>&1 | grep . && rc=1
done
# checkpatch reads a patch inside a git work tree oddly: check copies.
for p in patches/*.patch; do
	cp "$p" "$tmp/"
	out=$("$ks/checkpatch.pl" --strict --no-tree "$tmp/$(basename "$p")" 2>&1)
	echo "$out" | grep -q "total: 0 errors, 0 warnings, 0 checks" ||
		{ echo "$p:"; echo "$out"; rc=1; }
done
[ $rc -eq 0 ] && echo "check: checkpatch --strict and kernel-doc clean"
exit $rc
