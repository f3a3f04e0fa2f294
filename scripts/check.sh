#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Style checks that cost nothing: checkpatch --strict on every new kernel
# file and hook patch, kernel-doc on every new C file.
#
# checkpatch runs in-tree, as in a kernel developer's git tree: it then
# also checks SPDX tags against LICENSES/ (scripts/spdxcheck.py, which
# reads them from git), finds the kernel's own identifiers for the
# CamelCase check and looks files up in MAINTAINERS. The build tree is
# an unpacked tarball, not a git tree (and must not become one: the
# kernel version would gain a "+"), so the checks run in a hard-linked
# copy of it, $B/checkroot, with LICENSES/ and include/ committed.
set -uo pipefail
# (no "producer | grep -q" under pipefail: grep -q leaves at the first
# match, the producer may then die of SIGPIPE and fail the pipeline)
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
src=$B/linux
root=$B/checkroot
# spdxcheck.py needs python3-ply and python3-git, which apt installs for
# Debian's python3; a python3 of one's own earlier in PATH lacks them.
export PATH=/usr/bin:$PATH
for m in ply git; do
	/usr/bin/python3 -c "import $m" 2>/dev/null ||
		{ echo "check: python3-$m missing (make deps)" >&2; exit 1; }
done
[ -f "$B/series-state/hash" ] ||
	{ echo "check: no kernel tree in $src (scripts/tree.sh)" >&2; exit 1; }

if [ "$(cat "$root/.series-hash" 2>/dev/null)" != "$(cat "$B/series-state/hash")" ]; then
	rm -rf "$root"
	cp -al "$src" "$root"
	git -C "$root" init -q
	git -C "$root" add -f LICENSES include
	git -C "$root" -c user.name=check -c user.email=check@localhost \
		commit -q -m "tree for checkpatch"
	cp "$B/series-state/hash" "$root/.series-hash"
fi

rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$top"/linux/patches/*.patch "$tmp/"
cd "$root"
files=$("$top/scripts/series-files.sh")
for f in $files; do
	cmp -s "$top/linux/$f" "$f" ||
		{ echo "check: $f differs from the tree (scripts/tree.sh)" >&2; rc=1; continue; }
	out=$(scripts/checkpatch.pl --strict --show-types -f "$f" 2>&1)
	grep -q "total: 0 errors, 0 warnings, 0 checks" <<<"$out" ||
		{ echo "$out" | grep -v '^$'; rc=1; }
	case $f in
	*.[ch]) scripts/kernel-doc -none "$f" 2>&1 | grep . && rc=1 ;;
	esac
done
for p in "$tmp"/*.patch; do
	out=$(scripts/checkpatch.pl --strict "$p" 2>&1)
	grep -q "total: 0 errors, 0 warnings, 0 checks" <<<"$out" ||
		{ echo "$(basename "$p"):"; echo "$out"; rc=1; }
done
# Generic code builds on every architecture: no x86-only clock in it.
x86only=$(cd "$top/linux" && grep -rnE 'asm/tsc\.h|tsc_khz|rdtsc' kernel/kho \
	kernel/liveupdate include/linux/kexec_handover.h include/linux/liveupdate.h)
[ -n "$x86only" ] && { echo "check: x86-only clock in generic code:"; echo "$x86only"; rc=1; }
[ $rc -eq 0 ] && echo "check: checkpatch --strict (in-tree, with spdxcheck), kernel-doc and generic-code clean"
exit $rc
