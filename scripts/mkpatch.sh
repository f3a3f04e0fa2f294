#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Developer helper: turn edits made in a scratch copy of kernel files into
# a hook patch under linux/patches/.
#   scripts/mkpatch.sh NAME "Subject" msgfile file...
# expects pristine copies in $W/a/<file> and edited ones in $W/b/<file>
# (W defaults to build/mkpatch).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
W=${W:-$top/build/mkpatch}
name=$1 subject=$2 msg=$3
shift 3
who="$(git -C "$top" config user.name) <$(git -C "$top" config user.email)>"
out=$top/linux/patches/$name.patch
{
	echo "From: $who"
	echo "Subject: [PATCH] $subject"
	echo
	cat "$msg"
	echo
	echo "Signed-off-by: $who"
	echo "---"
	for f in "$@"; do
		(cd "$W" && diff -u "a/$f" "b/$f" || true) |
			sed -e "1s|^--- a/$f.*|--- a/$f|" -e "2s|^+++ b/$f.*|+++ b/$f|"
	done
} > "$out"
echo "mkpatch: $out"
