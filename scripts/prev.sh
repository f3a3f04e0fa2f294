#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel of the previous release, for the upgrade scenarios
# (a live update from that release to HEAD, and back):
#   - the release: the newest one in RELEASES.md ("## vN (date, commit
#     HASH)") whose commit is not HEAD, so tags need not reach the clone;
#   - its sources: a git worktree at build/prev/src;
#   - its base: the linux-source-6.12 its linux/SOURCE_VERSION pins,
#     fetched with apt-get download (fetch-deb.sh takes the newest, with
#     one line, when the archive no longer has it), unpacked in the
#     worktree's build/linux with that release's series applied;
#   - its kernel: built by the release's own scripts/kernel.sh into the
#     worktree's build/kernel, LOCALVERSION=-vN, from HEAD's config
#     fragments for the plain test kernel (kernel.sh --fragments, the
#     debug checks included) in place of the release's linux/kho.config:
#     the release's code with the checks HEAD's kernels run with, and
#     since its paths relative to the worktree are those of HEAD's
#     kernel relative to the checkout, ccache (CCACHE_BASEDIR) serves
#     every object the two have alike, whatever directory the checkout
#     is in: on the same base, all but the series' own files;
#   - build/prev/src/build/initramfs.cpio: HEAD's /init and tools with
#     the release's kernel as /boot/bzImage (HEAD -> release).
# Prints the release, its base and the kernel it built. With --release
# it only prints which release that is ("vN COMMIT"), for
# tests/vm/upgrade.py.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
P=$B/prev
head=$(git -C "$top" rev-parse HEAD)
rel="" commit=""
while read -r r c; do
	full=$(git -C "$top" rev-parse --verify -q "$c^{commit}") ||
		{ echo "prev: RELEASES.md names $r at $c, not in this clone" >&2; exit 1; }
	[ "$full" = "$head" ] && continue
	rel=$r commit=$full
	break
done < <(sed -n 's/^## v\([0-9]*\) (.*commit \([0-9a-f]*\)).*/v\1 \2/p' "$top/RELEASES.md" |
	sort -t v -k 2 -rn)
[ -n "$rel" ] || { echo "prev: no earlier release in RELEASES.md" >&2; exit 1; }
if [ "${1:-}" = --release ]; then
	echo "$rel $commit"
	exit 0
fi

src=$P/src
mkdir -p "$P"
git -C "$top" worktree prune
if [ "$(git -C "$src" rev-parse HEAD 2>/dev/null)" != "$commit" ]; then
	rm -rf "$src"
	git -C "$top" worktree add -q --detach -f "$src" "$commit"
fi
want=$(cat "$src/linux/SOURCE_VERSION")
deb=$("$top/scripts/fetch-deb.sh" linux-source-6.12 "$want" "$B/bases/$want")
base=$(dpkg-deb -f "$deb" Version)
echo "prev: $rel (${commit:0:12}) on linux-source-6.12 $base"

. "$top/scripts/progress.sh"
PB=$src/build
tree=$PB/linux stamp="$commit $base"
if [ "$(cat "$PB/tree-stamp" 2>/dev/null)" != "$stamp" ]; then
	mkdir -p "$PB"
	rm -rf "$tree" "$PB/linux-source-6.12" "$PB/tree-stamp"
	: > "$P/unpack.log"
	progress "prev: unpacking $base" "$P/unpack.log" \
		sh -c "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/src/linux-source-6.12.tar.xz | tar -xJ -C '$PB'"
	mv "$PB/linux-source-6.12" "$tree"
	# the release's series, as its own tree.sh applies it: new files at
	# their tree paths, then the hook patches in order
	(cd "$src/linux" && find . -type f ! -path './patches/*' \
		! -name SOURCE_VERSION ! -name '*.config' ! -name README.md |
		cpio -pdm --quiet "$tree")
	for p in $(ls "$src/linux/patches" | grep '\.patch$' | sort); do
		patch -d "$tree" -p1 -s -N --no-backup-if-mismatch \
			< "$src/linux/patches/$p" > "$P/patch.log" 2>&1 || {
			cat "$P/patch.log" >&2
			echo "prev: $rel's linux/patches/$p does not apply to $base" >&2
			exit 1; }
	done
	echo "$stamp" > "$PB/tree-stamp"
fi

# HEAD's fragments as the release's one (its kernel.sh reads only
# linux/kho.config and linux/kho-VARIANT.config); restored by git when
# the worktree moves to another release
frags=$(KCONFIG_VARIANT= "$top/scripts/kernel.sh" --fragments)
# shellcheck disable=SC2086
cat $frags > "$src/linux/kho.config.head"
cmp -s "$src/linux/kho.config.head" "$src/linux/kho.config" ||
	mv "$src/linux/kho.config.head" "$src/linux/kho.config"
rm -f "$src/linux/kho.config.head"
: > "$P/build.log"
progress "prev: kernel $rel" "$P/build.log" \
	env -u B LOCALVERSION="-$rel" KCONFIG_VARIANT= "$src/scripts/kernel.sh"
echo "prev: $PB/kernel/arch/x86/boot/bzImage"
B=$PB "$top/scripts/initramfs.sh" | sed 's/^/prev: /'
