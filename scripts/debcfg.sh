#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build, with Debian's own kernel config, every object the series adds or
# touches:  scripts/debcfg.sh amd64|arm64
#
# The config is Debian's (config.amd64_none_amd64 or config.arm64_none_arm64
# from linux-config-6.12 at the pinned version, fetched with apt-get
# download, nothing installed) with KEXEC_HANDOVER and LIVEUPDATE turned
# on; the tree is build/linux (the series applied), the objects go to
# build/debcfg-ARCH. The series' own directories are built with W=1, the
# upstream files it hooks at the default warning level (as Debian builds
# them). Any warning fails, and so does an object that does not build.
# A whole Debian-config kernel takes an hour or more on two cores: the
# admin guide says how to build one (Documentation/kho/admin-guide.rst).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
arch=${1:?usage: debcfg.sh amd64|arm64}
pin=$(cat "$top/linux/SOURCE_VERSION")
src=$B/linux out=$B/debcfg-$arch
case $arch in
amd64)	pkg=linux-config-6.12 cfg=config.amd64_none_amd64 tcc=gcc
	cross=() skip=arch/arm64/ extra=(arch/x86/purgatory/) ;;
arm64)	pkg=linux-config-6.12:arm64 cfg=config.arm64_none_arm64
	tcc=aarch64-linux-gnu-gcc skip=arch/x86/ extra=()
	cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
*)	echo "debcfg: no such architecture: $arch" >&2; exit 2 ;;
esac
[ -f "$src/Makefile" ] || { echo "debcfg: no tree in $src (make tree)" >&2; exit 1; }

deb=$("$top/scripts/fetch-deb.sh" "$pkg" "$pin" "$B/bases/config")
cc=$tcc hcc=gcc
command -v ccache >/dev/null && cc="ccache $tcc" hcc="ccache gcc"
export CCACHE_BASEDIR=$top
mk=(make -C "$src" O="$out" -j"$(nproc)" "${cross[@]}" CC="$cc" HOSTCC="$hcc")

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-config-6.12/$cfg.xz" |
	xz -d > "$tmp/config"
# Debian signs with its own keys; the objects built here need none
"$src/scripts/config" --file "$tmp/config" --enable KEXEC_HANDOVER \
	--enable LIVEUPDATE --set-str SYSTEM_TRUSTED_KEYS "" \
	--set-str SYSTEM_REVOCATION_KEYS "" --set-str MODULE_SIG_KEY ""
cmp -s "$tmp/config" "$out/.config.debian" || {
	cp "$tmp/config" "$out/.config.debian"
	cp "$tmp/config" "$out/.config"
}
"${mk[@]}" -s olddefconfig >/dev/null
for sym in KEXEC_HANDOVER LIVEUPDATE; do
	grep -qx "CONFIG_$sym=y" "$out/.config" ||
		{ echo "debcfg: CONFIG_$sym did not stick in Debian's $arch config" >&2; exit 1; }
done
echo "debcfg: $arch: Debian's $cfg ($(basename "$deb")) + KEXEC_HANDOVER, LIVEUPDATE;" \
	"KEXEC_FILE=$(sed -n "s/^CONFIG_KEXEC_FILE=//p" "$out/.config" | grep . || echo n)"

# The series' own objects, and the upstream ones it hooks that this
# config builds (kbuild builds a single object whatever the config says,
# so each is checked against its obj-$(CONFIG_...) line and those of its
# parent directories). The decompressor's kaslr.o is not a kbuild
# object of arch/x86 (arch/x86/boot/compressed has its own flags, built
# only by bzImage): the VM kernels build it.
mapfile -t targets < <(python3 - "$src" "$out/.config" "$skip" \
	$("$top/scripts/series-files.sh" | grep '\.c$') -- \
	$("$top/scripts/series-files.sh" --touched | grep -E '\.[cS]$') \
	"${extra[@]}" <<'PY'
import os, re, sys
src, config, skip = sys.argv[1:4]
rest = sys.argv[4:]
cut = rest.index("--")
own, hooked = rest[:cut], rest[cut + 1:]
on = set(re.findall(r"^(CONFIG_\w+)=[ym]$", open(config).read(), re.M))

def status(mf, name):
    """"on" when Makefile @mf builds @name in this config (obj-y, or an
    obj-$(CONFIG_...) that is set), "off" when it lists it only under
    symbols that are not set, "none" when it does not name it."""
    if not os.path.exists(mf):
        return "none"
    text = re.sub(r"\\\n", " ", open(mf).read())
    found = "none"
    for m in re.finditer(r"^(obj|lib)-(\S*)\s*[:+]?=(.*)$", text, re.M):
        if name not in m.group(3).split():
            continue
        found = "off"
        g = re.fullmatch(r"\$\((CONFIG_\w+)\)", m.group(2))
        if m.group(2) == "y" or (g and g.group(1) in on):
            return "on"
    return found

def built(path):
    """Whether @path and every directory above it are in this config."""
    parts = path.rstrip("/").split("/")
    for i in range(len(parts) - 1, 0, -1):
        d = "/".join(parts[:i])
        name = parts[i] + ("/" if i < len(parts) - 1 or path.endswith("/") else "")
        st = [status(os.path.join(src, d, f), name) for f in ("Kbuild", "Makefile")]
        if "on" not in st and "off" in st:
            return False
    return True

def obj(f):
    return re.sub(r"\.[cS]$", ".o", f)

out = set()
for f in own:
    d = os.path.dirname(f)
    out.add(("own", d + "/" if d in ("kernel/kho", "kernel/liveupdate") else obj(f)))
for f in hooked:
    t = obj(f)
    # asm-offsets.c becomes asm-offsets.s, in make prepare
    if skip and t.startswith(skip) or t.startswith("arch/x86/boot/compressed/") \
       or t.endswith("/asm-offsets.o"):
        continue
    if built(t):
        out.add(("hooked", t))
    else:
        print("skip " + t)
for kind, t in sorted(out):
    print(kind + " " + t)
PY
)
own=() hooked=()
for t in "${targets[@]}"; do
	case $t in own\ *) own+=("${t#own }") ;;
	hooked\ *) hooked+=("${t#hooked }") ;;
	skip\ *) echo "debcfg: $arch: ${t#skip } is not built with this config" ;;
	esac
done

log=$out/build.log
: > "$log"
t0=$SECONDS
. "$top/scripts/progress.sh"
fail=0
# host tools' own warnings (bison's, say) are not the series': prepare
# logs apart
: > "$out/prepare.log"
progress "debcfg: $arch: prepare" "$out/prepare.log" "${mk[@]}" prepare 2>/dev/null || exit 1
progress "debcfg: $arch: objects" "$log" "${mk[@]}" W=1 "${own[@]}" 2>/dev/null || fail=1
progress "debcfg: $arch: objects" "$log" "${mk[@]}" "${hooked[@]}" 2>/dev/null || fail=1
n=$(grep -c -E '^  (CC|AS|LD|OBJCOPY|PURGATORY)' "$log" || true)
# (bison's warnings on scripts/genksyms are the host tools', not ours)
mapfile -t warn < <(grep -E 'warning:|error:|Error [0-9]|No rule to make' "$log" |
	grep -v '/scripts/genksyms/' || true)
echo "debcfg: $arch: ${#own[@]} own and ${#hooked[@]} hooked targets, $n build steps, $((SECONDS - t0)) s, log $log"
if [ $fail -ne 0 ] || [ ${#warn[@]} -gt 0 ]; then
	printf 'debcfg: %s\n' "${warn[@]:-build failed, see the log}" >&2
	exit 1
fi
echo "debcfg: $arch: every object builds with Debian's config, no warnings"
