#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure (tinyconfig + linux/kho.config [+ extra fragments]) and build
# the VM kernel in build/linux. The .config is only replaced when its
# content changes, so rebuilds stay incremental. Uses ccache when present.
# KCONFIG_VARIANT=kasan adds linux/kho-checks.config and kho-kasan.config,
# no variant kho-checks.config, kho-systemd.config and kho-deferred.config
# (deferred struct page init, NUMA and KASLR, as in Debian's kernels),
# nofile those and kho-nofile.config (the plain kernel but one option:
# ccache's preprocessor mode serves most of its objects from the plain
# kernel's, which keeps a cold build short), any other
# kho-$KCONFIG_VARIANT.config.
# KCONFIG_VARIANT=arm64 cross-builds the arm64 kernel from
# linux/kho-arm64.config alone (with Debian's gcc-aarch64-linux-gnu).
# "kernel.sh --fragments" prints the fragments of the variant and exits.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
src=$B/linux
out=$B/kernel${KCONFIG_VARIANT:+-$KCONFIG_VARIANT}
frags=("$top/linux/kho.config")
# the plain x86 kernel and the sanitizer one carry the debug checks
# (and the plain and nofile ones what systemd needs: the Debian scenario,
# and deferred init + NUMA + KASLR; the sanitizer kernel boots without)
plain=("$top/linux/kho-checks.config" "$top/linux/kho-systemd.config" "$top/linux/kho-deferred.config")
case "${KCONFIG_VARIANT:-}" in
"") frags+=("${plain[@]}") ;;
nofile) frags+=("${plain[@]}" "$top/linux/kho-nofile.config") ;;
kasan) frags+=("$top/linux/kho-checks.config" "$top/linux/kho-$KCONFIG_VARIANT.config") ;;
*) frags+=("$top/linux/kho-$KCONFIG_VARIANT.config") ;;
esac
cross=() target=bzImage image=arch/x86/boot/bzImage tcc=gcc
if [ "${KCONFIG_VARIANT:-}" = arm64 ]; then
	frags=("$top/linux/kho-arm64.config")
	cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	target=Image image=arch/arm64/boot/Image tcc=aarch64-linux-gnu-gcc
fi
# --fragments: only print the variant's config fragments, one a line
# (scripts/prev.sh builds the previous release with the same ones)
if [ "${1:-}" = --fragments ]; then
	printf '%s\n' "${frags[@]}"
	exit 0
fi

cc=$tcc hcc=gcc
command -v ccache >/dev/null && cc="ccache $tcc" hcc="ccache gcc"
# paths relative to the checkout, so clones in other places share the cache
export CCACHE_BASEDIR=$top
mk=(make -C "$src" O="$out" -j"$(nproc)" "${cross[@]}" CC="$cc" HOSTCC="$hcc" -s)

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${mk[@]}" KCONFIG_CONFIG="$tmp/config" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/config" "${frags[@]}" >/dev/null
mv "$tmp/.config" "$tmp/config" 2>/dev/null || true
"${mk[@]}" KCONFIG_CONFIG="$tmp/config" olddefconfig >/dev/null
# Every symbol the fragments set must have survived olddefconfig (the
# last fragment that sets a symbol wins, as in merge_config.sh).
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=n) sym=${line%=n}
		grep -q "^$sym=" "$tmp/config" && { echo "kernel: $sym not off" >&2; bad=1; } ;;
	CONFIG_*) grep -qx "$line" "$tmp/config" || { echo "kernel: $line did not stick" >&2; bad=1; } ;;
	esac
done < <(awk -F= '/^CONFIG_/ { if (!($1 in v)) k[n++] = $1; v[$1] = $0 }
	END { for (i = 0; i < n; i++) print v[k[i]] }' "${frags[@]}")
[ $bad -eq 0 ] || exit 1
cmp -s "$tmp/config" "$out/.config" || cp "$tmp/config" "$out/.config"
echo "kernel: building in $out"
# a line every 30 s with the objects built so far (make without -s)
. "$top/scripts/progress.sh"
: > "$out/build.log"
loud=()
for a in "${mk[@]}"; do [ "$a" = -s ] || loud+=("$a"); done
progress "kernel: $(basename "$out")" "$out/build.log" "${loud[@]}" $target
echo "kernel: $out/$image"
