// SPDX-License-Identifier: GPL-2.0
/*
 * harden.c - the rig's checks of the handover's edge cases: what the
 * kernel's test_kho_harden reports (debugfs kho_harden/status), and
 * user blobs whose data is not 8-byte aligned in the write.
 *
 * Each check runs when its kernel parameter is on the command line:
 *   test_kho_harden.refusals=1   gen 1: every preserve the next kernel
 *                                would refuse got its errno (rig.hole=1:
 *                                the VM has a hole in RAM, so the hole
 *                                case must not be skipped)
 *   test_kho_harden.race=N       gen 2 on: restores racing the release
 *                                either failed or got intact pages
 *   test_kho_harden.early=1      gen 2 on: a restore from an
 *                                early_initcall was refused
 *   test_kho_harden.zones=1      gen 1: a block across a zone boundary
 *                                was preserved; gen 2 on: restoring it
 *                                gave each zone its own pages
 * and rig knobs:
 *   rig.editkexec=N   gen 1: N threads a CPU edit the state tree until
 *                     the kexec reboot stops them
 *   rig.fdtnames=1    gen 1: a valid FDT blob is accepted by out/add
 *                     under names of every length modulo 8
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig.h"

#define HARDEN	"/sys/kernel/debug/kho_harden/status"

static char status[4096];

static void refusals(void)
{
	char hole[16];
	long inner = kv_long(status, "refuse_overlap_inner", 0);
	long outer = kv_long(status, "refuse_overlap_outer", 0);
	long scratch = kv_long(status, "refuse_scratch", 0);

	rig_tap(inner == -EEXIST,
		"preserving a page inside a preserved order-2 folio: %ld (want -EEXIST)",
		inner);
	rig_tap(outer == -EEXIST,
		"preserving an order-2 block over a preserved page: %ld (want -EEXIST)",
		outer);
	rig_tap(scratch == -EADDRNOTAVAIL,
		"preserving a scratch page: %ld (want -EADDRNOTAVAIL)", scratch);
	if (!kv_get(status, "refuse_hole", hole, sizeof(hole)))
		strcpy(hole, "?");
	if (!strcmp(hole, "skip") && !rig_param_long("rig.hole", 0))
		rig_log("gen=%d no hole in RAM: hole case skipped", rig.gen);
	else
		rig_tap(strtol(hole, NULL, 10) == -EFAULT,
			"preserving a run across a hole in RAM: %s (want -EFAULT)",
			hole);
}

static void race(void)
{
	long total, restored, failed, bad;

	/* the thread may still be restoring when /init starts */
	for (int i = 0; i < 100; i++) {
		if (rig_read_file(HARDEN, status, sizeof(status) - 1) < 0 ||
		    kv_long(status, "race_done", 0))
			break;
		usleep(100000);
	}
	total = kv_long(status, "race_total", 0);
	restored = kv_long(status, "race_restored", -1);
	failed = kv_long(status, "race_failed", -1);
	bad = kv_long(status, "race_bad", -1);
	rig_tap(total > 0 && kv_long(status, "race_done", 0) &&
		kv_long(status, "race_waited", 0),
		"restores raced the release of unclaimed memory (%ld pages)",
		total);
	rig_tap(bad == 0 && restored + failed == total,
		"every restore racing the release failed cleanly or got an intact page: %ld restored, %ld refused, %ld bad",
		restored, failed, bad);
}

static void early(void)
{
	char v[16];

	if (!kv_get(status, "early_restore", v, sizeof(v)))
		strcpy(v, "not run");
	rig_tap(!strcmp(v, "refused"),
		"a restore before deferred struct page init is done: %s (want refused)",
		v);
}

static void zones(void)
{
	char d[64], w[64];

	if (rig.gen > 1) {
		if (!kv_get(status, "zones_delta", d, sizeof(d)))
			strcpy(d, "not restored");
		if (!kv_get(status, "zones_want", w, sizeof(w)))
			strcpy(w, "?");
		rig_tap(!strcmp(d, w) && !strchr(w, '?') &&
			!strstr(w, " 0") && w[0] != '0',
			"a restored block across a zone boundary grew each zone's managed pages by its own pages: %s (want %s)",
			d, w);
	}
	rig_tap(kv_long(status, "zones_prepared", -1) == 0,
		"preserved a block across a zone boundary: %ld",
		kv_long(status, "zones_prepared", -1));
}

static void edit_during_kexec(long n)
{
	char arg[8];

	snprintf(arg, sizeof(arg), "%ld", n);
	rig_tap(!rig_write_file("/sys/kernel/debug/kho_harden/edit", arg),
		"started %ld state tree editors a CPU, running through the kexec",
		n);
	usleep(200000);
}

/* The smallest valid FDT: an empty root node. Big-endian words. */
static size_t empty_fdt(unsigned char *p)
{
	static const uint32_t w[] = {
		0xd00dfeed, 72, 56, 72, 40, 17, 16, 0, 0, 16,	/* header */
		0, 0, 0, 0,					/* rsvmap end */
		1, 0, 2, 9,		/* begin "", end node, end */
	};
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		p[4 * i] = w[i] >> 24;
		p[4 * i + 1] = w[i] >> 16;
		p[4 * i + 2] = w[i] >> 8;
		p[4 * i + 3] = w[i];
	}
	return 4 * i;
}

static void fdt_names(void)
{
	char *rm[] = { "/bin/khoctl", "remove", NULL, NULL };
	unsigned char fdt[128];
	char name[16], out[256], buf[256];
	size_t size = empty_fdt(fdt), len;
	int ok = 0, fd;

	for (len = 1; len <= 8; len++) {
		memcpy(name, "fdtnames", len);
		name[len] = '\0';
		snprintf(buf, sizeof(buf), "%s\n", name);
		memcpy(buf + len + 1, fdt, size);
		fd = open("/sys/kernel/debug/kho/out/add", O_WRONLY);
		if (fd >= 0 && write(fd, buf, len + 1 + size) ==
				(ssize_t)(len + 1 + size)) {
			ok++;
			rm[2] = name;
			rig_run(rm, out, sizeof(out));
		} else {
			rig_log("gen=%d out/add of a valid FDT as \"%s\": %s",
				rig.gen, name, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	rig_tap(ok == 8,
		"a valid FDT blob is accepted under names of 1 to 8 characters: %d of 8",
		ok);
}

void scenario_harden(void)
{
	char v[16];
	int have = rig_read_file(HARDEN, status, sizeof(status) - 1) >= 0;

	if (rig_param("test_kho_harden.refusals", v, sizeof(v)) &&
	    rig.gen == 1)
		have ? refusals() : rig_tap(0, "read %s", HARDEN);
	if (rig_param("test_kho_harden.race", v, sizeof(v)) && rig.gen > 1)
		have ? race() : rig_tap(0, "read %s", HARDEN);
	if (rig_param("test_kho_harden.early", v, sizeof(v)) && rig.gen > 1)
		have ? early() : rig_tap(0, "read %s", HARDEN);
	if (rig_param("test_kho_harden.zones", v, sizeof(v)))
		have ? zones() : rig_tap(0, "read %s", HARDEN);
	if (rig_param("rig.fdtnames", v, sizeof(v)) && rig.gen == 1)
		fdt_names();
	if (rig_param_long("rig.editkexec", 0) > 0 && rig.gen == 1)
		edit_during_kexec(rig_param_long("rig.editkexec", 0));
}
