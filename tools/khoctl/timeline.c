// SPDX-License-Identifier: GPL-2.0
/*
 * timeline.c - "khoctl timeline": where the time of each kexec reboot of
 * this chain went, from the history page the kernels pass along
 * (/sys/kernel/kexec_timeline, layout in <linux/kexec_timeline.h>);
 * as a table, or with --json as schema khoctl-timeline-v1 (see json.c).
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

/* ms from point @a to @b, or -1 when either was not recorded */
static double span_ms(const __u64 *t, int a, int b, uint32_t khz)
{
	if (!t[a] || !t[b] || !khz)
		return -1;
	return t[b] < t[a] ? 0.0 : (double)(t[b] - t[a]) / khz;
}

/* the point the boot phase starts from: the last one before the jump */
static int boot_from(const __u64 *t)
{
	return t[KEXEC_TL_PURGATORY_END] ? KEXEC_TL_PURGATORY_END :
	       t[KEXEC_TL_RELOC_END] ? KEXEC_TL_RELOC_END : KEXEC_TL_DEVICES;
}

/* "%.3f" ms from point @a to @b, or "-" when either was not recorded. */
static const char *span(char *buf, size_t len, const __u64 *t, int a,
			int b, uint32_t khz)
{
	double ms = span_ms(t, a, b, khz);

	if (ms < 0)
		return "-";
	snprintf(buf, len, "%.3f", ms);
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
	       span(b[4], 24, t, boot_from(t), KEXEC_TL_START_KERNEL, k),
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

static void json_record(const struct kexec_tl_record *r)
{
	static const struct {
		const char *name;
		int a, b;
	} phases[] = {
		{ "shutdown", KEXEC_TL_REBOOT, KEXEC_TL_DEVICES },
		{ "handoff", KEXEC_TL_DEVICES, KEXEC_TL_RELOC_START },
		{ "reloc", KEXEC_TL_RELOC_START, KEXEC_TL_RELOC_END },
		{ "purgatory", KEXEC_TL_RELOC_END, KEXEC_TL_PURGATORY_END },
		{ "boot", -1, KEXEC_TL_START_KERNEL },
		{ "mm", KEXEC_TL_START_KERNEL, KEXEC_TL_MM },
		{ "init", KEXEC_TL_MM, KEXEC_TL_INIT },
		{ "total", KEXEC_TL_REBOOT, KEXEC_TL_INIT },
	};
	const __u64 *t = r->t;
	unsigned int i;

	json_open('{');
	json_key("gen");
	json_u64(r->gen);
	json_key("via");
	json_str(r->flags & KEXEC_TL_FILE ? "kexec_file_load" : "kexec_load");
	json_key("kho");
	json_bool(r->flags & KEXEC_TL_KHO);
	json_key("clock_khz");
	json_u64(r->in_khz);
	json_key("phases_ms");
	json_open('{');
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		json_key(phases[i].name);
		json_double(span_ms(t, phases[i].a < 0 ? boot_from(t) :
				    phases[i].a, phases[i].b, r->in_khz));
	}
	json_close('}');
	json_key("points_ms");
	json_open('{');
	for (i = 0; i < KEXEC_TL_POINTS; i++) {
		json_key(point_names[i]);
		json_double(span_ms(t, KEXEC_TL_REBOOT, i, r->in_khz));
	}
	json_close('}');
	json_key("reloc_bytes");
	json_u64((uint64_t)r->reloc_pages * KHO_PAGE_SIZE);
	json_key("planned_bytes");
	json_u64((uint64_t)r->planned_pages * KHO_PAGE_SIZE);
	json_key("hash_bytes");
	json_u64(r->hash_bytes);
	json_close('}');
}

/**
 * kexec_generation() - this kernel's generation in its kexec chain
 *
 * Return: 1 after a cold boot, 2 after one kexec, ...; -1 when the
 * kernel has no (valid) kexec timeline to tell.
 */
int kexec_generation(void)
{
	struct kexec_tl_history *h;
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int gen = -1;

	snprintf(path, sizeof(path), "%s/kernel/kexec_timeline", sysfs_dir());
	if (read_all(path, KHO_PAGE_SIZE, &buf, &len))
		return -1;
	h = (struct kexec_tl_history *)buf;
	if (len >= sizeof(*h) && h->magic == KEXEC_TL_HIST_MAGIC &&
	    h->version == KEXEC_TL_VERSION && h->gen >= 1)
		gen = h->gen;
	free(buf);
	return gen;
}

/**
 * cmd_timeline() - khoctl timeline [--points|--json]
 * @argc: argument count
 * @argv: arguments
 *
 * Return: 0, or exits with a message.
 */
int cmd_timeline(int argc, char **argv)
{
	struct kexec_tl_history *h;
	char path[PATH_MAX];
	bool points = false, json = false;
	uint8_t *buf;
	size_t len;
	unsigned int i;
	int err;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--points"))
			points = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
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
	if (json) {
		json_schema("khoctl-timeline-v1");
		json_key("generation");
		json_u64(h->gen);
		json_key("records");
		json_open('[');
		for (i = 0; i < h->nr; i++)
			json_record(&h->rec[i]);
		json_close(']');
		json_close('}');
		free(buf);
		return 0;
	}
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
