// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - KHO state for people and tools: /sys/kernel/debug/kho/.
 */

/**
 * DOC: KHO debugfs
 *
 * Everything is under ``/sys/kernel/debug/kho/``, readable by root only.
 * debugfs rather than sysfs: this is an interface for debugging and
 * testing, not a stable ABI; the handover ABI itself is the in-memory
 * format.
 *
 * ``status``
 *   ``key: value`` lines: ``enabled``, ``root`` (outgoing state tree),
 *   ``scratch_areas`` and ``scratchN: ADDR SIZE``, ``incoming``
 *   (``none``, ``accepted`` or ``refused``), ``incoming_reason``,
 *   ``incoming_root``, ``incoming_preserved_pages``,
 *   ``incoming_tracker_pages``, ``incoming_unclaimed_pages``,
 *   ``debug_alloc_outside_scratch``, ``segments_refused``, and what
 *   the x86 decompressor did with the kernel's place after a setup_data
 *   handover: ``incoming_kaslr`` (``none``: nothing, no KASLR or no
 *   such handover; ``random``: a random place in scratch; ``kept``: no
 *   place in scratch, kept where it was loaded), ``incoming_kaslr_slots``
 *   (places it chose from) and ``incoming_kaslr_addr``.
 * ``out/fdt``
 *   the outgoing state tree, a raw FDT.
 * ``out/orders``
 *   preserved memory per order: ``order O: B blocks P pages``.
 * ``out/sub/NAME``
 *   the blob of each outgoing client.
 * ``out/add`` (write)
 *   one write of ``NAME\n`` followed by up to a page of data adds a user
 *   blob as client NAME, in preserved memory. EINVAL: bad name, or data
 *   that starts with the FDT magic but is not a valid FDT; EFBIG: too
 *   large; EEXIST: name taken; ENOSPC: state tree full. Nothing is half
 *   added on error.
 * ``out/remove`` (write)
 *   ``NAME`` removes a user blob (ENOENT if there is none).
 * ``in/fdt``, ``in/sub/NAME``
 *   the received state tree and a copy of each received client blob,
 *   taken at core_initcall time, before clients restore and reuse them.
 * ``debug_corrupt`` (write, CONFIG_KEXEC_HANDOVER_DEBUG only)
 *   damage the outgoing handover on purpose, to prove the next kernel
 *   refuses it: ``root_magic``, ``compatible``, ``page_size`` (the root
 *   says pages four times this kernel's), ``tracker_ptr`` (a table
 *   slot pointing outside RAM), ``tracker_cycle`` (a table slot pointing
 *   back to its table), ``bit_over_kernel`` (a preserved bit over the
 *   loaded kexec kernel), ``blob_size`` (a client blob's size past its
 *   page), ``scratch_overlap`` (two overlapping scratch areas) and
 *   ``scratch_kernel`` (each scratch area holding a large segment of the
 *   kexec image is cut 2 MiB into that segment, so the next kernel's
 *   image is no longer inside scratch), ``scratch_small`` (only the area
 *   holding the largest segment, the kernel, is handed over, cut to that
 *   segment: too small for the next kernel's memory map),
 *   ``scratch_initrd`` (the area holding the initrd, the last segment, is
 *   cut inside it on the side that keeps the kernel, the largest segment;
 *   needs an initrd over 4 MiB), ``setup_magic`` (the setup data's
 *   magic, which the x86 decompressor reads too, with KASLR); write the
 *   ``scratch_*`` and ``setup_*`` ones before loading the kexec image.
 * ``out/capture`` (CONFIG_KEXEC_HANDOVER_DEBUG only)
 *   the outgoing handover as the next kernel's validator would read it,
 *   in the format of struct kho_capture: setup data, RAM ranges, the
 *   state tree page and every tracker page. The VM rig turns captures
 *   into the fuzz target's seed corpus. Taken without stopping
 *   preservers: a capture during concurrent preserves may be torn.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/libfdt.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>
#include <linux/uaccess.h>
#include <asm/sections.h>

#include "internal.h"

#define KHO_IN_BLOB_MAX		SZ_1M

static const char * const in_state[] = {
	[KHO_IN_NONE] = "none",
	[KHO_IN_PENDING] = "pending",
	[KHO_IN_ACCEPTED] = "accepted",
	[KHO_IN_REFUSED] = "refused",
};

/*
 * One named blob with a debugfs file: an outgoing client (@user: added
 * through out/add, so ours to free) or a copy of an incoming one.
 */
struct kho_dbg_blob {
	struct list_head list;
	char name[KHO_NAME_MAX + 1];
	struct debugfs_blob_wrapper w;
	struct dentry *file;
	bool user;
};

static DEFINE_MUTEX(dbg_lock);	/* the lists and files */
static DEFINE_MUTEX(user_lock);	/* serialises out/add and out/remove */
static LIST_HEAD(out_blobs);
static LIST_HEAD(in_blobs);
static struct dentry *out_sub, *in_sub;
static struct debugfs_blob_wrapper in_fdt;

static struct kho_dbg_blob *find_blob(struct list_head *head,
				      const char *name)
{
	struct kho_dbg_blob *b;

	list_for_each_entry(b, head, list)
		if (!strcmp(b->name, name))
			return b;
	return NULL;
}

static void create_file(struct kho_dbg_blob *b, struct dentry *dir)
{
	if (dir && !b->file)
		b->file = debugfs_create_blob(b->name, 0400, dir, &b->w);
}

/* Keep out/sub/ in step with the state tree: @c added, or removed. */
static void client_update(const struct kho_client *c, bool added)
{
	struct kho_dbg_blob *b;

	mutex_lock(&dbg_lock);
	b = find_blob(&out_blobs, c->name);
	if (!added) {
		if (b) {
			debugfs_remove(b->file);
			list_del(&b->list);
			kfree(b);
		}
	} else if (!b) {
		b = kzalloc(sizeof(*b), GFP_KERNEL);
		if (b) {
			strscpy(b->name, c->name, sizeof(b->name));
			b->w.data = phys_to_virt(c->phys);
			b->w.size = c->size;
			list_add_tail(&b->list, &out_blobs);
			create_file(b, out_sub);
		}
	}
	mutex_unlock(&dbg_lock);
}

static int client_event(struct notifier_block *nb, unsigned long action,
			void *data)
{
	client_update(data, action == KHO_CLIENT_ADDED);
	return NOTIFY_OK;
}

static struct notifier_block client_nb = {
	.notifier_call = client_event,
};

static int client_found(const struct kho_client *c, void *arg)
{
	client_update(c, true);
	return 0;
}

static ssize_t add_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	struct kho_dbg_blob *b;
	char *buf, *nl, *data;
	void *page = NULL;
	size_t size;
	int err;

	if (len > PAGE_SIZE + KHO_NAME_MAX + 1)
		return -EFBIG;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	err = -EINVAL;
	nl = memchr(buf, '\n', len);
	if (!nl || nl == buf || nl - buf > KHO_NAME_MAX)
		goto out;
	*nl = '\0';
	data = nl + 1;
	size = len - (data - buf);
	if (!size)
		goto out;
	err = -EFBIG;
	if (size > PAGE_SIZE)
		goto out;
	err = -ENOMEM;
	page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!page)
		goto out;
	memcpy(page, data, size);
	/*
	 * A blob that says it is an FDT must be one. Checked in the page,
	 * which is aligned as libfdt wants: the data in the write buffer
	 * follows the name and may be at any offset.
	 */
	err = -EINVAL;
	if (size >= sizeof(fdt32_t) && fdt_magic(page) == FDT_MAGIC &&
	    fdt_check_full(page, size))
		goto out;

	mutex_lock(&user_lock);
	err = kho_preserve_folio(virt_to_folio(page));
	if (!err) {
		err = kho_add_subtree(buf, page, size);
		if (err)
			kho_unpreserve_folio(virt_to_folio(page));
	}
	if (!err) {
		mutex_lock(&dbg_lock);
		b = find_blob(&out_blobs, buf);
		if (b)
			b->user = true;
		mutex_unlock(&dbg_lock);
		page = NULL;
	}
	mutex_unlock(&user_lock);
out:
	free_page((unsigned long)page);
	kfree(buf);
	return err ? err : len;
}

static const struct file_operations add_fops = {
	.owner = THIS_MODULE,
	.write = add_write,
};

static ssize_t remove_write(struct file *f, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char name[KHO_NAME_MAX + 2];
	struct kho_dbg_blob *b;
	void *page = NULL;
	int err;

	if (!len || len > KHO_NAME_MAX + 1)
		return -EINVAL;
	if (copy_from_user(name, ubuf, len))
		return -EFAULT;
	name[len] = '\0';
	strim(name);

	mutex_lock(&user_lock);
	mutex_lock(&dbg_lock);
	b = find_blob(&out_blobs, name);
	if (b && b->user)
		page = b->w.data;
	mutex_unlock(&dbg_lock);
	err = -ENOENT;
	if (page) {
		err = kho_remove_subtree(name);
		if (!err) {
			kho_unpreserve_folio(virt_to_folio(page));
			free_page((unsigned long)page);
		}
	}
	mutex_unlock(&user_lock);
	return err ? err : len;
}

static const struct file_operations remove_fops = {
	.owner = THIS_MODULE,
	.write = remove_write,
};

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
#include <linux/kexec.h>

static int corrupt(const char *what)
{
	const struct kho_tracker *t = kho_out_tracker();
	void *fdt = (void *)kho_out_fdt();
	u64 top, *table;
	int node;

	if (!t)
		return -EOPNOTSUPP;
	top = t->root->top[0] & ~KHO_HEIGHT_MASK;
	table = top ? phys_to_virt(top) : NULL;
	if (!strcmp(what, "root_magic")) {
		*(u32 *)fdt = 0xdeadbeef;
	} else if (!strcmp(what, "compatible")) {
		node = fdt_setprop_inplace(fdt, 0, "compatible",
					   "linux-6.12,kho-v9",
					   sizeof(KHO_FDT_COMPATIBLE));
		return node ? -EIO : 0;
	} else if (!strcmp(what, "page_size")) {
		/* as a kernel of four times our page size would write it */
		return fdt_setprop_inplace_u32(fdt, 0, KHO_PAGE_SIZE_PROP,
					       PAGE_SIZE * 4) ? -EIO : 0;
	} else if (!strcmp(what, "tracker_ptr") && table) {
		WRITE_ONCE(table[KHO_SLOTS - 1], 0x7ffffffff000ULL);
	} else if (!strcmp(what, "tracker_cycle") && table) {
		WRITE_ONCE(table[KHO_SLOTS - 1], top);
	} else if (!strcmp(what, "bit_over_kernel") && kexec_image) {
		struct kexec_segment *seg = &kexec_image->segment[0];
		unsigned long i;

		for (i = 1; i < kexec_image->nr_segments; i++)
			if (kexec_image->segment[i].memsz > seg->memsz)
				seg = &kexec_image->segment[i];
		return kho_tracker_set((struct kho_tracker *)t,
				       PHYS_PFN(seg->mem), 0);
	} else if (!strcmp(what, "blob_size")) {
		fdt64_t val[2];
		const fdt64_t *p;
		int len;

		node = fdt_subnode_offset(fdt, 0, "test-kho");
		p = node < 0 ? NULL : fdt_getprop(fdt, node, KHO_BLOB_PROP,
						 &len);
		if (!p || len != sizeof(val))
			return -ENOENT;
		val[0] = p[0];
		val[1] = cpu_to_fdt64(PAGE_SIZE * 4);
		return fdt_setprop_inplace(fdt, node, KHO_BLOB_PROP, val,
					   sizeof(val)) ? -EIO : 0;
	} else if (!kho_debug_setup_corrupt(what)) {
		/* applied when the setup data is built (debug_setup.c) */
	} else if (!strcmp(what, "scratch_overlap") && kho_nr_scratch &&
		   kho_nr_scratch < KHO_MAX_SCRATCH) {
		kho_scratch[kho_nr_scratch] = kho_scratch[0];
		kho_nr_scratch++;
	} else {
		return -EINVAL;
	}
	return 0;
}

static ssize_t corrupt_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char what[32];
	int err;

	if (!len || len >= sizeof(what))
		return -EINVAL;
	if (copy_from_user(what, ubuf, len))
		return -EFAULT;
	what[len] = '\0';
	err = corrupt(strim(what));
	if (!err)
		pr_warn("debug: outgoing handover corrupted on purpose: %s\n",
			strim(what));
	return err ? err : len;
}

static const struct file_operations corrupt_fops = {
	.owner = THIS_MODULE,
	.write = corrupt_write,
};

static int capture_ram(struct resource *res, void *arg)
{
	struct seq_file *m = arg;
	u64 range[2] = { res->start, res->end + 1 };

	seq_write(m, range, sizeof(range));
	return 0;
}

static int count_ram(struct resource *res, void *arg)
{
	(*(u32 *)arg)++;
	return 0;
}

static int capture_page(phys_addr_t phys, void *arg)
{
	struct seq_file *m = arg;
	u64 p = phys;

	seq_write(m, &p, sizeof(p));
	seq_write(m, phys_to_virt(phys), PAGE_SIZE);
	return 0;
}

static int count_page(phys_addr_t phys, void *arg)
{
	(*(u32 *)arg)++;
	return 0;
}

static int capture_show(struct seq_file *m, void *v)
{
	const struct kho_tracker *t = kho_out_tracker();
	struct kho_capture c = {
		.magic = KHO_CAPTURE_MAGIC,
		.kernel_start = __pa_symbol(_text),
		.kernel_end = __pa_symbol(_end),
		.nr_pages = 1,
	};

	walk_system_ram_res(0, ULLONG_MAX, &c.nr_ram, count_ram);
	if (c.nr_ram > KHO_CAPTURE_MAX_RAM)
		return -E2BIG;
	kho_tracker_walk_nodes(t, count_page, &c.nr_pages);
	kho_fill_setup_data(&c.sd);
	seq_write(m, &c, sizeof(c));
	walk_system_ram_res(0, ULLONG_MAX, m, capture_ram);
	capture_page(kho_root_phys(), m);
	kho_tracker_walk_nodes(t, capture_page, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(capture);
#endif

/*
 * The incoming timings are get_cycles() counts, taken before any clock
 * runs. Their rate is measured against ktime from core_initcall_sync to
 * the read: no architecture's cycle frequency is needed. Zero when the
 * architecture has no cycle counter.
 */
static u64 calib_cycles, calib_ns;

static u64 cycles_to_ns(u64 cycles)
{
	u64 dc = get_cycles() - calib_cycles;

	return dc ? mul_u64_u64_div_u64(cycles, ktime_get_ns() - calib_ns, dc) : 0;
}

/* &struct kho_kaslr_report's results */
static const char *const kaslr_result[] = {
	[KHO_KASLR_NONE] = "none",
	[KHO_KASLR_RANDOM] = "random",
	[KHO_KASLR_KEPT] = "kept",
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
	seq_printf(m, "incoming_keep_ns: %llu\n",
		   cycles_to_ns(kho_in.keep_ns + atomic64_read(&kho_in.free_ns)));
	seq_printf(m, "incoming_mem_init_ns: %llu\n",
		   cycles_to_ns(kho_in.mem_init_ns));
	seq_printf(m, "incoming_kaslr: %s\n",
		   kho_in.kaslr.result < ARRAY_SIZE(kaslr_result) ?
		   kaslr_result[kho_in.kaslr.result] : "?");
	seq_printf(m, "incoming_kaslr_slots: %u\n", kho_in.kaslr.slots);
	seq_printf(m, "incoming_kaslr_addr: 0x%llx\n", kho_in.kaslr.addr);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

struct order_count {
	unsigned long blocks[KHO_MAX_ORDERS];
};

static int count_order(unsigned long pfn, unsigned int order, void *arg)
{
	((struct order_count *)arg)->blocks[order]++;
	return 0;
}

static int orders_show(struct seq_file *m, void *v)
{
	const struct kho_tracker *t = kho_out_tracker();
	struct order_count *c;
	unsigned int o;

	if (!t)
		return 0;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	kho_tracker_walk(t, 0, count_order, c);
	for (o = 0; o < t->nr_orders; o++)
		seq_printf(m, "order %u: %lu blocks %lu pages\n", o,
			   c->blocks[o], c->blocks[o] << o);
	kfree(c);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(orders);

static struct debugfs_blob_wrapper out_fdt;

/*
 * Copy the received clients' blobs while they are intact: clients may
 * restore and reuse their memory from device_initcall on.
 */
static int __init kho_in_snapshot(void)
{
	const void *fdt = kho_in.fdt;
	int node;

	calib_cycles = get_cycles();
	calib_ns = ktime_get_ns();
	if (kho_in.state != KHO_IN_ACCEPTED)
		return 0;
	/* the page itself is wiped and freed once the handover is consumed */
	in_fdt.data = kmemdup(fdt, fdt_totalsize(fdt), GFP_KERNEL);
	if (in_fdt.data)
		in_fdt.size = fdt_totalsize(fdt);
	fdt_for_each_subnode(node, fdt, 0) {
		const char *name = fdt_get_name(fdt, node, NULL);
		struct kho_dbg_blob *b;
		phys_addr_t phys, p;
		u64 size;

		if (!name || !strcmp(name, KHO_MEM_NODE) ||
		    kho_retrieve_subtree(name, &phys, &size) ||
		    size > KHO_IN_BLOB_MAX)
			continue;
		/* read only memory the handover preserved */
		for (p = phys & PAGE_MASK; p < phys + size; p += PAGE_SIZE)
			if (!kho_is_incoming_preserved(PHYS_PFN(p)))
				break;
		if (p < phys + size)
			continue;
		b = kzalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			break;
		b->w.data = kmemdup(phys_to_virt(phys), size, GFP_KERNEL);
		if (!b->w.data) {
			kfree(b);
			break;
		}
		b->w.size = size;
		strscpy(b->name, name, sizeof(b->name));
		list_add_tail(&b->list, &in_blobs);
	}
	return 0;
}
core_initcall_sync(kho_in_snapshot);

static int __init kho_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("kho", NULL);
	struct dentry *out = debugfs_create_dir("out", dir);
	struct kho_dbg_blob *b;

	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	if (kho_out_fdt()) {
		out_fdt.data = (void *)kho_out_fdt();
		out_fdt.size = PAGE_SIZE;
		debugfs_create_blob("fdt", 0400, out, &out_fdt);
		debugfs_create_file("orders", 0400, out, NULL, &orders_fops);
		debugfs_create_file("add", 0200, out, NULL, &add_fops);
		debugfs_create_file("remove", 0200, out, NULL, &remove_fops);
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
		debugfs_create_file("debug_corrupt", 0200, dir, NULL,
				    &corrupt_fops);
		debugfs_create_file("capture", 0400, out, NULL, &capture_fops);
#endif
	}
	/*
	 * The clients added from now on are told; those added before are
	 * found in the tree. One seen both ways gets one file.
	 */
	out_sub = debugfs_create_dir("sub", out);
	kho_register_client_notifier(&client_nb);
	kho_walk_clients(client_found, NULL);
	mutex_lock(&dbg_lock);
	if (in_fdt.data) {
		struct dentry *in = debugfs_create_dir("in", dir);

		debugfs_create_blob("fdt", 0400, in, &in_fdt);
		in_sub = debugfs_create_dir("sub", in);
		list_for_each_entry(b, &in_blobs, list)
			create_file(b, in_sub);
	}
	mutex_unlock(&dbg_lock);
	return 0;
}
late_initcall(kho_debugfs_init);
