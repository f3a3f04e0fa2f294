#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Write the product as a git-am-able series in build/series/: first one
# patch creating every new file of linux/, then the hook patches.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
out=$B/series
rm -rf "$out"; mkdir -p "$out"
who="$(git -C "$top" config user.name) <$(git -C "$top" config user.email)>"
cd "$top/linux"
files=$("$top/scripts/series-files.sh")
{
	echo "From: $who"
	echo "Subject: [PATCH 01] kho: add kexec handover (KHO) for 6.12"
	echo
	echo "The new files of the series: the tracker, the state tree, scratch,"
	echo "the incoming side, debugfs, the tests and the documentation. The"
	echo "following patches hook them into the build, memblock and x86 kexec."
	echo
	echo "Signed-off-by: $who"
	echo "---"
	for f in $files; do
		n=$(wc -l < "$f")
		echo "diff --git a/$f b/$f"
		echo "new file mode 100644"
		echo "--- /dev/null"
		echo "+++ b/$f"
		echo "@@ -0,0 +1,$n @@"
		sed 's/^/+/' "$f"
	done
} > "$out/0001-kho-add-kexec-handover.patch"
i=2
for p in patches/*.patch; do
	name=$(basename "$p" | sed 's/^[0-9]*-//')
	printf -v num "%04d" $i
	sed "s/^Subject: \[PATCH\]/Subject: [PATCH $(printf %02d $i)]/" "$p" > "$out/$num-$name"
	i=$((i + 1))
done
echo "series: $(ls "$out" | wc -l) patches in $out"
