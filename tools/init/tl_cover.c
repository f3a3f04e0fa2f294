// SPDX-License-Identifier: GPL-2.0
/*
 * tl_cover.c - a kexec_load() segment over the timeline's history page:
 * rig.loader=cover, with kho=off and kexec_tl_debug_high=1 (x86).
 *
 * kexec_load() lets user space place a segment anywhere in RAM, and with
 * KHO off nothing keeps it off the history page, where relocate_kernel
 * stamps the reboot after its copy. Here Debian's kexec-tools loads the
 * next kernel with --mem-max chosen so that the initrd (placed top-down
 * right under the kernel) covers the page. Stamping it would break the
 * SHA-256 that kexec-tools' purgatory checks (the reboot hangs) or, with
 * no checks, boot a corrupt initrd. The next generation checks the
 * initrd's bytes against the sum this one passes on its command line
 * (rig.initrd_sum), and that the kernel said it would not record it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig.h"

#define TL_PAGE_FILE	"/sys/kernel/debug/kexec_timeline_page"
#define INITRD		"/sys/firmware/initrd"

/* FNV-1a over the initrd, and its size */
static uint64_t initrd_sum(uint64_t *size)
{
	static uint8_t buf[1 << 16];
	uint64_t h = 0xcbf29ce484222325ULL, n = 0;
	int fd = open(INITRD, O_RDONLY);
	ssize_t r, i;

	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < r; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		n += r;
	}
	close(fd);
	*size = n;
	return r < 0 ? 0 : h;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* the bzImage's init_size and kernel_alignment (boot protocol header) */
static int bz_sizes(uint64_t *init_size, uint64_t *align)
{
	uint8_t hdr[0x280];
	int fd = open(RIG_KERNEL, O_RDONLY), ok;

	ok = fd >= 0 && pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	     !memcmp(hdr + 0x202, "HdrS", 4);
	if (fd >= 0)
		close(fd);
	if (!ok)
		return -1;
	*align = le32(hdr + 0x230);
	*init_size = (le32(hdr + 0x260) + 4095) & ~4095ULL;
	return *align ? 0 : -1;
}

/**
 * rig_kexec_cover() - load the next generation with kexec-tools, its
 * initrd over this kernel's history page
 * @next: the next generation's command line
 * @len: room in @next
 *
 * Return: 0, or -1 with a failed TAP line.
 */
int rig_kexec_cover(char *next, size_t len)
{
	static char tmp[4096], append[4200], out[1 << 20], mmax[32], sum[64];
	char *argv[] = { "/sbin/kexec", "-d", "-l", RIG_KERNEL,
			 "--initrd=" INITRD, append, "--mem-min=0x1000000",
			 mmax, NULL };
	uint64_t page = 0, ksize, align, isize = 0, h, kstart, mem = 0;
	char buf[64], *p;
	int ret, covered = 0;

	if (rig_read_file(TL_PAGE_FILE, buf, sizeof(buf) - 1) < 0 ||
	    sscanf(buf, "%" SCNx64, &page) != 1 || bz_sizes(&ksize, &align) ||
	    !(h = initrd_sum(&isize))) {
		rig_tap(0, "tl_cover: history page, bzImage header and initrd: %s",
			strerror(errno));
		return -1;
	}
	rig_tap(page >= (256UL << 20),
		"tl_cover: the history page is at 0x%" PRIx64 " (kexec_tl_debug_high: at or above 256 MiB)",
		page);
	/* the kernel goes top-down under --mem-max, the initrd right under it */
	kstart = (page + isize / 2 + align - 1) / align * align;
	snprintf(mmax, sizeof(mmax), "--mem-max=0x%" PRIx64, kstart + ksize - 1);
	snprintf(sum, sizeof(sum), "%" PRIx64 ":%" PRIu64, h, isize);
	memcpy(tmp, next, len < sizeof(tmp) ? len : sizeof(tmp));
	tmp[sizeof(tmp) - 1] = '\0';
	cmdline_set(next, len, tmp, "rig.via", "kexec-tools");
	memcpy(tmp, next, len < sizeof(tmp) ? len : sizeof(tmp));
	cmdline_set(next, len, tmp, "rig.loader", NULL);
	memcpy(tmp, next, len < sizeof(tmp) ? len : sizeof(tmp));
	cmdline_set(next, len, tmp, "rig.initrd_sum", sum);
	snprintf(append, sizeof(append), "--append=%s", next);
	rig_log("gen=%d tl_cover: page=0x%" PRIx64 " initrd=%" PRIu64 " kernel=%" PRIu64 " align=0x%" PRIx64 " %s",
		rig.gen, page, isize, ksize, align, mmax);
	ret = rig_run(argv, out, sizeof(out));
	/* kexec -d: "segment[N].mem   = 0x..." then "segment[N].memsz = 0x..." */
	for (p = strtok(out, "\n"); p; p = strtok(NULL, "\n")) {
		unsigned int i;
		uint64_t v;

		if (sscanf(p, "segment[%u].mem = %" SCNx64, &i, &v) == 2)
			mem = v;
		else if (sscanf(p, "segment[%u].memsz = %" SCNx64, &i, &v) == 2 &&
			 mem <= page && page < mem + v) {
			rig_log("gen=%d tl_cover: segment %u 0x%" PRIx64 "+0x%" PRIx64 " covers the history page",
				rig.gen, i, mem, v);
			covered = 1;
		}
	}
	rig_tap(ret == 0, "tl_cover: kexec -l with the initrd over the history page: exit %d",
		ret);
	rig_tap(covered, "tl_cover: a loaded segment covers the history page");
	return ret ? -1 : 0;
}

/* the next generation: its initrd is the one the previous loaded */
void scenario_tl_cover(void)
{
	char want[64], got[64];
	uint64_t isize = 0, h;

	if (!rig_param("rig.initrd_sum", want, sizeof(want)))
		return;
	h = initrd_sum(&isize);
	snprintf(got, sizeof(got), "%" PRIx64 ":%" PRIu64, h, isize);
	rig_tap(!strcmp(want, got),
		"tl_cover: the initrd loaded over the history page arrived intact (%s, want %s)",
		got, want);
}
