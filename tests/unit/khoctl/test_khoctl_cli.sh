#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_khoctl_cli - khoctl as a program (its ASan/UBSan build, next to
# this script): usage and errors, the DTS printer against dtc (the output
# must parse back to the same tree), garbage blobs, and every command on
# fake debugfs and sysfs trees (KHO_DEBUGFS, KHO_SYSFS). Nothing touches
# the running kernel: loads are --dry-run. Prints kselftest TAP.

D=$(cd "$(dirname "$0")" && pwd)
K=${KHOCTL:-$D/khoctl}
DTC=${DTC:-dtc}
T=$(mktemp -d /tmp/khoctl-cli-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
export ASAN_OPTIONS=exitcode=99:detect_leaks=1
export UBSAN_OPTIONS=exitcode=99:print_stacktrace=1:halt_on_error=1
unset KHO_DEBUGFS KHO_SYSFS KHO_PROC KHO_SYSTEMCTL
export LC_ALL=C

TOOL=khoctl
# shellcheck source=../cli-tap.sh
. "$D/cli-tap.sh"

# t FUNCTION DESCRIPTION [NEEDS...]: one TAP line; skipped when a
# program it needs is missing
t() {
	local f=$1 d=$2 p
	n=$((n + 1))
	[ $mode = count ] && return
	shift 2
	for p in "$@"; do
		if ! command -v "$p" >/dev/null; then
			echo "ok $n $d # SKIP no $p"
			return
		fi
	done
	tap_one "$f" "$d"
}

hasre() {
	grep -qE -- "$1" "$T/out" || fail "stdout lacks /$1/"
}

# poke FILE OFFSET HEXBYTES...: write bytes at an offset
poke() {
	local f=$1 off=$2 b s=
	shift 2
	for b in "$@"; do
		s="$s\\x$b"
	done
	printf "$s" | dd of="$f" bs=1 seek=$((off)) conv=notrunc status=none
}

byte_at() {
	od -An -tx1 -j $(($2)) -N1 "$1" | tr -d ' \n'
}

# ---- fixtures ----

KHO_DTS='/dts-v1/;
/ {
	compatible = "linux-6.12,kho-v1";
	scratch = <0x0 0x3d800000 0x0 0x1000000 0x0 0x39800000 0x0 0x4000000>;
	preserved-memory {
		compatible = "linux-6.12,kho-mem-v1";
		tracker = <0x0 0x2ae000>;
	};
	kho-test {
		blob = <0x0 0x2b0000 0x0 0x1000>;
	};
	mine {
		blob = <0x0 0x2b1000 0x0 0xc>;
	};
};'

STRINGS_DTS='/dts-v1/;
/ {
	model = "quote \" backslash \\ tab \t newline \n end";
	list = "one", "two", "three";
	single = "";
	mixed = "a", <0x1>, [02 03];
	name,with,commas = "x";
	#address-cells = <2>;
};'

BINARY_DTS='/dts-v1/;
/memreserve/ 0x10000000 0x1000;
/memreserve/ 0x20000000 0x200000;
/ {
	empty;
	one-byte = [ff];
	three = [01 02 03];
	five = [01 02 03 04 05];
	cells = <0xdeadbeef 0x0 0xffffffff>;
	u64 = /bits/ 64 <0x123456789abcdef0>;
	zeros = <0 0>;
	text-like-cells = <0x41424300>;
	node@1000 {
		reg = <0x1000 0x100>;
		deeper {
			deepest {
				value = <7>;
			};
		};
	};
	node@2000 {
	};
};'

EMPTY_DTS='/dts-v1/;
/ {
};'

STATUS_REFUSED='enabled: yes
root: 0x00000000002ad000
scratch_areas: 2
scratch0: 0x3d800000 0x1000000
scratch1: 0x39800000 0x4000000
incoming: refused
incoming_reason: bad handover magic
incoming_root: 0x0000000000000000
incoming_preserved_pages: 0
incoming_tracker_pages: 0
incoming_unclaimed_pages: 0
debug_alloc_outside_scratch: 0
segments_refused: 0'

# fake_kho DIR STATUS: a fake /sys/kernel/debug/kho
fake_kho() {
	local d=$1
	mkdir -p "$d/out/sub"
	printf '%s\n' "$2" >"$d/status"
	cp "$T/kho.dtb" "$d/out/fdt"
	truncate -s 4096 "$d/out/fdt"	# debugfs shows the whole page
	printf 'order 0: 5 blocks 5 pages\norder 1: 0 blocks 0 pages\norder 9: 1 blocks 512 pages\n' \
		>"$d/out/orders"
	printf 'hello world\n' >"$d/out/sub/mine"
	cp "$T/binary.dtb" "$d/out/sub/kho-test"
	: >"$d/out/add"
	: >"$d/out/remove"
}

# A fake x86_64 bzImage: 3 setup sectors + boot sector, then the kernel
fake_bzimage() {
	head -c $((2048 + 20000)) /dev/zero >"$1"
	poke "$1" 0x1f1 03
	poke "$1" 0x1fe 55 aa
	poke "$1" 0x200 eb 6a
	printf 'HdrS' | dd of="$1" bs=1 seek=$((0x202)) conv=notrunc status=none
	poke "$1" 0x206 0f 02
	poke "$1" 0x211 01
	poke "$1" 0x22c ff ff ff 7f
	poke "$1" 0x230 00 00 20 00		# kernel_alignment 2 MiB
	poke "$1" 0x234 01 00 03 00		# relocatable, XLF_KERNEL_64|ABOVE_4G
	poke "$1" 0x238 ff 07 00 00		# cmdline_size 2047
	poke "$1" 0x258 00 00 00 01		# pref_address 16 MiB
	poke "$1" 0x260 00 00 80 01		# init_size 24 MiB
	poke "$1" 2048 48 65 6c 6c 6f
}

setup() {
	if command -v "$DTC" >/dev/null; then
		printf '%s\n' "$KHO_DTS" >"$T/kho.dts"
		printf '%s\n' "$STRINGS_DTS" >"$T/strings.dts"
		printf '%s\n' "$BINARY_DTS" >"$T/binary.dts"
		printf '%s\n' "$EMPTY_DTS" >"$T/empty.dts"
		for f in kho strings binary empty; do
			"$DTC" -q -I dts -O dtb -o "$T/$f.dtb" "$T/$f.dts" ||
				exit 1
		done
		HAVE_DTC=1
	else
		HAVE_DTC=
	fi
	fake_bzimage "$T/bzImage"
	head -c 30000 /dev/urandom >"$T/initrd"
	mkdir -p "$T/sys/firmware/memmap/0" "$T/sys/firmware/memmap/1" \
		"$T/sys/firmware/memmap/2"
	printf '0x0\n' >"$T/sys/firmware/memmap/0/start"
	printf '0x9fbff\n' >"$T/sys/firmware/memmap/0/end"
	printf 'System RAM\n' >"$T/sys/firmware/memmap/0/type"
	printf '0x100000\n' >"$T/sys/firmware/memmap/1/start"
	printf '0x7ffdffff\n' >"$T/sys/firmware/memmap/1/end"
	printf 'System RAM\n' >"$T/sys/firmware/memmap/1/type"
	printf '0x7ffe0000\n' >"$T/sys/firmware/memmap/2/start"
	printf '0x7fffffff\n' >"$T/sys/firmware/memmap/2/end"
	printf 'Reserved\n' >"$T/sys/firmware/memmap/2/type"
	if [ -n "$HAVE_DTC" ]; then
		fake_kho "$T/kho" "$STATUS_REFUSED"
	fi
}

# ---- tests ----

t_help() {
	local c
	run --help
	expect 0 || return 1
	for c in status dump add remove load exec help; do
		has "  $c" || return 1
	done
	for c in status dump add remove load exec; do
		run "$c" --help
		expect 0 || return 1
		head -1 "$T/out" | grep -q "^usage: khoctl $c" ||
			fail "$c --help: no usage line" || return 1
	done
	run help load
	expect 0 && has "--reuse-cmdline"
}

t_usage() {
	run
	expect 2 || return 1
	run bogus
	expect 2 || return 1
	grep -q "^khoctl: unknown command 'bogus'" "$T/err" || return 1
	run dump --bogus
	expect 2 || return 1
	run dump a b
	expect 2 || return 1
	run add onlyname
	expect 2 || return 1
	run add 'bad name' /dev/null
	expect 2 || return 1
	run remove ..
	expect 2 || return 1
	run load
	expect 2 || return 1
	run load k --initrd
	expect 2 || return 1
	run load k --save d
	expect 2 || return 1
	run status extra
	expect 2
}

t_no_debugfs() {
	local c
	for c in "status" "dump" "add x /dev/null" "remove x" "load k"; do
		# shellcheck disable=SC2086
		KHO_DEBUGFS=$T/none run $c
		one_error "debugfs not mounted or kernel without KHO" || return 1
	done
	# the real path, when this machine has no KHO debugfs
	if [ "$(id -u)" = 0 ] && [ ! -e /sys/kernel/debug/kho ]; then
		run status
		one_error "debugfs not mounted or kernel without KHO (/sys/kernel/debug/kho missing)"
	fi
}

t_not_root() {
	if [ "$(id -u)" != 0 ]; then
		run status
	else
		"$(command -v setpriv)" --reuid=65534 --regid=65534 --clear-groups \
			"$K" status >"$T/out" 2>"$T/err"
		rc=$?
	fi
	one_error "must be root"
}

# roundtrip NAME: dtb -> khoctl -> dts -> dtc -> dtb is the same tree
roundtrip() {
	run dts-file "$T/$1.dtb"
	expect 0 || return 1
	head -1 "$T/out" | grep -qx '/dts-v1/;' || fail "no /dts-v1/; line" ||
		return 1
	cp "$T/out" "$T/$1.khoctl.dts"
	"$DTC" -q -I dts -O dtb -o "$T/$1.back.dtb" "$T/$1.khoctl.dts" 2>"$T/err" ||
		fail "dtc cannot parse khoctl's output" || return 1
	"$DTC" -q -I dtb -O dts "$T/$1.dtb" >"$T/$1.a.dts" &&
	"$DTC" -q -I dtb -O dts "$T/$1.back.dtb" >"$T/$1.b.dts" ||
		fail "dtc -I dtb failed" || return 1
	diff -u "$T/$1.a.dts" "$T/$1.b.dts" >"$T/err" ||
		fail "trees differ after the round trip"
}

t_rt_kho() {
	roundtrip kho || return 1
	grep -qF 'scratch = <0x0 0x3d800000 0x0 0x1000000 0x0 0x39800000 0x0 0x4000000> /* u64: 0x3d800000 0x1000000 0x39800000 0x4000000 */;' \
		"$T/kho.khoctl.dts" || fail "scratch not shown as cells + u64 comment"
}

t_rt_strings() {
	roundtrip strings || return 1
	grep -qF 'list = "one", "two", "three";' "$T/strings.khoctl.dts" ||
		fail "string list not shown as strings"
}

t_rt_binary() {
	roundtrip binary || return 1
	grep -qF 'five = [01 02 03 04 05];' "$T/binary.khoctl.dts" &&
		grep -qF '/memreserve/ 0x0000000020000000 0x0000000000200000;' \
			"$T/binary.khoctl.dts" ||
		fail "bytes or memreserve not shown"
}

t_rt_empty() {
	roundtrip empty
}

# garbage FILE: printed as a hex dump with a comment, no crash
garbage() {
	run dts-file "$1"
	expect 0 || return 1
	head -1 "$T/out" | grep -q "not a flattened device tree.*hex dump" ||
		fail "$1: no 'not a flattened device tree' comment"
}

t_garbage() {
	local i
	: >"$T/g-empty"
	printf 'hello' >"$T/g-hello"
	head -c 5000 /dev/urandom >"$T/g-random"
	printf '\xd0\x0d\xfe\xed' >"$T/g-magic"
	head -c 2000 /dev/urandom >>"$T/g-magic"
	for i in g-empty g-hello g-random g-magic; do
		garbage "$T/$i" || return 1
	done
	if [ -n "$HAVE_DTC" ]; then
		head -c 100 "$T/kho.dtb" >"$T/g-trunc"
		garbage "$T/g-trunc" || return 1
		cp "$T/kho.dtb" "$T/g-tag"
		poke "$T/g-tag" 56 ff ff ff ff	# the first structure tag
		garbage "$T/g-tag" || return 1
	fi
	run dts-file "$T/missing"
	one_error "No such file or directory"
}

t_status() {
	KHO_DEBUGFS=$T/kho run status
	expect 0 || return 1
	has "KHO:               on" && has "0x2ad000" &&
	has "scratch areas:     2" &&
	has "scratch0" && has "0x000000003d800000-0x000000003e7fffff" &&
	has "16.0 MiB" && has "scratch1" && has "64.0 MiB" &&
	has "sub-trees (outgoing): 2" && has "kho-test" &&
	has "mine" && has "12 bytes at 0x2b1000" &&
	has "total" && has "517" &&
	has "incoming handover: refused: bad handover magic"
}

t_status_accepted() {
	local d=$T/kho-acc
	fake_kho "$d" "$(printf '%s\n' "$STATUS_REFUSED" |
		sed -e 's/^incoming: refused/incoming: accepted/' \
		    -e '/^incoming_reason/d' \
		    -e 's/^incoming_preserved_pages: 0/incoming_preserved_pages: 16387/' \
		    -e 's/^incoming_unclaimed_pages: 0/incoming_unclaimed_pages: 3/' \
		    -e 's/^incoming_root: .*/incoming_root: 0x1234000/')"
	mkdir -p "$d/in/sub"
	cp "$T/kho.dtb" "$d/in/fdt"
	printf 'old' >"$d/in/sub/mine"
	KHO_DEBUGFS=$d run status
	expect 0 || return 1
	has "incoming handover: accepted, state tree at 0x1234000" &&
	has "preserved pages: 16387 (64.0 MiB)" && has "unclaimed pages: 3" &&
	has "sub-trees (incoming): 2" || return 1
	KHO_DEBUGFS=$d run dump --in
	expect 0 && has 'compatible = "linux-6.12,kho-v1";' || return 1
	KHO_DEBUGFS=$d run dump --in mine
	expect 0 && has "|old|"
}

t_dump() {
	KHO_DEBUGFS=$T/kho run dump
	expect 0 || return 1
	"$DTC" -q -I dts -O dts "$T/out" >"$T/dump.a" 2>/dev/null &&
	"$DTC" -q -I dtb -O dts "$T/kho.dtb" >"$T/dump.b" ||
		fail "dtc cannot parse dump's output" || return 1
	cmp -s "$T/dump.a" "$T/dump.b" || fail "dump is not out/fdt's tree" ||
		return 1
	KHO_DEBUGFS=$T/kho run dump --raw
	expect 0 || return 1
	cmp -s "$T/out" "$T/kho.dtb" || fail "--raw is not the tree's bytes" ||
		return 1
	KHO_DEBUGFS=$T/kho run dump kho-test
	expect 0 && has "/memreserve/" && has "deepest {" || return 1
	KHO_DEBUGFS=$T/kho run dump mine
	expect 0 && has "out/sub/mine: 12 bytes, not a flattened device tree" &&
		has "|hello world.|" || return 1
	KHO_DEBUGFS=$T/kho run dump --raw mine
	expect 0 || return 1
	cmp -s "$T/out" "$T/kho/out/sub/mine" || fail "--raw NAME differs"
}

t_dump_missing() {
	KHO_DEBUGFS=$T/kho run dump nope
	one_error "no outgoing sub-tree named 'nope'" || return 1
	KHO_DEBUGFS=$T/kho run dump --in
	one_error "no incoming state tree (incoming handover: refused: bad handover magic)"
}

t_add() {
	printf 'blob\000\001\002data' >"$T/blob"
	: >"$T/kho/out/add"
	KHO_DEBUGFS=$T/kho run add my-blob.1 "$T/blob"
	expect 0 && has "added sub-tree my-blob.1: 11 bytes" || return 1
	{ printf 'my-blob.1\n'; cat "$T/blob"; } >"$T/add.expected"
	cmp -s "$T/kho/out/add" "$T/add.expected" ||
		fail "out/add did not get NAME\\n + blob"
}

t_add_errors() {
	head -c 4097 /dev/zero >"$T/big"
	KHO_DEBUGFS=$T/kho run add big "$T/big"
	one_error "too large" || return 1
	head -c 4096 /dev/zero >"$T/max"
	: >"$T/kho/out/add"
	KHO_DEBUGFS=$T/kho run add max "$T/max"
	expect 0 || return 1
	[ "$(stat -c %s "$T/kho/out/add")" = 4100 ] ||
		fail "4096-byte blob not written whole" || return 1
	KHO_DEBUGFS=$T/kho run add x "$T/missing"
	one_error "No such file or directory" || return 1
	: >"$T/emptyfile"
	KHO_DEBUGFS=$T/kho run add x "$T/emptyfile"
	one_error "empty file" || return 1
	# the kernel's errors come back from the write: ENOSPC via /dev/full
	mv "$T/kho/out/add" "$T/add.saved"
	ln -s /dev/full "$T/kho/out/add"
	KHO_DEBUGFS=$T/kho run add x "$T/blob"
	rm "$T/kho/out/add"
	one_error "the state tree is full" || return 1
	KHO_DEBUGFS=$T/kho run add x "$T/blob"
	mv "$T/add.saved" "$T/kho/out/add"
	one_error "out/add missing"
}

t_remove() {
	: >"$T/kho/out/remove"
	KHO_DEBUGFS=$T/kho run remove my-blob.1
	expect 0 || return 1
	[ "$(cat "$T/kho/out/remove")" = my-blob.1 ] ||
		fail "out/remove did not get NAME"
}

t_kho_off() {
	local d=$T/kho-off c
	mkdir -p "$d/out"
	printf 'enabled: no\nroot: 0x0\nscratch_areas: 0\nincoming: none\n' \
		>"$d/status"
	KHO_DEBUGFS=$d run status
	expect 0 && has "KHO:               off" && has "incoming handover: none" ||
		return 1
	for c in "add x $T/blob" "remove x" "load $T/bzImage --dry-run"; do
		# shellcheck disable=SC2086
		KHO_DEBUGFS=$d run $c
		one_error "KHO is off (boot with kho=on)" || return 1
	done
	KHO_DEBUGFS=$d run dump
	one_error "KHO is off"
}

t_load_file() {
	KHO_DEBUGFS=$T/kho run load "$T/bzImage" --append "console=ttyS0 kho=on" \
		--dry-run
	expect 0 && has "kexec_file_load: kernel $T/bzImage, initrd none" &&
	has "command line: console=ttyS0 kho=on" && has "dry run" || return 1
	! grep -q kho_root "$T/out" || fail "kho_root= on the file path" ||
		return 1
	[ ! -s "$T/err" ] || fail "unexpected stderr" || return 1
	KHO_DEBUGFS=$T/kho run load "$T/bzImage" --dry-run --initrd="$T/initrd"
	expect 0 && has "initrd $T/initrd" || return 1
	grep -q "warning: the command line has no kho=on" "$T/err" ||
		fail "no warning without kho=on" || return 1
	# the running kernel's words, and kho=on before any "--" (init's part)
	local cl exp
	cl=$(tr -s ' \n' '  ' </proc/cmdline | sed 's/ kho_root=[^ ]*//g; s/^ *//; s/ *$//')
	case " $cl " in
	*" -- "*)
		exp=$(printf '%s' " $cl " | sed 's/ -- / kho=on -- /') ;;
	*)
		exp="$cl kho=on" ;;
	esac
	exp=$(printf '%s' "$exp" | sed 's/^ *//; s/ *$//')
	KHO_DEBUGFS=$T/kho run load "$T/bzImage" --reuse-cmdline --append kho=on \
		--dry-run
	expect 0 && has "command line: $exp" || return 1
	KHO_DEBUGFS=$T/kho run load "$T/missing" --dry-run --append kho=on
	one_error "No such file or directory"
}

t_load_user() {
	local s=$T/segs
	KHO_DEBUGFS=$T/kho KHO_SYSFS=$T/sys run load --user "$T/bzImage" \
		--initrd "$T/initrd" --append "console=ttyS0 kho=on" --dry-run \
		--save "$s"
	expect 0 || return 1
	has "kexec_load: 5 segments in scratch1 0x39800000-0x3d7fffff (64.0 MiB)" &&
	has "  kernel      0x0000000039800000-0x000000003affffff" &&
	has "  initrd      0x000000003b000000-0x000000003b007fff" &&
	has "  boot_params 0x000000003b008000-0x000000003b008fff" &&
	has "  cmdline     0x000000003b009000-0x000000003b009fff" &&
	has "  entry stub  0x000000003b00a000-0x000000003b00afff" &&
	has "stub to startup_64 at 0x39800200, %rsi = 0x3b008000" &&
	has "e820: 3 entries from $T/sys/firmware/memmap" &&
	has "command line: console=ttyS0 kho=on kho_root=0x2ad000" &&
	has "dry run: nothing loaded" || return 1
	[ "$(byte_at "$s/2-boot_params.bin" 0x210)" = ff ] &&
	[ "$(byte_at "$s/2-boot_params.bin" 0x1e8)" = 03 ] &&
	[ "$(byte_at "$s/2-boot_params.bin" 0x22b)" = 3b ] ||
		fail "boot_params fields" || return 1
	printf 'console=ttyS0 kho=on kho_root=0x2ad000\000' | cmp -s - "$s/3-cmdline.bin" ||
		fail "cmdline segment" || return 1
	cmp -s "$s/1-initrd.bin" "$T/initrd" || fail "initrd segment" || return 1
	[ "$(stat -c %s "$s/0-kernel.bin")" = 20000 ] || fail "kernel segment size"
}

t_stub_disasm() {
	objdump -D -b binary -mi386:x86-64 --stop-address=0x17 \
		"$T/segs/4-entry_stub.bin" >"$T/out" 2>"$T/err" ||
		fail "objdump failed" || return 1
	has "cli" && has 'movabs $0x3b008000,%rsi' &&
	has 'movabs $0x39800200,%rax' && has "jmp    *%rax"
}

t_load_user_errors() {
	local d=$T/kho-small
	fake_kho "$d" "$(printf '%s\n' "$STATUS_REFUSED" |
		sed -e 's/^scratch_areas: 2/scratch_areas: 1/' \
		    -e 's/^scratch0: .*/scratch0: 0x3d800000 0x1000000/' \
		    -e '/^scratch1/d')"
	KHO_DEBUGFS=$d KHO_SYSFS=$T/sys run load --user "$T/bzImage" --dry-run \
		--append kho=on
	one_error "no scratch area holds the kernel (24.0 MiB" || return 1
	grep -q "largest is 16.0 MiB at 0x3d800000; raise kho_scratch=" "$T/err" ||
		fail "no size or advice" || return 1
	KHO_DEBUGFS=$T/kho KHO_SYSFS=$T/sys run load --user "$T/initrd" --dry-run \
		--append kho=on
	one_error "not a bzImage" || return 1
	KHO_DEBUGFS=$T/kho KHO_SYSFS=$T/none run load --user "$T/bzImage" \
		--dry-run --append kho=on
	one_error "no memory map for the next kernel"
}

# a fake /sys/kernel/liveupdate/sessions
t_sessions() {
	mkdir -p "$T/lsys/kernel/liveupdate"
	cat > "$T/lsys/kernel/liveupdate/sessions" <<-EOF
	incoming_records: accepted
	outgoing lu-data files=2
	  token=1 handler=memfd-v1 size=268435456
	  token=2 handler=memfd-v1 size=4096
	outgoing name with spaces files=0
	outgoing lu-empty files=0
	incoming lu-in files=1 state=open restore_us=1234
	  token=9223372036854775813 handler=memfd-v1 retrieved=yes
	EOF
	KHO_SYSFS=$T/lsys run sessions
	expect 0 || return 1
	hasre "lu-in +1 file +open +taken back in 1234 us" &&
		hasre "lu-data +2 files" &&
		hasre "token 1 +memfd-v1 +268435456 bytes \(256.0 MiB\)" &&
		hasre "name with spaces +0 files" &&
		hasre "lu-empty +0 files" && hasre "lu-in +1 file +open" &&
		hasre "token 9223372036854775813 +memfd-v1 .* retrieved" &&
		has "records accepted" &&
		has "total: 3 outgoing sessions, 2 files, 256.0 MiB; 1 incoming sessions, 1 files" ||
		return 1
	KHO_SYSFS=$T/lsys run sessions --raw
	expect 0 && cmp -s "$T/out" "$T/lsys/kernel/liveupdate/sessions" ||
		fail "--raw is not the file" || return 1
	KHO_SYSFS=$T/none run sessions
	expect 1 && grep -q "missing (kernel without live update" "$T/err" ||
		fail "no listing: one error line" || return 1
	run sessions extra
	expect 2
}

# keep/take argument checks (no /dev/liveupdate needed to refuse them)
t_keep_take_usage() {
	run keep
	expect 2 || return 1
	run keep name
	expect 2 || return 1
	run keep "$(printf '%070d' 0)" /etc/hostname
	expect 2 || return 1
	echo a > "$T/k1"
	mkdir -p "$T/kd"
	echo b > "$T/kd/k1"
	run keep name "$T/k1" "$T/kd/k1"
	expect 1 && grep -q "two files named k1" "$T/err" || return 1
	run keep name "$T/kd/"
	expect 1 || return 1
	run take
	expect 2 || return 1
	run take a b c
	expect 2
}

# json PYEXPR...: the last run's stdout is one line of JSON, and every
# Python expression (j is the parsed object) is true
json() {
	[ "$(wc -l <"$T/out")" = 1 ] || fail "not one line of output" ||
		return 1
	python3 - "$T/out" "$@" <<-'PYEOF' >"$T/json.err" 2>&1 ||
	import json, sys
	j = json.load(open(sys.argv[1]))
	for e in sys.argv[2:]:
	    if not eval(e):
	        sys.exit("false: %s" % e)
	PYEOF
		fail "$(tail -1 "$T/json.err")"
}

t_status_json() {
	KHO_DEBUGFS=$T/kho run status --json
	expect 0 || return 1
	json 'j["schema"] == "khoctl-status-v1"' 'j["kho"] is True' \
		'j["outgoing"]["root"] == "0x2ad000"' \
		'j["outgoing"]["scratch"][0] == {"addr": "0x3d800000", "bytes": 16 << 20}' \
		'len(j["outgoing"]["scratch"]) == 2' \
		'j["outgoing"]["preserved_pages"] == 517' \
		'[o["order"] for o in j["outgoing"]["orders"]] == [0, 9]' \
		'{s["name"] for s in j["outgoing"]["subtrees"]} == {"mine", "kho-test"}' \
		'[s for s in j["outgoing"]["subtrees"] if s["name"] == "mine"][0]["bytes"] == 12' \
		'j["incoming"]["state"] == "refused"' \
		'j["incoming"]["reason"] == "bad handover magic"' \
		'j["incoming"]["root"] is None and j["incoming"]["subtrees"] is None' \
		'j["segments_refused"] == 0' || return 1
	local d=$T/kho-off-json
	mkdir -p "$d"
	printf 'enabled: no\nincoming: none\n' >"$d/status"
	KHO_DEBUGFS=$d run status --json
	expect 0 && json 'j["kho"] is False and j["outgoing"] is None' \
		'j["incoming"]["state"] == "none"' \
		'j["alloc_outside_scratch"] is None' || return 1
	KHO_DEBUGFS=$T/kho run status --json extra
	expect 2
}

# the fake listing of t_sessions, with a name JSON must escape
fake_sessions() {
	mkdir -p "$1/kernel/liveupdate"
	cat > "$1/kernel/liveupdate/sessions" <<-EOF
	incoming_records: accepted
	outgoing lu-data files=2
	  token=1 handler=memfd-v1 size=268435456
	  token=2 handler=hugetlb-v1 size=4096
	outgoing q"uote\\back files=0
	incoming lu-in files=2 state=held restore_us=56
	  token=9223372036854775813 handler=memfd-v1 retrieved=yes
	  token=7 handler=memfd-v1 retrieved=no
	EOF
}

t_sessions_json() {
	fake_sessions "$T/jsys"
	# a kernel before restore_us=
	printf 'incoming older-kernel files=0 state=held\n' \
		>>"$T/jsys/kernel/liveupdate/sessions"
	KHO_SYSFS=$T/jsys run sessions --json
	expect 0 || return 1
	json 'j["schema"] == "khoctl-sessions-v1"' \
		'j["incoming_records"] == "accepted"' \
		'[s["name"] for s in j["outgoing"]] == ["lu-data", "q\"uote\\back"]' \
		'j["outgoing"][0]["files"][0] == {"token": "1", "handler": "memfd-v1", "bytes": 268435456}' \
		'j["outgoing"][0]["files"][1]["handler"] == "hugetlb-v1"' \
		'j["outgoing"][1]["files"] == [] and j["outgoing"][1]["nr_files"] == 0' \
		'j["incoming"][0]["state"] == "held"' \
		'j["incoming"][0]["restore_us"] == 56' \
		'j["incoming"][1]["restore_us"] is None' \
		'j["incoming"][0]["files"][0]["token"] == "9223372036854775813"' \
		'[f["retrieved"] for f in j["incoming"][0]["files"]] == [True, False]' ||
		return 1
	KHO_SYSFS=$T/jsys run sessions --json --raw
	expect 2
}

# a fake /sys/kernel/kexec_timeline: two records, the second with no
# purgatory (kexec_load, KHO off)
t_timeline_json() {
	mkdir -p "$T/tsys/kernel"
	python3 - "$T/tsys/kernel/kexec_timeline" <<-'PYEOF'
	import struct, sys
	def rec(gen, t, flags):
	    return struct.pack("<IIII9QQQQI3I", 0x4c54584b, gen, 1000000,
	                       1000000, *t, 3, 5, 7, flags, 0, 0, 0)
	t1 = [1000000 * x for x in (10, 12, 13, 14, 14, 20, 25, 30, 40)]
	t2 = [1000000 * x for x in (10, 11, 0, 0, 0, 0, 15, 16, 18)]
	h = struct.pack("<QIII11I", 0x454e494c544f484b, 1, 2, 3, *[0] * 11)
	h += rec(1, t1, 3) + rec(2, t2, 0)
	open(sys.argv[1], "wb").write(h.ljust(4096, b"\0"))
	PYEOF
	KHO_SYSFS=$T/tsys run timeline --json
	expect 0 || return 1
	json 'j["schema"] == "khoctl-timeline-v1" and j["generation"] == 3' \
		'len(j["records"]) == 2' \
		'j["records"][0]["via"] == "kexec_file_load" and j["records"][0]["kho"] is True' \
		'j["records"][0]["phases_ms"]["shutdown"] == 2.0' \
		'j["records"][0]["phases_ms"]["purgatory"] == 6.0' \
		'j["records"][0]["phases_ms"]["boot"] == 5.0' \
		'j["records"][0]["phases_ms"]["total"] == 30.0' \
		'j["records"][0]["points_ms"]["init"] == 30.0' \
		'j["records"][0]["reloc_bytes"] == 3 * 4096 and j["records"][0]["hash_bytes"] == 7' \
		'j["records"][1]["via"] == "kexec_load" and j["records"][1]["kho"] is False' \
		'j["records"][1]["phases_ms"]["reloc"] is None' \
		'j["records"][1]["phases_ms"]["boot"] == 4.0' \
		'j["records"][1]["points_ms"]["purgatory"] is None' || return 1
	KHO_SYSFS=$T/tsys run timeline
	expect 0 && hasre "^ +1 file +on " && hasre "^ +2 load +off "
}

# fake_proc DIR PID1COMM: a fake /proc; holder PID ARGV0 [LINK] adds a
# process with one descriptor (a session unless LINK is given)
fake_proc() {
	rm -rf "$1"
	mkdir -p "$1/1/fd"
	printf '%s\n' "$2" >"$1/1/comm"
	printf '/sbin/init\0' >"$1/1/cmdline"
	ln -s "/dev/null" "$1/1/fd/0"
}
holder() {
	mkdir -p "$P/$1/fd"
	printf '%s\n' "${2#@}" >"$P/$1/comm"
	printf '%s\0--foreground\0' "$2" >"$P/$1/cmdline"
	ln -s "/dev/null" "$P/$1/fd/0"
	ln -s "${3:-anon_inode:[liveupdate_session]}" "$P/$1/fd/5"
}

# check SYSFS: khoctl check --json and its text form on the fake trees
check() {
	KHO_DEBUGFS=$T/kho KHO_SYSFS=$1 KHO_PROC=$P run check --json
	cp "$T/out" "$T/check.json"
	local jrc=$rc
	KHO_DEBUGFS=$T/kho KHO_SYSFS=$1 KHO_PROC=$P run check
	[ "$rc" = "$jrc" ] || fail "--json exits $jrc, text $rc"
}

t_check() {
	local ok=$T/csys ids
	P=$T/proc
	# one outgoing session of a known kind, held by a plain process: fine
	# while PID 1 is not systemd
	mkdir -p "$ok/kernel/liveupdate"
	printf 'incoming_records: none\noutgoing keep files=1\n  token=1 handler=memfd-v1 size=8192\n' \
		>"$ok/kernel/liveupdate/sessions"
	printf '1\n' >"$ok/kernel/kexec_loaded"
	fake_proc "$P" init
	holder 40 khoctl
	holder 41 other /dev/null
	check "$ok"
	expect 0 && has "check: ok: a kexec now loses nothing (1 outgoing session, 1 file, 0.0 MiB)" ||
		return 1
	cp "$T/check.json" "$T/out"
	json 'j["schema"] == "khoctl-check-v1" and j["ok"] is True' \
		'j["kho"] is True and j["problems"] == []' \
		'j["outgoing_sessions"] == 1 and j["outgoing_bytes"] == 8192' ||
		return 1
	# PID 1 systemd: the holder is killed by systemd-shutdown
	fake_proc "$P" systemd
	holder 40 khoctl
	check "$ok"
	expect 3 && has "error: holder-unprotected: pid 40 (khoctl)" &&
		has "check: 1 error: a kexec now would lose something" || return 1
	cp "$T/check.json" "$T/out"
	json 'j["ok"] is False' \
		'[p["id"] for p in j["problems"]] == ["holder-unprotected"]' ||
		return 1
	# ... unless its argv[0] starts with '@' and its unit is not
	# stopped at shutdown (systemctl show -p Conflicts)
	fake_proc "$P" systemd
	holder 40 @khoctl
	printf '0::/system.slice/khoctl-keep@a.service\n' >"$P/40/cgroup"
	cat >"$T/systemctl" <<-'SH'
	#!/bin/sh
	case "$*" in
	"show -p Conflicts --value khoctl-keep@a.service") echo ;;
	"show -p Conflicts --value plain.service") echo "shutdown.target" ;;
	"show -p Conflicts --value system.slice") echo ;;
	"show -p Conflicts --value other@a.service") echo ;;
	"show -p Conflicts --value system-other\x2dkeep.slice") echo "shutdown.target" ;;
	*) exit 1 ;;
	esac
	SH
	chmod +x "$T/systemctl"
	export KHO_SYSTEMCTL=$T/systemctl
	check "$ok"
	expect 0 || return 1
	holder 42 @khoctl
	printf '0::/system.slice/plain.service\n' >"$P/42/cgroup"
	check "$ok"
	expect 3 && has "error: holder-unprotected: pid 42 (khoctl) holds a live update session in plain.service, which systemctl kexec stops" ||
		return 1
	! grep -q "pid 40 " "$T/out" || fail "the protected holder reported" ||
		return 1
	rm -rf "$P/42"
	# a unit without default dependencies, but in a slice that has them
	# (a template's own system-NAME.slice): stopping the slice stops it
	holder 43 @khoctl
	printf '%s\n' '0::/system.slice/system-other\x2dkeep.slice/other@a.service' \
		>"$P/43/cgroup"
	check "$ok"
	expect 3 && has "error: holder-unprotected: pid 43 (khoctl) holds a live update session in other@a.service, whose slice system-other\\x2dkeep.slice systemctl kexec stops" ||
		return 1
	! grep -q "pid 40 " "$T/out" || fail "the protected holder reported" ||
		return 1
	rm -rf "$P/43"
	unset KHO_SYSTEMCTL
	# no holder found: a warning only
	fake_proc "$P" systemd
	check "$ok"
	expect 0 && has "warning: holders-unknown" || return 1
	# the kinds of file, incoming sessions, no kernel loaded
	fake_sessions "$T/csys2"
	printf 'incoming lu-done files=1 state=finished\n  token=3 handler=memfd-v1 retrieved=no\n' \
		>>"$T/csys2/kernel/liveupdate/sessions"
	printf 'outgoing odd files=2\n  token=4 handler=socket-v9 size=1\n  garbage\n' \
		>>"$T/csys2/kernel/liveupdate/sessions"
	printf '0\n' >"$T/csys2/kernel/kexec_loaded"
	holder 40 @khoctl
	check "$T/csys2"
	expect 3 && has "error: file-type: session odd, token 4: handler socket-v9" &&
		has "error: file-type: session odd: a file khoctl cannot read the kind of: garbage" &&
		has "error: incoming-unfinished: incoming session lu-in (held): 1 of 2 files never retrieved" &&
		has "warning: no-kernel-loaded" &&
		has "check: 3 errors" || return 1
	! grep -q "lu-done" "$T/out" || fail "a finished session reported" ||
		return 1
	cp "$T/check.json" "$T/out"
	json '[p["id"] for p in j["problems"] if p["severity"] == "error"] == ["incoming-unfinished", "file-type", "file-type"]' \
		'[p["id"] for p in j["problems"] if p["severity"] == "warning"] == ["no-kernel-loaded"]' ||
		return 1
	# KHO off (debugfs says so), and no live update listing
	local d=$T/kho-off-check
	mkdir -p "$d"
	printf 'enabled: no\nincoming: none\n' >"$d/status"
	KHO_DEBUGFS=$d KHO_SYSFS=$T/none KHO_PROC=$P run check
	expect 3 && has "error: kho-off" || return 1
	# no debugfs either: the listing alone says KHO is on
	KHO_DEBUGFS=$T/none KHO_SYSFS=$ok KHO_PROC=$P run check
	expect 0 || return 1
	KHO_DEBUGFS=$T/none KHO_SYSFS=$T/none KHO_PROC=$P run check --json
	expect 3 && json 'j["kho"] is False' \
		'[p["id"] for p in j["problems"]] == ["kho-off"]' || return 1
	run check extra
	expect 2
}

# take --cold-ok: generation 1 (the timeline) is a cold boot, nothing to
# take; later generations go on to /dev/liveupdate (absent on the host)
t_take_cold_ok() {
	mkdir -p "$T/gsys/kernel"
	python3 - "$T/gsys/kernel/kexec_timeline" 1 <<-'PYEOF'
	import struct, sys
	h = struct.pack("<QIII11I", 0x454e494c544f484b, 1, 0, int(sys.argv[2]),
	                *[0] * 11)
	open(sys.argv[1], "wb").write(h.ljust(4096, b"\0"))
	PYEOF
	KHO_SYSFS=$T/gsys run take state "$T/cold" --cold-ok
	expect 0 && has "cold boot (no kexec led to this kernel): nothing to take for session state" ||
		return 1
	[ ! -e "$T/cold" ] || fail "take made its directory on a cold boot" ||
		return 1
	python3 - "$T/gsys/kernel/kexec_timeline" 2 <<-'PYEOF'
	import struct, sys
	h = struct.pack("<QIII11I", 0x454e494c544f484b, 1, 0, int(sys.argv[2]),
	                *[0] * 11)
	open(sys.argv[1], "wb").write(h.ljust(4096, b"\0"))
	PYEOF
	[ -e /dev/liveupdate ] && return 0	# a live update kernel: skip
	KHO_SYSFS=$T/gsys run take state "$T/cold" --cold-ok
	expect 1 && grep -q "/dev/liveupdate" "$T/err" || return 1
	run take a b c --cold-ok
	expect 2
}

tests() {
	t t_help "--help and COMMAND --help print usage, exit 0"
	t t_usage "usage errors exit 2"
	t t_no_debugfs "no debugfs: one error line, exit 1"
	t t_not_root "not root: one error line, exit 1" setpriv
	t t_garbage "dts-file: garbage and corrupt blobs become a hex dump"
	t t_rt_kho "dts round trip through dtc: KHO state tree" "$DTC"
	t t_rt_strings "dts round trip through dtc: strings, escapes, lists" "$DTC"
	t t_rt_binary "dts round trip through dtc: bytes, cells, u64, memreserve, nesting" "$DTC"
	t t_rt_empty "dts round trip through dtc: empty tree" "$DTC"
	t t_status "status: scratch areas, orders, sub-trees, refused handover" "$DTC"
	t t_status_accepted "status and dump --in: accepted handover" "$DTC"
	t t_dump "dump: root tree as DTS and raw, clients as DTS or hex" "$DTC"
	t t_dump_missing "dump: missing sub-tree or incoming tree, one error line" "$DTC"
	t t_add "add: one write of NAME\\n + blob to out/add" "$DTC"
	t t_add_errors "add: size limits, missing file, write errno, missing out/add" "$DTC"
	t t_remove "remove: NAME written to out/remove" "$DTC"
	t t_kho_off "KHO off: status says so, add/remove/load/dump refuse"
	t t_load_file "load: kexec_file_load dry run, cmdline building" "$DTC"
	t t_load_user "load --user: placement in the largest scratch area, segments" "$DTC"
	t t_stub_disasm "load --user: entry stub disassembles as intended" "$DTC" objdump
	t t_load_user_errors "load --user: too small scratch, not a bzImage, no memory map" "$DTC"
	t t_sessions "sessions: live update listing from sysfs, --raw, missing"
	t t_keep_take_usage "keep/take: usage errors, two files of one name"
	t t_status_json "status --json: schema khoctl-status-v1" "$DTC" python3
	t t_sessions_json "sessions --json: schema khoctl-sessions-v1, escapes, 64-bit tokens" python3
	t t_timeline_json "timeline --json: schema khoctl-timeline-v1, phases, missing points" python3
	t t_take_cold_ok "take --cold-ok: nothing to do after a cold boot, an error after a kexec" python3
	t t_check "check: exit 0/3, holders under systemd, file kinds, incoming, KHO off" "$DTC" python3
}

setup
tap_main
