/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kexec_timeline.h - the record of where the time of each kexec reboot
 * went, kept in one page that travels from kernel to kernel. User space
 * reads it from /sys/kernel/kexec_timeline. See Documentation/kho/format.rst.
 */
#ifndef _UAPI_LINUX_KEXEC_TIMELINE_H
#define _UAPI_LINUX_KEXEC_TIMELINE_H

#define KEXEC_TL_MAGIC		0x4c54584b	/* "KXTL" */
#define KEXEC_TL_HIST_MAGIC	0x454e494c544f484bULL	/* "KHOTLINE" */
#define KEXEC_TL_VERSION	1
#define KEXEC_TL_RECORDS	31

/* the points, in the order they happen; a clock value of 0: not seen */
#define KEXEC_TL_REBOOT		0	/* kernel_kexec() */
#define KEXEC_TL_DEVICES	1	/* devices shut down */
#define KEXEC_TL_RELOC_START	2	/* relocate_kernel, before copying */
#define KEXEC_TL_RELOC_END	3	/* relocate_kernel, after copying */
#define KEXEC_TL_PURGATORY	4	/* purgatory entered */
#define KEXEC_TL_PURGATORY_END	5	/* purgatory checked the segments */
#define KEXEC_TL_START_KERNEL	6	/* the next kernel's start_kernel() */
#define KEXEC_TL_MM		7	/* its memory management is up */
#define KEXEC_TL_INIT		8	/* it starts user space */
#define KEXEC_TL_POINTS		9

/* record flags */
#define KEXEC_TL_FILE		0x1	/* loaded with kexec_file_load() */
#define KEXEC_TL_KHO		0x2	/* a KHO kexec */
#define KEXEC_TL_XXH64		0x4	/* purgatory checked with xxh64 */

/* offsets in a record, for relocate_kernel */
#define KEXEC_TL_T_OFFSET		16
#define KEXEC_TL_RELOC_PAGES_OFFSET	88

#ifndef __ASSEMBLY__
#include <linux/types.h>

/**
 * struct kexec_tl_record - one kexec reboot (128 bytes, little-endian)
 * @magic: %KEXEC_TL_MAGIC once the reboot started
 * @gen: the generation the reboot boots (a cold boot is generation 1)
 * @out_khz: rate of the clock as the outgoing kernel measured it
 * @in_khz: the same, as the incoming kernel measured it (used to convert)
 * @t: clock value at each point, %KEXEC_TL_REBOOT to %KEXEC_TL_INIT
 * @reloc_pages: pages relocate_kernel copied
 * @planned_pages: pages the relocation list held at the reboot
 * @hash_bytes: bytes purgatory checked
 * @flags: %KEXEC_TL_FILE, %KEXEC_TL_KHO, %KEXEC_TL_XXH64
 * @reserved: zero
 */
struct kexec_tl_record {
	__u32 magic;
	__u32 gen;
	__u32 out_khz;
	__u32 in_khz;
	__u64 t[KEXEC_TL_POINTS];
	__u64 reloc_pages;
	__u64 planned_pages;
	__u64 hash_bytes;
	__u32 flags;
	__u32 reserved[3];
};

/**
 * struct kexec_tl_history - the page that travels (4032 bytes used)
 * @magic: %KEXEC_TL_HIST_MAGIC
 * @version: %KEXEC_TL_VERSION
 * @nr: records in @rec, oldest first; the last one booted this kernel
 *	unless it is a cold boot
 * @gen: the generation of the kernel that owns the page
 * @reserved: zero
 * @rec: the records; @rec[@nr] is the slot of the next reboot
 */
struct kexec_tl_history {
	__u64 magic;
	__u32 version;
	__u32 nr;
	__u32 gen;
	__u32 reserved[11];
	struct kexec_tl_record rec[KEXEC_TL_RECORDS];
};
#endif

#endif /* _UAPI_LINUX_KEXEC_TIMELINE_H */
