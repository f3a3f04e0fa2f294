// SPDX-License-Identifier: GPL-2.0
/*
 * timeline.c - "khoctl timeline": where the time of each kexec reboot of
 * this chain went, from the history page the kernels pass along
 * (/sys/kernel/kexec_timeline, layout in <linux/kexec_timeline.h>).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kexec_timeline.h>

#include "khoctl.h"

static const char *const point_names[KEXEC_TL_POINTS] = {
	"reboot", "devices", "reloc_start", "reloc_end", "purgatory",
	"purgatory_end", "start_kernel", "mm", "init",
};

/* "%.3f" ms from point @a to @b, or "-" when either was not recorded. */
static const char *span(char *buf, size_t len, const __u64 *t, int a,
			int b, uint32_t khz)
{
	if (!t[a] || !t[b] || !khz)
		return "-";
	snprintf(buf, len, "%.3f",
		 t[b] < t[a] ? 0.0 : (double)(t[b] - t[a]) / khz);
	return buf;
}

static void print_record(const struct kexec_tl_record *r, bool points)
{
	const __u64 *t = r->t;
	uint32_t k = r->in_khz;
	char b[8][24];
	int i;

	printf("%4u %-4s %-3s %9s %8s %9s %10s %9s %8s %9s %10s %12llu %13llu %11llu\n",
	       r->gen, r->flags & KEXEC_TL_FILE ? "file" : "load",
	       r->flags & KEXEC_TL_KHO ? "on" : "off",
	       span(b[0], 24, t, KEXEC_TL_REBOOT, KEXEC_TL_DEVICES, k),
	       span(b[1], 24, t, KEXEC_TL_DEVICES, KEXEC_TL_RELOC_START, k),
	       span(b[2], 24, t, KEXEC_TL_RELOC_START, KEXEC_TL_RELOC_END, k),
	       span(b[3], 24, t, KEXEC_TL_RELOC_END, KEXEC_TL_PURGATORY_END, k),
	       span(b[4], 24, t, t[KEXEC_TL_PURGATORY_END] ?
			KEXEC_TL_PURGATORY_END : t[KEXEC_TL_RELOC_END] ?
			KEXEC_TL_RELOC_END : KEXEC_TL_DEVICES,
		    KEXEC_TL_START_KERNEL, k),
	       span(b[5], 24, t, KEXEC_TL_START_KERNEL, KEXEC_TL_MM, k),
	       span(b[6], 24, t, KEXEC_TL_MM, KEXEC_TL_INIT, k),
	       span(b[7], 24, t, KEXEC_TL_REBOOT, KEXEC_TL_INIT, k),
	       (unsigned long long)r->reloc_pages * KHO_PAGE_SIZE,
	       (unsigned long long)r->planned_pages * KHO_PAGE_SIZE,
	       (unsigned long long)r->hash_bytes);
	if (!points)
		return;
	printf("     points (ms after reboot, clock %u kHz):", k);
	for (i = 0; i < KEXEC_TL_POINTS; i++)
		printf(" %s=%s", point_names[i],
		       span(b[0], 24, t, KEXEC_TL_REBOOT, i, k));
	printf("\n");
}

/**
 * cmd_timeline() - khoctl timeline [--points]
 * @argc: argument count
 * @argv: arguments
 *
 * Return: 0, or exits with a message.
 */
int cmd_timeline(int argc, char **argv)
{
	struct kexec_tl_history *h;
	char path[PATH_MAX];
	bool points = false;
	uint8_t *buf;
	size_t len;
	unsigned int i;
	int err;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--points"))
			points = true;
		else
			usage_error("timeline: unexpected argument '%s'",
				    argv[i]);
	}
	snprintf(path, sizeof(path), "%s/kernel/kexec_timeline", sysfs_dir());
	err = read_all(path, KHO_PAGE_SIZE, &buf, &len);
	if (err == -ENOENT)
		die("%s missing (kernel without KHO, or no clock to measure with)",
		    path);
	if (err)
		die("%s: %s", path, strerror(-err));
	h = (struct kexec_tl_history *)buf;
	if (len < sizeof(*h) || h->magic != KEXEC_TL_HIST_MAGIC ||
	    h->version != KEXEC_TL_VERSION || h->nr >= KEXEC_TL_RECORDS)
		die("%s: not a version %d kexec timeline", path,
		    KEXEC_TL_VERSION);
	printf("this kernel: generation %u; %u kexec reboot%s recorded\n",
	       h->gen, h->nr, h->nr == 1 ? "" : "s");
	if (!h->nr) {
		free(buf);
		return 0;
	}
	printf("%4s %-4s %-3s %9s %8s %9s %10s %9s %8s %9s %10s %12s %13s %11s\n",
	       "gen", "via", "kho", "shutdown", "handoff", "reloc",
	       "purgatory", "boot", "mm", "init", "total(ms)", "reloc_bytes",
	       "planned_bytes", "hash_bytes");
	for (i = 0; i < h->nr; i++)
		print_record(&h->rec[i], points);
	free(buf);
	return 0;
}
