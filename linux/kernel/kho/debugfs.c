// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - KHO state for people and tests: /sys/kernel/debug/kho/.
 */

/**
 * DOC: KHO debugfs
 *
 * ``/sys/kernel/debug/kho/status`` (root only) shows, one ``key: value``
 * a line: whether KHO is on, the outgoing state tree's address, the
 * scratch areas, the incoming handover's state (``none``, ``accepted``
 * or ``refused``, with the reason), how much it preserved, how much
 * nobody restored, and the debug counters.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>

#include "internal.h"

static const char * const in_state[] = {
	[KHO_IN_NONE] = "none",
	[KHO_IN_PENDING] = "pending",
	[KHO_IN_ACCEPTED] = "accepted",
	[KHO_IN_REFUSED] = "refused",
};

static int status_show(struct seq_file *m, void *v)
{
	phys_addr_t root = kho_root_phys();
	unsigned int i;

	seq_printf(m, "enabled: %s\n", kho_is_enabled() ? "yes" : "no");
	seq_printf(m, "root: %pa\n", &root);
	seq_printf(m, "scratch_areas: %u\n", kho_nr_scratch);
	for (i = 0; i < kho_nr_scratch; i++)
		seq_printf(m, "scratch%u: 0x%llx 0x%llx\n", i,
			   kho_scratch[i].addr, kho_scratch[i].size);
	seq_printf(m, "incoming: %s\n", in_state[kho_in.state]);
	if (kho_in.state == KHO_IN_REFUSED)
		seq_printf(m, "incoming_reason: %s\n", kho_in.reason);
	seq_printf(m, "incoming_root: %pa\n", &kho_in.root);
	seq_printf(m, "incoming_preserved_pages: %lu\n", kho_in.pages);
	seq_printf(m, "incoming_tracker_pages: %lu\n", kho_in.nodes);
	seq_printf(m, "incoming_unclaimed_pages: %lu\n", kho_in.unclaimed);
	seq_printf(m, "debug_alloc_outside_scratch: %lu\n",
		   kho_stat_alloc_outside_scratch);
	seq_printf(m, "segments_refused: %lu\n", kho_stat_segments_refused);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

static int __init kho_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("kho", NULL);

	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	return 0;
}
late_initcall(kho_debugfs_init);
