// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - "khoctl status [--json]": what this kernel will hand over at
 * its next kexec (scratch areas, preserved memory by order, the clients
 * of the outgoing state tree) and what it received from the previous one
 * (accepted or refused and why, preserved and unclaimed pages, the
 * incoming clients). Read from debugfs kho/status, kho/out/orders and
 * the state trees; gathered first, then printed as text or as JSON
 * (schema khoctl-status-v1, see json.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfdt.h>

#include "khoctl.h"

#define MAX_ORDERS	64
#define MAX_SUBTREES	256
#define MiB(x)		((double)(x) / (1 << 20))
#define PAGES_MiB(n)	((double)(n) * KHO_PAGE_SIZE / (1 << 20))

struct order_line {
	unsigned int order;
	unsigned long long blocks, pages;
};

struct orders {
	int err;			/* reading out/orders: -errno or 0 */
	unsigned int nr;
	struct order_line o[MAX_ORDERS];
	unsigned long long blocks, pages;
};

struct subtree {
	char name[KHO_NAME_MAX + 1];
	bool valid;			/* a 16-byte "blob" property */
	uint64_t addr, size;
};

struct subtrees {
	int err;			/* -errno, or 0 */
	const char *why;		/* not an FDT: why; else NULL */
	bool foreign;			/* not a linux-6.12,kho-v1 tree */
	unsigned int nr, dropped;
	struct subtree s[MAX_SUBTREES];
};

static uint64_t be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void read_orders(struct orders *o)
{
	unsigned long long blocks, pages;
	unsigned int order;
	uint8_t *text;
	const char *l;
	size_t len;

	memset(o, 0, sizeof(*o));
	o->err = read_all(kho_path("out/orders"), STATUS_MAX, &text, &len);
	if (o->err)
		return;
	for (l = (char *)text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (sscanf(l, "order %u: %llu blocks %llu pages", &order,
			   &blocks, &pages) != 3)
			continue;
		o->blocks += blocks;
		o->pages += pages;
		if (!blocks || o->nr == MAX_ORDERS)
			continue;
		o->o[o->nr++] = (struct order_line){ order, blocks, pages };
	}
	free(text);
}

/* The clients of the state tree at @rel: every child but preserved-memory */
static void read_subtrees(const char *rel, struct subtrees *t)
{
	const char *name, *compat;
	const void *blob;
	struct subtree *s;
	uint8_t *fdt;
	int node, len;
	size_t size;

	memset(t, 0, sizeof(*t));
	t->err = read_all(kho_path("%s", rel), BLOB_MAX, &fdt, &size);
	if (t->err)
		return;
	if (!dts_is_fdt(fdt, size, &t->why)) {
		free(fdt);
		return;
	}
	compat = fdt_getprop(fdt, 0, "compatible", &len);
	t->foreign = !compat || len <= 0 || compat[len - 1] ||
		     strcmp(compat, "linux-6.12,kho-v1");
	fdt_for_each_subnode(node, fdt, 0) {
		name = fdt_get_name(fdt, node, NULL);
		if (!name || !strcmp(name, KHO_MEM_NODE))
			continue;
		if (t->nr == MAX_SUBTREES) {
			t->dropped++;
			continue;
		}
		s = &t->s[t->nr++];
		snprintf(s->name, sizeof(s->name), "%s", name);
		blob = fdt_getprop(fdt, node, "blob", &len);
		s->valid = blob && len == 16;
		if (s->valid) {
			s->addr = be64(blob);
			s->size = be64((const uint8_t *)blob + 8);
		}
	}
	free(fdt);
}

/* ---- text ---- */

static void print_orders(const struct orders *o)
{
	unsigned int i;

	if (o->err) {
		printf("preserved memory:  unknown (%s: %s)\n",
		       kho_path("out/orders"), strerror(-o->err));
		return;
	}
	printf("preserved memory (outgoing):\n");
	if (!o->nr) {
		printf("  nothing preserved\n");
		return;
	}
	printf("  %-6s %12s %12s %12s\n", "order", "blocks", "pages", "MiB");
	for (i = 0; i < o->nr; i++)
		printf("  %-6u %12llu %12llu %12.1f\n", o->o[i].order,
		       o->o[i].blocks, o->o[i].pages, PAGES_MiB(o->o[i].pages));
	printf("  %-6s %12llu %12llu %12.1f\n", "total", o->blocks, o->pages,
	       PAGES_MiB(o->pages));
}

static void print_subtrees(const char *rel, const char *label,
			   const struct subtrees *t)
{
	const char *path = kho_path("%s", rel);
	unsigned int i;

	if (t->err) {
		printf("sub-trees (%s): unknown (%s: %s)\n", label, path,
		       strerror(-t->err));
		return;
	}
	if (t->why) {
		printf("sub-trees (%s): %s is not a valid FDT (%s)\n", label,
		       path, t->why);
		return;
	}
	if (t->foreign)
		printf("warning: %s is not a linux-6.12,kho-v1 state tree\n",
		       path);
	printf("sub-trees (%s): %u\n", label, t->nr + t->dropped);
	for (i = 0; i < t->nr; i++) {
		if (t->s[i].valid)
			printf("  %-32s %10llu bytes at 0x%llx\n", t->s[i].name,
			       (unsigned long long)t->s[i].size,
			       (unsigned long long)t->s[i].addr);
		else
			printf("  %-32s (no valid blob property)\n",
			       t->s[i].name);
	}
	if (t->dropped)
		printf("  ... and %u more\n", t->dropped);
}

static bool incoming_tree(const struct kho_status *st)
{
	struct stat s;

	return (!strcmp(st->incoming, "accepted") ||
		!strcmp(st->incoming, "pending")) &&
	       !stat(kho_path("in/fdt"), &s);
}

static void print_status(const struct kho_status *st,
			 const struct orders *o, const struct subtrees *out,
			 const struct subtrees *in)
{
	unsigned int i;

	printf("KHO:               %s\n", st->enabled ? "on" :
	       "off (boot with kho=on)");
	if (st->enabled) {
		printf("outgoing root:     0x%llx\n",
		       (unsigned long long)st->root);
		printf("scratch areas:     %u\n", st->nr_scratch);
		for (i = 0; i < st->nr_scratch; i++)
			printf("  scratch%-2u        0x%016llx-0x%016llx %10.1f MiB\n",
			       i, (unsigned long long)st->scratch[i].addr,
			       (unsigned long long)(st->scratch[i].addr +
						    st->scratch[i].size - 1),
			       MiB(st->scratch[i].size));
		print_orders(o);
		print_subtrees("out/fdt", "outgoing", out);
	}

	printf("incoming handover: %s", st->incoming);
	if (!strcmp(st->incoming, "refused"))
		printf(": %s", st->reason[0] ? st->reason : "(no reason given)");
	if (!strcmp(st->incoming, "accepted"))
		printf(", state tree at 0x%llx",
		       (unsigned long long)st->in_root);
	putchar('\n');
	if (!strcmp(st->incoming, "accepted") ||
	    !strcmp(st->incoming, "pending")) {
		printf("  preserved pages: %ld (%.1f MiB), tracker pages: %ld, unclaimed pages: %ld (%.1f MiB)\n",
		       st->in_preserved, PAGES_MiB(st->in_preserved),
		       st->in_tracker, st->in_unclaimed,
		       PAGES_MiB(st->in_unclaimed));
		if (incoming_tree(st))
			print_subtrees("in/fdt", "incoming", in);
	}
	if (st->alloc_outside >= 0 && st->segments_refused >= 0)
		printf("counters:          %ld early allocations outside scratch, %ld kexec segments refused\n",
		       st->alloc_outside, st->segments_refused);
}

/* ---- JSON ---- */

static void json_subtrees(const char *key, const struct subtrees *t)
{
	unsigned int i;

	json_key(key);
	if (t->err || t->why) {
		json_str(NULL);
		return;
	}
	json_open('[');
	for (i = 0; i < t->nr; i++) {
		json_open('{');
		json_key("name");
		json_str(t->s[i].name);
		json_key("addr");
		if (t->s[i].valid)
			json_hex(t->s[i].addr);
		else
			json_str(NULL);
		json_key("bytes");
		json_i64(t->s[i].valid ? (int64_t)t->s[i].size : -1);
		json_close('}');
	}
	json_close(']');
}

static void json_status(const struct kho_status *st,
			const struct orders *o, const struct subtrees *out,
			const struct subtrees *in)
{
	bool has_in = !strcmp(st->incoming, "accepted") ||
		      !strcmp(st->incoming, "pending");
	unsigned int i;

	json_schema("khoctl-status-v1");
	json_key("kho");
	json_bool(st->enabled);
	json_key("outgoing");
	if (!st->enabled) {
		json_str(NULL);
	} else {
		json_open('{');
		json_key("root");
		json_hex(st->root);
		json_key("scratch");
		json_open('[');
		for (i = 0; i < st->nr_scratch; i++) {
			json_open('{');
			json_key("addr");
			json_hex(st->scratch[i].addr);
			json_key("bytes");
			json_u64(st->scratch[i].size);
			json_close('}');
		}
		json_close(']');
		json_key("preserved_pages");
		json_i64(o->err ? -1 : (int64_t)o->pages);
		json_key("orders");
		if (o->err) {
			json_str(NULL);
		} else {
			json_open('[');
			for (i = 0; i < o->nr; i++) {
				json_open('{');
				json_key("order");
				json_u64(o->o[i].order);
				json_key("blocks");
				json_u64(o->o[i].blocks);
				json_key("pages");
				json_u64(o->o[i].pages);
				json_close('}');
			}
			json_close(']');
		}
		json_subtrees("subtrees", out);
		json_close('}');
	}
	json_key("incoming");
	json_open('{');
	json_key("state");
	json_str(st->incoming);
	json_key("reason");
	json_str(st->reason[0] ? st->reason : NULL);
	json_key("root");
	if (!strcmp(st->incoming, "accepted"))
		json_hex(st->in_root);
	else
		json_str(NULL);
	json_key("preserved_pages");
	json_i64(has_in ? st->in_preserved : -1);
	json_key("tracker_pages");
	json_i64(has_in ? st->in_tracker : -1);
	json_key("unclaimed_pages");
	json_i64(has_in ? st->in_unclaimed : -1);
	if (incoming_tree(st)) {
		json_subtrees("subtrees", in);
	} else {
		json_key("subtrees");
		json_str(NULL);
	}
	json_close('}');
	json_key("alloc_outside_scratch");
	json_i64(st->alloc_outside);
	json_key("segments_refused");
	json_i64(st->segments_refused);
	json_close('}');
}

/**
 * cmd_status() - khoctl status [--json]
 * @argc: argument count
 * @argv: arguments
 *
 * Return: 0, or exits with a message.
 */
int cmd_status(int argc, char **argv)
{
	struct subtrees *out, *in;
	struct kho_status st;
	struct orders o;
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			usage_error("status: unexpected argument '%s'", argv[i]);
	}
	get_status(&st);
	out = xmalloc(sizeof(*out));
	in = xmalloc(sizeof(*in));
	memset(&o, 0, sizeof(o));
	memset(out, 0, sizeof(*out));
	memset(in, 0, sizeof(*in));
	if (st.enabled) {
		read_orders(&o);
		read_subtrees("out/fdt", out);
	}
	if (incoming_tree(&st))
		read_subtrees("in/fdt", in);
	if (json)
		json_status(&st, &o, out, in);
	else
		print_status(&st, &o, out, in);
	free(out);
	free(in);
	return 0;
}
