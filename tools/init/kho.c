// SPDX-License-Identifier: GPL-2.0
/*
 * kho.c - the rig's KHO scenario: check what the kernel and the chain
 * test (CONFIG_TEST_KEXEC_HANDOVER) report through debugfs.
 *
 * Command line knobs (besides the rig's own):
 *   rig.expect=accepted|refused|none   what this generation's kernel
 *                                       must have done with the handover
 *                                       (default: none in gen 1, then
 *                                       accepted)
 *   rig.expect_reason=WORDS            a word the refusal reason contains
 *   rig.datagen=N                      the test data must have lived in N
 *                                       kernels (default: this generation)
 *   rig.expect_error=WORD              the chain test must report an
 *                                       error containing WORD
 *   rig.corrupt=WHAT                   before kexec, damage the handover
 *                                       (debugfs kho/debug_corrupt)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig.h"

static char kho[4096], test[4096], iomem[16384];

/* The kernel image's physical range, "Kernel code" to "Kernel bss" (or data). */
static int kernel_range(unsigned long *start, unsigned long *end)
{
	unsigned long a, b;
	char *line;

	*start = *end = 0;
	if (rig_read_file("/proc/iomem", iomem, sizeof(iomem) - 1) < 0)
		return -1;
	for (line = strtok(iomem, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, " %lx-%lx", &a, &b) != 2)
			continue;
		if (strstr(line, ": Kernel code"))
			*start = a;
		/* x86 lists the bss, arm64 only code and data */
		if ((strstr(line, ": Kernel bss") ||
		     strstr(line, ": Kernel data")) && b + 1 > *end)
			*end = b + 1;
	}
	return *start && *end > *start ? 0 : -1;
}

/*
 * Whether [start, end) lies in the scratch areas kho/status lists
 * (adjacent areas count as one).
 */
static int in_listed_scratch(unsigned long start, unsigned long end)
{
	unsigned long n = kv_long(kho, "scratch_areas", 0), a, sz;
	unsigned int i;
	int moved = 1;

	while (start < end && moved) {
		moved = 0;
		for (i = 0; i < n && start < end; i++) {
			if (kv_scratch(kho, i, &a, &sz))
				return 0;
			if (start >= a && start < a + sz) {
				start = a + sz;
				moved = 1;
			}
		}
	}
	return start >= end;
}

/*
 * The type of the boot's setup_data entry whose payload starts with the
 * handover magic "KHOSETUP", or -1 when there is none (cold boot,
 * kexec_load()).
 */
static long handover_setup_type(void)
{
	char path[80], buf[24];
	unsigned long long magic;
	int i, n;

	for (i = 0; i < 32; i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/boot_params/setup_data/%d/data", i);
		if (rig_read_file(path, &magic, sizeof(magic)) !=
		    (int)sizeof(magic) || magic != 0x5055544553484f4bULL)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/boot_params/setup_data/%d/type", i);
		n = rig_read_file(path, buf, sizeof(buf) - 1);
		if (n <= 0)
			return -1;
		buf[n] = '\0';
		return strtol(buf, NULL, 0);
	}
	return -1;
}

int scenario_kho(void)
{
	char state[32], want[32], reason[96], err[96], handover[8];
	long gen, restored, expect, bad, missing, hits, checked, outside;

	if (rig_read_file("/sys/kernel/debug/kho/status", kho,
			  sizeof(kho) - 1) < 0 ||
	    rig_read_file("/sys/kernel/debug/kho_test/status", test,
			  sizeof(test) - 1) < 0) {
		rig_tap(0, "debugfs kho/status and kho_test/status readable");
		return -1;
	}
	scenario_user();
	scenario_harden();
	scenario_liveupdate();
	scenario_lu_memfd();
	scenario_lu_lazy();
	scenario_lu_hole();
	scenario_lu_race();
	scenario_lu_damage();
	scenario_lu_swap();
	scenario_lu_nomem();
	scenario_lu_rules();
	scenario_lu_dio();
	scenario_lu_huge();
	scenario_lu_hbench();
	scenario_lu_vm();
	scenario_lu_vmbench();
	if (!rig_param("rig.expect", want, sizeof(want)))
		strcpy(want, rig.gen == 1 ? "none" : "accepted");
	kv_get(kho, "incoming", state, sizeof(state));
	if (!kv_get(kho, "incoming_reason", reason, sizeof(reason)))
		strcpy(reason, "-");
	rig_tap(!strcmp(state, want), "handover %s (expected %s; reason: %s)",
		state, want, reason);
	if (!strcmp(want, "refused")) {
		char r[64];

		if (rig_param("rig.expect_reason", r, sizeof(r))) {
			/* the command line cannot hold spaces: '_' stands for one */
			for (char *c = r; *c; c++)
				if (*c == '_')
					*c = ' ';
			rig_tap(strstr(reason, r) != NULL,
				"refusal reason mentions \"%s\"", r);
		}
	}

	{
		unsigned long ks, ke;
		int found = !kernel_range(&ks, &ke);

		/* checked from outside: /proc/iomem against kho/status */
		if (!strcmp(state, "accepted"))
			rig_tap(found && in_listed_scratch(ks, ke),
				"kernel image 0x%lx-0x%lx inside the scratch it was handed",
				ks, ke);
		rig_log("gen=%d kho kernel_phys=0x%lx", rig.gen, ks);

		/* what the decompressor says it did, against /proc/iomem */
		char kaslr[16] = "none", kaddr[32] = "0";

		kv_get(kho, "incoming_kaslr", kaslr, sizeof(kaslr));
		kv_get(kho, "incoming_kaslr_addr", kaddr, sizeof(kaddr));
		if (strcmp(kaslr, "none"))
			rig_tap(found && strtoul(kaddr, NULL, 0) == ks,
				"decompressor's report (%s, %ld places, %s) names the kernel's place 0x%lx",
				kaslr, kv_long(kho, "incoming_kaslr_slots", -1),
				kaddr, ks);
		rig_log("gen=%d kho kaslr=%s kaslr_slots=%ld kaslr_addr=%s",
			rig.gen, kaslr,
			kv_long(kho, "incoming_kaslr_slots", -1), kaddr);
	}

	{
		long type = handover_setup_type();

		/*
		 * Mainline uses SETUP_NONE..SETUP_KEXEC_KHO (10), the last for
		 * another payload, and bit 31 marks SETUP_INDIRECT entries: a
		 * mainline kernel must see ours as unknown and skip it.
		 */
		if (type >= 0)
			rig_tap(type > 10 && !(type & 0x80000000L),
				"handover setup_data type 0x%lx is none mainline uses (0..10, SETUP_INDIRECT)",
				type);
	}

	outside = kv_long(kho, "debug_alloc_outside_scratch", -1);
	rig_tap(outside == 0, "no early allocation outside scratch (%ld)",
		outside);

	kv_get(test, "handover", handover, sizeof(handover));
	kv_get(test, "error", err, sizeof(err));
	if (rig_param("rig.expect_error", reason, sizeof(reason))) {
		rig_tap(strstr(err, reason) != NULL,
			"chain test reports the damage: %s", err);
		return 0;
	}
	gen = kv_long(test, "gen", -1);
	restored = kv_long(test, "restored", -1);
	expect = kv_long(test, "expect_folios", -1);
	bad = kv_long(test, "bad_order", -1) + kv_long(test, "bad_data", -1);
	missing = kv_long(test, "missing", -1);
	if (!strcmp(want, "accepted")) {
		rig_tap(!strcmp(handover, "yes"), "test data handed over");
		rig_tap(gen == rig_param_long("rig.datagen", rig.gen),
			"test data is of generation %ld", gen);
		rig_tap(restored == expect && !missing &&
			(expect > 0 || rig_param_long("test_kho.size", 1) == 0),
			"restored %ld of %ld folios, %ld missing", restored,
			expect, missing);
		rig_tap(kv_long(test, "run_ok", 0) == 1,
			"kho_restore_pages() gave back a run of 37 pages, every byte checked");
		rig_tap(bad == 0, "every order and byte verified (%ld bytes, %ld bad folios)",
			kv_long(test, "verified_bytes", -1), bad);
		hits = kv_long(test, "alloc_hits", -1);
		checked = kv_long(test, "alloc_checked", -1);
		if (kv_long(test, "check_alloc", 1))
			rig_tap(hits == 0 && checked > 1000,
			"allocator never hands out preserved pages (%ld pages allocated, %ld preserved)",
			checked, hits);
		rig_log("gen=%d kho restored=%ld verified_bytes=%ld verify_ms=%ld",
			rig.gen, restored, kv_long(test, "verified_bytes", -1),
			kv_long(test, "verify_ms", -1));
	} else {
		rig_tap(!strcmp(handover, "no"), "test sees no handover (%s)",
			handover);
	}
	{
		char meminfo[2048], mt[32], cma[32] = "0";

		if (rig_read_file("/proc/meminfo", meminfo,
				  sizeof(meminfo) - 1) > 0 &&
		    kv_get(meminfo, "MemTotal", mt, sizeof(mt))) {
			kv_get(meminfo, "CmaFree", cma, sizeof(cma));
			rig_log("gen=%d kho memtotal_kb=%ld cmafree_kb=%ld mode=%s",
				rig.gen, strtol(mt, NULL, 10),
				strtol(cma, NULL, 10),
				rig_param("kho_mode", state, 16) ? state :
								  "bitmap");
		}
		rig_log("gen=%d kho keep_ns=%ld mem_init_ns=%ld", rig.gen,
			kv_long(kho, "incoming_keep_ns", -1),
			kv_long(kho, "incoming_mem_init_ns", -1));
	}
	if (strcmp(err, "none") && !(!strcmp(err, "KHO is off") &&
				     rig_param("rig.kho_off", state, 8))) {
		rig_tap(0, "chain test error: %s", err);
	} else if (strcmp(err, "KHO is off")) {
		rig_tap(kv_long(test, "next_folios", 0) > 0 ||
			rig_param_long("test_kho.size", 1) == 0,
			"preserved %ld folios (%ld bytes) for the next kernel",
			kv_long(test, "next_folios", 0),
			kv_long(test, "next_bytes", 0));
		rig_log("gen=%d kho preserved=%ld bytes=%ld", rig.gen,
			kv_long(test, "next_folios", 0),
			kv_long(test, "next_bytes", 0));
	}
	return 0;
}
