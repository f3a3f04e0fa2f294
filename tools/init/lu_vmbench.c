// SPDX-License-Identifier: GPL-2.0
/*
 * lu_vmbench.c - the blackout benchmark's chain (bench/vm/blackout.py):
 * rig.lu_vmb=MIB, three generations, one guest of MIB MiB (the VM
 * initramfs; the host has a virtio-blk disk, /dev/vda).
 *
 *   gen 1  start the guest, let it fill and check its RAM; then what a
 *          host does without live update: "khovm save-to /dev/vda" (the
 *          whole VM, RAM included, through QEMU's migration), kexec
 *   gen 2  "khovm restore-from /dev/vda" into new RAM; the guest's next
 *          passes; then the live update: "khovm save", kexec
 *   gen 3  "khovm restore"; the guest's next passes
 *
 * khovm prints where each blackout went ("NAME phases (ms): ..."), on
 * the clock the kexec timeline uses. The guest's own view is the jump
 * of its RTC against its TSC (guest.c clock_gap_ms), which is only as
 * right as the host's wall clock: the next kernel sets that from the
 * RTC, to the second. So each generation sets its wall clock from the
 * previous one's, carried across the reboot on the same clock (as NTP
 * would set a real host's), before it restores the guest.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/kexec_timeline.h>

#include "rig.h"
#include "../khovm/khovm.h"

#define VM_DIR		"/tmp/khovm"
#define DISK		"/dev/vda"
#define NAME		"bench"

static char serial[64] = VM_DIR "/" NAME ".serial";

static int khovm(const char *what, char *a1, char *a2, char *a3)
{
	char *argv[] = { RIG_KHOVM, a1, a2, a3, NULL };

	return rig_khovm(argv, "lu_vmbench", what, NULL, 0);
}

/* hand the wall clock to the next kernel, on the clock that spans the reboot */
static void clock_out(struct guest_line *g)
{
	struct timespec ts;
	char val[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(val, sizeof(val), "%lld.%09ld:%llu", (long long)ts.tv_sec,
		 ts.tv_nsec, (unsigned long long)kclock());
	rig_next_set("rig.lu_vmb_clock", val);
	snprintf(val, sizeof(val), "%lu:%ld", g->pass, g->gap);
	rig_next_set("rig.lu_vmb_last", val);
}

/*
 * As a host does it: the next kernel loaded before the VM stops, so the
 * load (80 MB hashed here) is not in the blackout. What the next
 * generation needs from this one is on its command line by then.
 */
static void load_next(struct guest_line *g)
{
	clock_out(g);
	rig_tap(!rig_kexec_file(),
		"lu_vmbench: the next kernel loaded before the VM stops");
}

static void clock_in(void)
{
	struct kexec_tl_record r;
	unsigned long long c0;
	long long s0;
	long ns0;
	char val[64];
	double ms, t;
	struct timeval tv;

	if (!rig_param("rig.lu_vmb_clock", val, sizeof(val)) ||
	    sscanf(val, "%lld.%ld:%llu", &s0, &ns0, &c0) != 3 ||
	    kclock_reboot(&r) ||
	    (ms = kclock_ms(c0, kclock(), r.in_khz)) < 0) {
		rig_tap(0, "lu_vmbench: wall clock carried across the reboot");
		return;
	}
	t = s0 + ns0 / 1e9 + ms / 1e3;
	tv.tv_sec = (time_t)t;
	tv.tv_usec = (suseconds_t)((t - tv.tv_sec) * 1e6);
	rig_tap(!settimeofday(&tv, NULL),
		"lu_vmbench: wall clock carried across the reboot (%.0f ms later on the kexec clock)",
		ms);
}

static void after(struct guest_line *g)
{
	unsigned long pass;
	long gap;
	char val[64];

	if (!rig_param("rig.lu_vmb_last", val, sizeof(val)) ||
	    sscanf(val, "%lu:%ld", &pass, &gap) != 2) {
		rig_tap(0, "lu_vmbench: the guest's last line before the reboot");
		return;
	}
	int ok = guest_wait_pass(serial, pass + 2, 1800, g);

	rig_tap(ok && !g->bad,
		"lu_vmbench: the guest carries on (pass %lu, was %lu), %lu bad words (ShmemHugePages %ld MiB)",
		g->pass, pass, g->bad, rig_meminfo("ShmemHugePages") >> 20);
	rig_log("gen=%d guest_pause_ms=%ld (its RTC against its TSC)", rig.gen,
		g->gap - gap);
}

void scenario_lu_vmbench(void)
{
	long mib = rig_param_long("rig.lu_vmb", 0);
	char chardev[96], size[16];
	struct guest_line g = { 0 };

	if (!mib || rig_mount_vm_usr("lu_vmbench"))
		return;
	setenv("KHOVM_DIR", VM_DIR, 1);
	/* a VM host's setting: 2 MiB folios where QEMU madvises guest RAM */
	rig_tap(!rig_write_file(THP_KNOB, "advise"),
		"lu_vmbench: shmem_enabled=advise");
	if (rig.gen == 1) {
		char *start[] = { RIG_KHOVM, "start", NAME, size, "--",
				  "-accel", "tcg,tb-size=32", "-display", "none",
				  "-nodefaults", "-chardev", chardev,
				  "-serial", "chardev:s0",
				  "-kernel", RIG_GUEST, NULL };
		static char out[4096];
		int ret;

		snprintf(size, sizeof(size), "%ld", mib);
		snprintf(chardev, sizeof(chardev),
			 "file,id=s0,path=%s,append=on", serial);
		ret = rig_run(start, out, sizeof(out));
		rig_tap(!ret, "lu_vmbench: khovm start: a %ld MiB guest (%s)",
			mib, out);
		if (ret)
			return;
		ret = guest_wait_pass(serial, 1, 1800, &g);
		rig_tap(ret && !g.bad,
			"lu_vmbench: the guest filled and checked its RAM (ShmemHugePages %ld MiB)",
			rig_meminfo("ShmemHugePages") >> 20);
		load_next(&g);
		if (khovm("khovm save-to " DISK ": the whole VM to the disk",
			  "save-to", DISK, NAME))
			return;
	} else if (rig.gen == 2) {
		clock_in();
		if (khovm("khovm restore-from " DISK ": the VM read back",
			  "restore-from", DISK, NULL))
			return;
		after(&g);
		load_next(&g);
		if (khovm("khovm save: the VM kept by live update", "save",
			  NULL, NULL))
			return;
	} else {
		clock_in();
		if (khovm("khovm restore: the VM retrieved and resumed",
			  "restore", "--expect", NAME))
			return;
		after(&g);
	}
}
