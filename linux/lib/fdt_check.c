// SPDX-License-Identifier: GPL-2.0
/*
 * fdt_check.c - fdt_check_full(): check a whole device tree blob before
 * trusting it. libfdt.h declares it, but the kernel's libfdt import does
 * not carry an implementation; KHO needs one for the state tree that
 * arrives from the previous kernel.
 */
#include <linux/libfdt.h>

#define FDT_CHECK_MAX_DEPTH	64

/**
 * fdt_check_full() - check every tag of a device tree blob
 * @fdt: the blob
 * @bufsize: bytes that may be read at @fdt
 *
 * Checks the header (fdt_check_header()), that the blob fits in @bufsize,
 * that the blob, its structure block and its memory reservation map are
 * aligned as libfdt's loads require, and then walks the structure block
 * tag by tag: nodes nest properly and not deeper than 64 levels, there
 * is exactly one root node, every
 * property lies inside a node, its value inside the structure block and
 * its name inside the strings block, and the block ends with FDT_END.
 * Every step moves forward, so the check ends for any input.
 *
 * Return: 0 or a negative FDT_ERR_* code.
 */
int fdt_check_full(const void *fdt, size_t bufsize)
{
	int depth = 0, offset = 0, next, err, len;
	bool root_seen = false;
	u32 tag;

	if (bufsize < sizeof(struct fdt_header))
		return -FDT_ERR_TRUNCATED;
	err = fdt_check_header(fdt);
	if (err)
		return err;
	/* libfdt loads tags as aligned 32-bit words: refuse what is not */
	if (((uintptr_t)fdt | fdt_off_dt_struct(fdt)) & (FDT_TAGSIZE - 1) ||
	    fdt_off_mem_rsvmap(fdt) & (sizeof(u64) - 1))
		return -FDT_ERR_ALIGNMENT;
	if (bufsize < fdt_header_size(fdt) || fdt_totalsize(fdt) > bufsize)
		return -FDT_ERR_TRUNCATED;

	for (;;) {
		const struct fdt_property *prop;

		tag = fdt_next_tag(fdt, offset, &next);
		if (next < 0)
			return next;
		if (next <= offset)
			return -FDT_ERR_BADSTRUCTURE;
		switch (tag) {
		case FDT_NOP:
			break;
		case FDT_END:
			if (depth)
				return -FDT_ERR_TRUNCATED;
			return root_seen ? 0 : -FDT_ERR_BADSTRUCTURE;
		case FDT_BEGIN_NODE:
			if (!depth) {
				if (root_seen)
					return -FDT_ERR_BADSTRUCTURE;
				root_seen = true;
			}
			if (++depth > FDT_CHECK_MAX_DEPTH)
				return -FDT_ERR_BADSTRUCTURE;
			break;
		case FDT_END_NODE:
			if (depth-- <= 0)
				return -FDT_ERR_BADSTRUCTURE;
			break;
		case FDT_PROP:
			if (depth <= 0)
				return -FDT_ERR_BADSTRUCTURE;
			prop = fdt_offset_ptr(fdt, offset, sizeof(*prop));
			if (!prop)
				return -FDT_ERR_TRUNCATED;
			if (!fdt_get_string(fdt, fdt32_to_cpu(prop->nameoff),
					    &len))
				return len;
			break;
		default:
			return -FDT_ERR_BADSTRUCTURE;
		}
		offset = next;
	}
}
