// SPDX-License-Identifier: GPL-2.0
/*
 * tree.c - the KHO state tree: one page of FDT naming the tracker and the
 * clients' own blobs.
 */

/**
 * DOC: KHO state tree
 *
 * The state tree is the single thing the outgoing kernel hands over: one
 * page holding a flattened device tree (FDT), written with the kernel's
 * libfdt. Its layout::
 *
 *   / {
 *           compatible = "linux-6.12,kho-v1";
 *           page-size = <u32: the writing kernel's page size in bytes>;
 *           preserved-memory {
 *                   compatible = "linux-6.12,kho-mem-v1";
 *                   tracker = <u64: physical address of the tracker root>;
 *           };
 *           CLIENT {
 *                   blob = <u64: physical address>, <u64: size in bytes>;
 *           };
 *           ...
 *   };
 *
 * The root ``compatible`` versions the layout of this page, and
 * ``page-size`` says what every page frame number and order in the
 * handover counts in: a kernel of another page size (arm64 4K, 16K or
 * 64K) refuses the handover rather than misread it. Kernels before
 * ``page-size`` wrote none, and were 4K ones: absent means 4096. The
 * ``preserved-memory`` node is the memory map: self-contained, with its
 * own ``compatible`` versioning the tracker's format, so either can
 * change without the other. Every other child is one client, named by
 * the client; the state tree records where that client's blob is and
 * how large it is, and never looks inside it. A blob is normally an FDT
 * of at most a page (a "recursive FDT"), with the client's own schema;
 * the client preserves the blob's memory like any other.
 *
 * Clients add and remove their node at any time; each edit takes a
 * mutex, changes the page in place and leaves it a valid FDT, so there
 * is no finalize step, no preallocation and no size knob. The page holds
 * about seventy clients; an add that does not fit fails with -ENOSPC.
 */

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "internal.h"

static int fdt_err(int err)
{
	switch (err) {
	case -FDT_ERR_NOSPACE:
		return -ENOSPC;
	case -FDT_ERR_EXISTS:
		return -EEXIST;
	case -FDT_ERR_NOTFOUND:
		return -ENOENT;
	case -FDT_ERR_BADPATH:
	case -FDT_ERR_BADVALUE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/**
 * kho_tree_init() - create an empty state tree pointing to a tracker
 * @tree: the state tree
 * @mem_root: physical address of the tracker's root page
 *
 * Return: 0, -ENOMEM, or -EIO if libfdt refused (should not happen).
 */
int kho_tree_init(struct kho_tree *tree, phys_addr_t mem_root)
{
	void *fdt = (void *)get_zeroed_page(GFP_KERNEL);
	int node, err;

	if (!fdt)
		return -ENOMEM;
	err = fdt_create_empty_tree(fdt, PAGE_SIZE);
	err = err ?: fdt_setprop_string(fdt, 0, "compatible",
					KHO_FDT_COMPATIBLE);
	err = err ?: fdt_setprop_u32(fdt, 0, KHO_PAGE_SIZE_PROP, PAGE_SIZE);
	node = err ?: fdt_add_subnode(fdt, 0, KHO_MEM_NODE);
	if (node < 0) {
		err = node;
		goto fail;
	}
	err = fdt_setprop_string(fdt, node, "compatible", KHO_MEM_COMPATIBLE);
	err = err ?: fdt_setprop_u64(fdt, node, KHO_MEM_PROP, mem_root);
	if (err)
		goto fail;
	tree->fdt = fdt;
	mutex_init(&tree->lock);
	return 0;
fail:
	free_page((unsigned long)fdt);
	return fdt_err(err);
}

/**
 * kho_tree_destroy() - free a state tree's page
 * @tree: the state tree; nobody may use it any more
 */
void kho_tree_destroy(struct kho_tree *tree)
{
	free_page((unsigned long)tree->fdt);
	tree->fdt = NULL;
}

static bool name_ok(const char *name)
{
	size_t len = strnlen(name, KHO_NAME_MAX + 1);
	size_t i;

	if (!len || len > KHO_NAME_MAX || !strcmp(name, KHO_MEM_NODE) ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == ',' || c == '+'))
			return false;
	}
	return true;
}

/**
 * kho_tree_add() - name a client's blob in the state tree
 * @tree: the state tree
 * @name: the client's node name: 1 to %KHO_NAME_MAX characters from
 *	  ``[A-Za-z0-9,._+-]``, not ``preserved-memory``, ``.`` or ``..``
 * @phys: physical address of the blob
 * @size: its size in bytes, not zero
 *
 * Return: 0; -EINVAL for a bad name or size; -EEXIST if @name is taken;
 * -ENOSPC if the page is full. On error the tree is unchanged.
 */
int kho_tree_add(struct kho_tree *tree, const char *name, phys_addr_t phys,
		 u64 size)
{
	fdt64_t val[2] = { cpu_to_fdt64(phys), cpu_to_fdt64(size) };
	int node, err;

	if (!name_ok(name) || !size)
		return -EINVAL;
	mutex_lock(&tree->lock);
	node = fdt_add_subnode(tree->fdt, 0, name);
	if (node < 0) {
		err = node;
		goto out;
	}
	err = fdt_setprop(tree->fdt, node, KHO_BLOB_PROP, val, sizeof(val));
	if (err)
		fdt_del_node(tree->fdt, node);
out:
	mutex_unlock(&tree->lock);
	return err ? fdt_err(err) : 0;
}

/**
 * kho_tree_walk_clients() - call @fn for each client node of the state tree
 * @tree: the state tree
 * @fn: called with each client, under the tree's lock (it may sleep, and
 *	must not edit the tree); a non-zero return stops the walk
 * @arg: passed to @fn
 */
void kho_tree_walk_clients(struct kho_tree *tree, kho_client_fn fn, void *arg)
{
	struct kho_client c;
	const fdt64_t *p;
	int node, len;

	mutex_lock(&tree->lock);
	fdt_for_each_subnode(node, tree->fdt, 0) {
		c.name = fdt_get_name(tree->fdt, node, NULL);
		p = fdt_getprop(tree->fdt, node, KHO_BLOB_PROP, &len);
		if (!c.name || !p || len != 2 * sizeof(*p))
			continue;
		c.phys = fdt64_ld(&p[0]);
		c.size = fdt64_ld(&p[1]);
		if (fn(&c, arg))
			break;
	}
	mutex_unlock(&tree->lock);
}

/**
 * kho_tree_remove() - drop a client's node from the state tree
 * @tree: the state tree
 * @name: the name given to kho_tree_add()
 *
 * Return: 0, -EINVAL for a bad name, or -ENOENT if there is no such node.
 */
int kho_tree_remove(struct kho_tree *tree, const char *name)
{
	int node, err;

	if (!name_ok(name))
		return -EINVAL;
	mutex_lock(&tree->lock);
	node = fdt_subnode_offset(tree->fdt, 0, name);
	err = node < 0 ? node : fdt_del_node(tree->fdt, node);
	mutex_unlock(&tree->lock);
	return err ? fdt_err(err) : 0;
}

/**
 * kho_tree_set_scratch() - record the scratch areas in the state tree
 * @tree: the state tree
 * @pairs: @nr pairs of (physical address, size)
 * @nr: number of areas
 *
 * The ``scratch`` property lets a kernel started by a user-space
 * kexec_load (no setup_data) find its scratch from the state tree alone.
 *
 * Return: 0, -ENOSPC or -EINVAL.
 */
int kho_tree_set_scratch(struct kho_tree *tree, const u64 *pairs,
			 unsigned int nr)
{
	fdt64_t val[2 * 16];
	unsigned int i;
	int err;

	if (!nr || nr > ARRAY_SIZE(val) / 2)
		return -EINVAL;
	for (i = 0; i < 2 * nr; i++)
		val[i] = cpu_to_fdt64(pairs[i]);
	mutex_lock(&tree->lock);
	err = fdt_setprop(tree->fdt, 0, KHO_SCRATCH_PROP, val,
			  2 * nr * sizeof(val[0]));
	mutex_unlock(&tree->lock);
	return err ? fdt_err(err) : 0;
}

/**
 * kho_fdt_check_root() - validate a state tree received from another kernel
 * @fdt: the page holding it
 * @size: bytes readable at @fdt
 *
 * @mem_root: set to the tracker's root address on success
 *
 * Checks the FDT structure with fdt_check_full(), the root and memory map
 * ``compatible`` strings, the writer's page size, and the size of the
 * ``tracker`` property. Client nodes are checked when they are looked up.
 *
 * Return: 0 or a negative errno (-EINVAL malformed, -EPROTO wrong version,
 * -EXDEV written by a kernel of another page size).
 */
int kho_fdt_check_root(const void *fdt, size_t size, phys_addr_t *mem_root)
{
	const fdt32_t *ps;
	const fdt64_t *p;
	int node, len;

	if (size < sizeof(struct fdt_header) || fdt_magic(fdt) != FDT_MAGIC ||
	    fdt_totalsize(fdt) > size || fdt_check_full(fdt, size))
		return -EINVAL;
	if (fdt_node_check_compatible(fdt, 0, KHO_FDT_COMPATIBLE))
		return -EPROTO;
	ps = fdt_getprop(fdt, 0, KHO_PAGE_SIZE_PROP, &len);
	if (ps && len != sizeof(*ps))
		return -EINVAL;
	if ((ps ? fdt32_ld(ps) : KHO_PAGE_SIZE_OLD) != PAGE_SIZE)
		return -EXDEV;
	node = fdt_subnode_offset(fdt, 0, KHO_MEM_NODE);
	if (node < 0)
		return -EINVAL;
	if (fdt_node_check_compatible(fdt, node, KHO_MEM_COMPATIBLE))
		return -EPROTO;
	p = fdt_getprop(fdt, node, KHO_MEM_PROP, &len);
	if (!p || len != sizeof(*p))
		return -EINVAL;
	*mem_root = fdt64_ld(p);
	return 0;
}

/**
 * kho_fdt_get_subtree() - find a client's blob in a state tree
 * @fdt: a state tree that passed kho_fdt_check_root()
 * @name: the client's node name
 * @phys: set to the blob's physical address
 * @size: set to its size
 *
 * Return: 0, -ENOENT if there is no such client, -EINVAL if its node is
 * malformed.
 */
int kho_fdt_get_subtree(const void *fdt, const char *name, phys_addr_t *phys,
			u64 *size)
{
	const fdt64_t *p;
	int node, len;

	if (!name_ok(name))
		return -EINVAL;
	node = fdt_subnode_offset(fdt, 0, name);
	if (node < 0)
		return -ENOENT;
	p = fdt_getprop(fdt, node, KHO_BLOB_PROP, &len);
	if (!p || len != 2 * sizeof(*p) || !fdt64_ld(&p[1]))
		return -EINVAL;
	*phys = fdt64_ld(&p[0]);
	*size = fdt64_ld(&p[1]);
	return 0;
}
