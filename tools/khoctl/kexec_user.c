// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_user.c - "khoctl load --user": a KHO kexec through kexec_load(2).
 *
 * With kexec_load() user space decides where every segment goes, and the
 * kernel only checks (it refuses a segment outside scratch or over
 * preserved memory). This file does what a boot loader does for the
 * x86 64-bit boot protocol (Documentation/arch/x86/boot.rst):
 *
 * - parse the bzImage setup header;
 * - build struct boot_params: the image's setup header, the command line
 *   and initrd, the e820 map of the firmware, the ACPI RSDP;
 * - put the kernel (aligned to kernel_alignment, init_size long), the
 *   initrd, boot_params, the command line and a tiny entry stub one after
 *   the other inside one KHO scratch area, the largest that holds them;
 * - make the stub the image's entry: relocate_kernel jumps to it in
 *   64-bit mode on an identity map, and it jumps to startup_64 (the
 *   kernel's load address + 0x200) with %rsi = boot_params.
 *
 * The state tree reaches the next kernel as "kho_root=" on its command
 * line (load.c adds it); the scratch areas are in the tree.
 *
 * The parsing and placement code is plain C on byte buffers, usable and
 * tested on any host; only the final system call is x86_64 specific.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "khoctl.h"

#define XLF_KERNEL_64			(1 << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G	(1 << 1)
#define KEXEC_ARCH_X86_64		(62 << 16)

/* boot_params offsets (arch/x86/include/uapi/asm/bootparam.h) */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1	/* struct setup_header */
#define BP_HDR_MAX_END		0x290	/* edd_mbr_sig_buffer follows */
#define BP_E820_TABLE		0x2d0
#define BP_E820_ENTRY_SIZE	20

/* setup header offsets, in the image and in boot_params alike */
#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_HEADER		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_SETUP_DATA		0x250
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260
#define HDR_MIN_END		0x264	/* up to init_size: protocol 2.10+ */

#define ENTRY_64		0x200	/* startup_64 from the load address */
#define LOADER_UNDEFINED	0xff
#define SZ_4G			(1ULL << 32)
#define E820_READ_MAX		1024

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint64_t page_up(uint64_t x)
{
	return (x + KHO_PAGE_SIZE - 1) & ~(KHO_PAGE_SIZE - 1);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static double mib(uint64_t x)
{
	return (double)x / (1 << 20);
}

/**
 * bz_parse() - check and parse an x86_64 bzImage
 * @img: the file's bytes
 * @len: its size
 * @bz: filled in
 * @err: set to why it is refused
 *
 * Return: 0, or -1 with @err set.
 */
int bz_parse(const void *img, size_t len, struct bzimage *bz,
	     const char **err)
{
	const uint8_t *p = img;
	unsigned int sects;

	memset(bz, 0, sizeof(*bz));
	if (len < 1024 || len < HDR_MIN_END) {
		*err = "too small to be a bzImage";
		return -1;
	}
	if (get16(p + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(p + HDR_HEADER, "HdrS", 4)) {
		*err = "not a bzImage (no 0xaa55 boot flag and \"HdrS\" setup header)";
		return -1;
	}
	bz->version = get16(p + HDR_VERSION);
	if (bz->version < 0x020c) {
		*err = "boot protocol older than 2.12 (no 64-bit entry)";
		return -1;
	}
	bz->xloadflags = get16(p + HDR_XLOADFLAGS);
	if (!(bz->xloadflags & XLF_KERNEL_64)) {
		*err = "not a 64-bit kernel (no XLF_KERNEL_64 in xloadflags)";
		return -1;
	}
	sects = p[HDR_SETUP_SECTS] ? p[HDR_SETUP_SECTS] : 4;
	bz->setup_size = (sects + 1) * 512;
	if (bz->setup_size >= len) {
		*err = "truncated (no kernel after the setup code)";
		return -1;
	}
	bz->hdr_end = HDR_HEADER + p[HDR_JUMP + 1];
	if (bz->hdr_end < HDR_MIN_END || bz->hdr_end > BP_HDR_MAX_END) {
		*err = "setup header length out of range";
		return -1;
	}
	bz->kernel_alignment = get32(p + HDR_KERNEL_ALIGNMENT);
	bz->relocatable = p[HDR_RELOCATABLE];
	bz->init_size = get32(p + HDR_INIT_SIZE);
	bz->cmdline_size = get32(p + HDR_CMDLINE_SIZE);
	bz->initrd_addr_max = get32(p + HDR_INITRD_ADDR_MAX);
	bz->pref_address = get64(p + HDR_PREF_ADDRESS);
	bz->img = p;
	bz->len = len;
	bz->payload = p + bz->setup_size;
	bz->payload_len = len - bz->setup_size;
	if (!bz->init_size) {
		*err = "init_size is 0";
		return -1;
	}
	if (bz->relocatable && (!bz->kernel_alignment ||
				(bz->kernel_alignment & (bz->kernel_alignment - 1)))) {
		*err = "kernel_alignment is not a power of two";
		return -1;
	}
	if (!bz->relocatable && (bz->pref_address & (KHO_PAGE_SIZE - 1))) {
		*err = "not relocatable, and pref_address is not page aligned";
		return -1;
	}
	return 0;
}

static uint64_t seg(struct bz_plan *plan, const char *what, uint64_t *p,
		    uint64_t memsz)
{
	struct bz_segment *s = &plan->seg[plan->nr++];

	s->what = what;
	s->mem = *p;
	s->memsz = memsz;
	*p += memsz;
	return s->mem;
}

/* Lay everything out in [start, end): 0, or -1 if it does not fit */
static int place(const struct bzimage *bz, uint64_t start, uint64_t end,
		 size_t initrd_len, size_t cmdline_len, struct bz_plan *plan)
{
	uint64_t k, p, align, kmemsz;

	kmemsz = page_up(bz->init_size > bz->payload_len ? bz->init_size :
			 bz->payload_len);
	if (bz->relocatable) {
		align = bz->kernel_alignment < KHO_PAGE_SIZE ? KHO_PAGE_SIZE :
			bz->kernel_alignment;
		k = align_up(start, align);
		/* startup_64 moves a kernel below pref_address up to it */
		if (k < bz->pref_address)
			k = align_up(bz->pref_address, align);
	} else {
		k = bz->pref_address;
	}
	if (k < start || k >= end)
		return -1;
	plan->nr = 0;
	p = k;
	plan->kernel = seg(plan, "kernel", &p, kmemsz);
	plan->initrd_size = initrd_len;
	plan->initrd = initrd_len ?
		seg(plan, "initrd", &p, page_up(initrd_len)) : 0;
	plan->boot_params = seg(plan, "boot_params", &p, KHO_PAGE_SIZE);
	plan->cmdline = seg(plan, "cmdline", &p, page_up(cmdline_len));
	plan->entry = seg(plan, "entry stub", &p, KHO_PAGE_SIZE);
	plan->end = p;
	if (p > end || p < k)
		return -1;
	if (!(bz->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)) {
		if (p > SZ_4G)
			return -1;
		if (initrd_len &&
		    plan->initrd + initrd_len - 1 > bz->initrd_addr_max)
			return -1;
	}
	return 0;
}

/**
 * bz_plan() - place every segment inside one scratch area
 * @bz: the kernel
 * @st: KHO status, for the scratch areas
 * @initrd_len: size of the initrd, 0 for none
 * @cmdline_len: size of the command line with its NUL
 * @plan: filled in (segment buffers are left NULL)
 * @err: a message when nothing fits
 * @errlen: its size
 *
 * Areas are tried largest first.
 * Return: 0, or -1 with @err set.
 */
int bz_plan(const struct bzimage *bz, const struct kho_status *st,
	    size_t initrd_len, size_t cmdline_len, struct bz_plan *plan,
	    char *err, size_t errlen)
{
	unsigned int order[KHO_MAX_SCRATCH], i, j, t, n = st->nr_scratch;
	const struct kho_range *a;
	uint64_t kmemsz;

	memset(plan, 0, sizeof(*plan));
	if (!n) {
		snprintf(err, errlen, "no KHO scratch areas in the status file");
		return -1;
	}
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = 1; i < n; i++)
		for (j = i; j && st->scratch[order[j]].size >
			      st->scratch[order[j - 1]].size; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		a = &st->scratch[order[i]];
		if (a->addr + a->size < a->addr)
			continue;
		if (!place(bz, a->addr, a->addr + a->size, initrd_len,
			   cmdline_len, plan)) {
			plan->area = order[i];
			return 0;
		}
	}
	a = &st->scratch[order[0]];
	kmemsz = page_up(bz->init_size > bz->payload_len ? bz->init_size :
			 bz->payload_len);
	snprintf(err, errlen,
		 "no scratch area holds the kernel (%.1f MiB with init_size, aligned to 0x%x at or above 0x%llx), initrd (%.1f MiB) and 3 pages: the largest is %.1f MiB at 0x%llx; raise kho_scratch= on the next cold boot",
		 mib(kmemsz), bz->kernel_alignment,
		 (unsigned long long)bz->pref_address, mib(page_up(initrd_len)),
		 mib(a->size), (unsigned long long)a->addr);
	memset(plan, 0, sizeof(*plan));
	return -1;
}

/**
 * bz_boot_params() - fill the boot_params page ("zero page")
 * @bp: a 4096-byte page
 * @bz: the kernel
 * @plan: where everything goes
 * @map: the e820 memory map
 * @rsdp: physical address of the ACPI RSDP, or 0
 */
void bz_boot_params(uint8_t *bp, const struct bzimage *bz,
		    const struct bz_plan *plan, const struct e820_map *map,
		    uint64_t rsdp)
{
	unsigned int i;
	uint8_t *e;

	memset(bp, 0, KHO_PAGE_SIZE);
	memcpy(bp + BP_HDR, bz->img + BP_HDR, bz->hdr_end - BP_HDR);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	if (bz->hdr_end >= HDR_SETUP_DATA + 8)
		put64(bp + HDR_SETUP_DATA, 0);

	put32(bp + HDR_CMD_LINE_PTR, plan->cmdline);
	put32(bp + BP_EXT_CMD_LINE_PTR, plan->cmdline >> 32);
	put32(bp + HDR_RAMDISK_IMAGE, plan->initrd);
	put32(bp + BP_EXT_RAMDISK_IMAGE, plan->initrd >> 32);
	put32(bp + HDR_RAMDISK_SIZE, plan->initrd_size);
	put32(bp + BP_EXT_RAMDISK_SIZE, plan->initrd_size >> 32);

	bp[BP_E820_ENTRIES] = map->nr;
	for (i = 0; i < map->nr && i < E820_MAX_ZEROPAGE; i++) {
		e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
		put64(e, map->e[i].addr);
		put64(e + 8, map->e[i].size);
		put32(e + 16, map->e[i].type);
	}
	put64(bp + BP_ACPI_RSDP_ADDR, rsdp);
}

/**
 * bz_stub() - the 64-bit entry stub
 * @page: a 4096-byte page
 * @boot_params: physical address of boot_params, for %rsi
 * @entry: where to jump: startup_64, the kernel's load address + 0x200
 *
 * cli; movabs $boot_params, %rsi; movabs $entry, %rax; jmp *%rax.
 * A "hlt; jmp .-1" loop follows, never reached.
 */
void bz_stub(uint8_t *page, uint64_t boot_params, uint64_t entry)
{
	uint8_t *p = page;

	memset(page, 0, KHO_PAGE_SIZE);
	*p++ = 0xfa;				/* cli */
	*p++ = 0x48;				/* movabs $imm64, %rsi */
	*p++ = 0xbe;
	put64(p, boot_params);
	p += 8;
	*p++ = 0x48;				/* movabs $imm64, %rax */
	*p++ = 0xb8;
	put64(p, entry);
	p += 8;
	*p++ = 0xff;				/* jmp *%rax */
	*p++ = 0xe0;
	*p++ = 0xf4;				/* 1: hlt */
	*p++ = 0xeb;				/* jmp 1b */
	*p++ = 0xfd;
}

/**
 * e820_type() - e820 type of a /sys/firmware/memmap type string
 * @name: the string, without newline
 */
uint32_t e820_type(const char *name)
{
	if (!strcmp(name, "System RAM"))
		return 1;
	if (!strcmp(name, "Reserved"))
		return 2;
	if (!strcmp(name, "ACPI Tables"))
		return 3;
	if (!strcmp(name, "ACPI Non-volatile Storage"))
		return 4;
	return 2;
}

/* A small sysfs file without its trailing newline: 0 or -errno */
static int read_line(const char *path, char *buf, size_t len)
{
	uint8_t *b;
	size_t n;
	int err;

	err = read_all(path, 4096, &b, &n);
	if (err)
		return err;
	n = strcspn((char *)b, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, b, n);
	buf[n] = 0;
	free(b);
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct e820_entry *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int memmap_read(const char *dir, struct e820_entry *all,
		       unsigned int *nr)
{
	char path[PATH_MAX], start[64], end[64], type[128];
	unsigned long long s, e;
	struct dirent *de;
	DIR *d;
	int err = 0;

	*nr = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/start", dir, de->d_name);
		err = read_line(path, start, sizeof(start));
		snprintf(path, sizeof(path), "%s/%s/end", dir, de->d_name);
		if (!err)
			err = read_line(path, end, sizeof(end));
		snprintf(path, sizeof(path), "%s/%s/type", dir, de->d_name);
		if (!err)
			err = read_line(path, type, sizeof(type));
		if (err)
			break;
		s = strtoull(start, NULL, 0);
		e = strtoull(end, NULL, 0);
		if (e < s || e == ~0ULL)
			continue;
		if (*nr == E820_READ_MAX) {
			err = -E2BIG;
			break;
		}
		all[*nr].addr = s;
		all[*nr].size = e - s + 1;
		all[*nr].type = e820_type(type);
		(*nr)++;
	}
	closedir(d);
	return err;
}

/**
 * e820_read() - the firmware's memory map, for the next kernel
 * @sysfs: where sysfs is ("/sys")
 * @map: filled in, sorted by address
 *
 * From firmware/memmap (CONFIG_FIRMWARE_MEMMAP, what kexec-tools uses),
 * else from the e820 table the running kernel was booted with
 * (kernel/boot_params/data).
 *
 * Return: 0, -E2BIG for more than 128 entries, or -ENOENT.
 */
int e820_read(const char *sysfs, struct e820_map *map)
{
	struct e820_entry *all;
	unsigned int nr, i;
	uint8_t *bp = NULL;
	size_t len;
	int err;

	memset(map, 0, sizeof(*map));
	all = xmalloc(sizeof(*all) * E820_READ_MAX);
	snprintf(map->source, sizeof(map->source), "%s/firmware/memmap",
		 sysfs);
	err = memmap_read(map->source, all, &nr);
	if (!err && nr) {
		qsort(all, nr, sizeof(*all), cmp_entry);
		if (nr > E820_MAX_ZEROPAGE) {
			free(all);
			return -E2BIG;
		}
		memcpy(map->e, all, nr * sizeof(*all));
		map->nr = nr;
		free(all);
		return 0;
	}
	free(all);
	if (err == -E2BIG)
		return err;

	snprintf(map->source, sizeof(map->source),
		 "%s/kernel/boot_params/data", sysfs);
	err = read_all(map->source, 1 << 20, &bp, &len);
	if (err)
		return -ENOENT;
	nr = len >= KHO_PAGE_SIZE ? bp[BP_E820_ENTRIES] : 0;
	if (!nr || nr > E820_MAX_ZEROPAGE) {
		free(bp);
		return -ENOENT;
	}
	for (i = 0; i < nr; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		map->e[i].addr = get64(e);
		map->e[i].size = get64(e + 8);
		map->e[i].type = get32(e + 16);
	}
	map->nr = nr;
	free(bp);
	return 0;
}

/**
 * rsdp_read() - physical address of the ACPI RSDP, 0 if unknown
 * @sysfs: where sysfs is ("/sys")
 *
 * From the EFI system table (ACPI20= before ACPI=), else from the
 * running kernel's boot_params; with 0 the next kernel scans the BIOS
 * area for it, which works on legacy BIOS machines.
 */
uint64_t rsdp_read(const char *sysfs)
{
	char path[PATH_MAX];
	uint64_t rsdp = 0, acpi20 = 0, acpi = 0;
	const char *p;
	uint8_t *b;
	size_t len;

	snprintf(path, sizeof(path), "%s/firmware/efi/systab", sysfs);
	if (!read_all(path, 1 << 16, &b, &len)) {
		for (p = (char *)b; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
			if (!strncmp(p, "ACPI20=", 7))
				acpi20 = strtoull(p + 7, NULL, 0);
			else if (!strncmp(p, "ACPI=", 5))
				acpi = strtoull(p + 5, NULL, 0);
		}
		free(b);
		rsdp = acpi20 ? acpi20 : acpi;
		if (rsdp)
			return rsdp;
	}
	snprintf(path, sizeof(path), "%s/kernel/boot_params/data", sysfs);
	if (!read_all(path, 1 << 20, &b, &len)) {
		if (len >= KHO_PAGE_SIZE)
			rsdp = get64(b + BP_ACPI_RSDP_ADDR);
		free(b);
	}
	return rsdp;
}

static void save_segments(const char *dir, const struct bz_plan *plan)
{
	char path[PATH_MAX], name[32];
	unsigned int i;
	size_t j;
	FILE *f;

	if (mkdir(dir, 0755) && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	for (i = 0; i < plan->nr; i++) {
		const struct bz_segment *s = &plan->seg[i];

		snprintf(name, sizeof(name), "%s", s->what);
		for (j = 0; name[j]; j++)
			if (name[j] == ' ')
				name[j] = '_';
		snprintf(path, sizeof(path), "%s/%u-%s.bin", dir, i, name);
		f = fopen(path, "w");
		if (!f)
			die("%s: %s", path, strerror(errno));
		if (fwrite(s->buf, 1, s->bufsz, f) != s->bufsz || fclose(f))
			die("%s: %s", path, strerror(errno));
	}
}

/* Same layout as the kernel's struct kexec_segment */
struct kexec_seg {
	const void *buf;
	size_t bufsz;
	const void *mem;
	size_t memsz;
};

static void kexec_load_or_die(const struct bz_plan *plan)
{
#if defined(__x86_64__) && defined(SYS_kexec_load)
	struct kexec_seg segs[BZ_MAX_SEGMENTS];
	unsigned int i;
	int err;

	for (i = 0; i < plan->nr; i++) {
		segs[i].buf = plan->seg[i].buf;
		segs[i].bufsz = plan->seg[i].bufsz;
		segs[i].mem = (const void *)(uintptr_t)plan->seg[i].mem;
		segs[i].memsz = plan->seg[i].memsz;
	}
	if (!syscall(SYS_kexec_load, (unsigned long)plan->entry,
		     (unsigned long)plan->nr, segs,
		     (unsigned long)KEXEC_ARCH_X86_64))
		return;
	err = errno;
	switch (err) {
	case EADDRNOTAVAIL:
		die("kexec_load: %s (the kernel says a segment is outside KHO scratch; see dmesg)",
		    strerror(err));
	case EBUSY:
		die("kexec_load: %s (a segment overlaps preserved memory, or a load is in progress; see dmesg)",
		    strerror(err));
	case EPERM:
		die("kexec_load: %s (CAP_SYS_BOOT needed, or kexec is disabled)",
		    strerror(err));
	case ENOSYS:
		die("kexec_load: %s (kernel built without CONFIG_KEXEC)",
		    strerror(err));
	default:
		die("kexec_load: %s", strerror(err));
	}
#else
	(void)plan;
	die("load --user: kexec_load(2) with the x86 boot protocol needs an x86_64 host");
#endif
}

/**
 * load_user() - load a bzImage with kexec_load(), all of it in scratch
 * @kernel: bzImage path
 * @initrd: initrd path, or NULL
 * @cmdline: the full command line, kho_root= included
 * @st: KHO status (scratch areas)
 * @dry_run: print the plan, load nothing
 * @save_dir: if not NULL, write the segments there
 *
 * Return: 0; errors exit.
 */
int load_user(const char *kernel, const char *initrd, const char *cmdline,
	      const struct kho_status *st, bool dry_run, const char *save_dir)
{
	const char *sysfs = sysfs_dir(), *err;
	size_t klen, ilen = 0, cl_len = strlen(cmdline) + 1;
	uint8_t *img, *ird = NULL, *bp, *stub;
	const struct kho_range *a;
	struct e820_map *map;
	struct bz_plan plan;
	struct bzimage bz;
	char msg[512], size[32];
	unsigned int i;
	uint64_t rsdp;
	int ret;

	img = read_file_or_die(kernel, (size_t)1 << 30, &klen);
	if (bz_parse(img, klen, &bz, &err))
		die("%s: %s", kernel, err);
	if (initrd) {
		ird = read_file_or_die(initrd, (size_t)(sizeof(size_t) > 4 ?
							(4ULL << 30) - 1 : 1 << 30),
				       &ilen);
		if (!ilen)
			die("%s: empty file", initrd);
	}
	if (bz.cmdline_size && cl_len - 1 > bz.cmdline_size)
		die("command line too long (%zu bytes; the kernel takes %u)",
		    cl_len - 1, bz.cmdline_size);

	map = xmalloc(sizeof(*map));
	ret = e820_read(sysfs, map);
	if (ret == -E2BIG)
		die("%s: more than %d memory map entries", map->source,
		    E820_MAX_ZEROPAGE);
	if (ret)
		die("no memory map for the next kernel: neither %s/firmware/memmap (CONFIG_FIRMWARE_MEMMAP) nor %s/kernel/boot_params/data has one",
		    sysfs, sysfs);
	rsdp = rsdp_read(sysfs);

	if (bz_plan(&bz, st, ilen, cl_len, &plan, msg, sizeof(msg)))
		die("%s", msg);

	bp = xmalloc(KHO_PAGE_SIZE);
	stub = xmalloc(KHO_PAGE_SIZE);
	bz_boot_params(bp, &bz, &plan, map, rsdp);
	bz_stub(stub, plan.boot_params, plan.kernel + ENTRY_64);
	for (i = 0; i < plan.nr; i++) {
		struct bz_segment *s = &plan.seg[i];

		if (!strcmp(s->what, "kernel")) {
			s->buf = bz.payload;
			s->bufsz = bz.payload_len;
		} else if (!strcmp(s->what, "initrd")) {
			s->buf = ird;
			s->bufsz = ilen;
		} else if (!strcmp(s->what, "boot_params")) {
			s->buf = bp;
			s->bufsz = KHO_PAGE_SIZE;
		} else if (!strcmp(s->what, "cmdline")) {
			s->buf = cmdline;
			s->bufsz = cl_len;
		} else {
			s->buf = stub;
			s->bufsz = KHO_PAGE_SIZE;
		}
	}

	a = &st->scratch[plan.area];
	printf("kexec_load: %u segments in scratch%u 0x%llx-0x%llx (%.1f MiB)\n",
	       plan.nr, plan.area, (unsigned long long)a->addr,
	       (unsigned long long)(a->addr + a->size - 1), mib(a->size));
	for (i = 0; i < plan.nr; i++) {
		const struct bz_segment *s = &plan.seg[i];

		if (s->memsz >= 1 << 20)
			snprintf(size, sizeof(size), "%.1f MiB", mib(s->memsz));
		else
			snprintf(size, sizeof(size), "%llu KiB",
				 (unsigned long long)s->memsz >> 10);
		printf("  %-11s 0x%016llx-0x%016llx %10s  %zu bytes\n",
		       s->what, (unsigned long long)s->mem,
		       (unsigned long long)(s->mem + s->memsz - 1), size,
		       s->bufsz);
	}
	printf("  entry       0x%llx: stub to startup_64 at 0x%llx, %%rsi = 0x%llx\n",
	       (unsigned long long)plan.entry,
	       (unsigned long long)(plan.kernel + ENTRY_64),
	       (unsigned long long)plan.boot_params);
	printf("  boot protocol %u.%02u, init_size 0x%x, kernel_alignment 0x%x\n",
	       bz.version >> 8, bz.version & 0xff, bz.init_size,
	       bz.kernel_alignment);
	printf("  e820: %u entries from %s; acpi_rsdp_addr 0x%llx\n", map->nr,
	       map->source, (unsigned long long)rsdp);
	printf("  command line: %s\n", cmdline);

	if (save_dir)
		save_segments(save_dir, &plan);
	if (dry_run) {
		printf("dry run: nothing loaded\n");
	} else {
		fflush(stdout);
		kexec_load_or_die(&plan);
		printf("loaded; 'khoctl exec' reboots into it\n");
	}
	free(stub);
	free(bp);
	free(map);
	free(ird);
	free(img);
	return 0;
}
