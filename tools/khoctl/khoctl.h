/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khoctl.h - shared declarations of khoctl, the Kexec HandOver (KHO) CLI.
 */
#ifndef KHOCTL_H
#define KHOCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KHO_DEBUGFS_DEFAULT	"/sys/kernel/debug/kho"
#define KHO_SYSFS_DEFAULT	"/sys"
#define KHO_MAX_SCRATCH		16
#define KHO_NAME_MAX		63
#define KHO_USER_BLOB_MAX	4096
#define KHO_MEM_NODE		"preserved-memory"
#define KHO_PAGE_SIZE		4096ULL
#define STATUS_MAX		(64 << 10)
#define BLOB_MAX		(16 << 20)
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* what /sys/kernel/debug/kho/status says */
struct kho_status {
	bool enabled;
	uint64_t root;
	unsigned int nr_scratch;
	struct kho_range {
		uint64_t addr;
		uint64_t size;
	} scratch[KHO_MAX_SCRATCH];
	char incoming[16];
	char reason[160];
	uint64_t in_root;
	long in_preserved, in_tracker, in_unclaimed;
	long alloc_outside, segments_refused;
};

/* khoctl.c: errors, files, status */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void *xmalloc(size_t size);
const char *kho_path(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
int read_all(const char *path, size_t max, uint8_t **buf, size_t *len);
uint8_t *read_file_or_die(const char *path, size_t max, size_t *len);
int parse_status(const char *text, struct kho_status *st);
void get_status(struct kho_status *st);
bool valid_name(const char *name);
const char *sysfs_dir(void);

/* status.c: the status command */
int cmd_status(int argc, char **argv);

/* check.c: would a kexec now lose something? */
int cmd_check(int argc, char **argv);

/* json.c: the --json writer */
void json_open(char c);
void json_close(char c);
void json_key(const char *k);
void json_str(const char *s);
void json_u64(uint64_t v);
void json_i64(int64_t v);
void json_double(double v);
void json_bool(bool v);
void json_hex(uint64_t v);
void json_dec(uint64_t v);
void json_schema(const char *name);

/* dts.c: FDT to DTS text */
bool dts_is_fdt(const void *blob, size_t len, const char **why);
int dts_print(FILE *f, const void *blob, size_t len, const char *what);
void hexdump(FILE *f, const void *buf, size_t len);

/* load.c: the load command, both paths */
int cmd_load(int argc, char **argv);
char *build_cmdline(const char *proc_cmdline, const char *append,
		    uint64_t kho_root);

/* sessions.c: the live update sessions, from sysfs */
struct lu_file_info {
	bool parsed;			/* token= and handler= found */
	uint64_t token;
	char handler[32];
	long long size;			/* outgoing; -1: not given */
	int retrieved;			/* incoming: 1, 0; -1: not given */
	char raw[192];			/* the line, for one not parsed */
};

struct lu_session_info {
	char name[64 + 8];
	bool incoming;
	unsigned long files_declared;	/* its files= */
	char state[16];			/* incoming: open, held, finished */
	long long restore_us;		/* incoming: its restore_us=, or -1 */
	unsigned int nr;
	struct lu_file_info *f;
};

struct lu_sessions {
	char records[64];		/* incoming_records: */
	unsigned int nr;
	struct lu_session_info *s;
};

int cmd_sessions(int argc, char **argv);
void parse_sessions(const char *text, struct lu_sessions *ls);
void free_sessions(struct lu_sessions *ls);
const char *sessions_path(void);
int read_sessions(struct lu_sessions *ls, uint8_t **text, size_t *len);

/* liveupdate.c: keep and take (/dev/liveupdate) */

int cmd_keep(int argc, char **argv);
int cmd_take(int argc, char **argv);

/* timeline.c: the kexec timeline */
int cmd_timeline(int argc, char **argv);
int kexec_generation(void);

/* kexec_user.c: the kexec_load(2) path, x86_64 boot protocol */
#define BZ_MAX_SEGMENTS	5

struct bzimage {
	const uint8_t *img;
	size_t len;
	size_t setup_size;		/* (setup_sects + 1) * 512 */
	size_t hdr_end;			/* 0x202 + img[0x201] */
	const uint8_t *payload;		/* the protected-mode kernel */
	size_t payload_len;
	uint16_t version;
	uint16_t xloadflags;
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint64_t pref_address;
};

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define E820_MAX_ZEROPAGE	128

struct e820_map {
	unsigned int nr;
	struct e820_entry e[E820_MAX_ZEROPAGE];
	char source[256];		/* where it was read from */
};

struct bz_segment {
	const char *what;
	const void *buf;
	size_t bufsz;
	uint64_t mem;
	uint64_t memsz;
};

struct bz_plan {
	unsigned int area;		/* index of the scratch area used */
	unsigned int nr;
	struct bz_segment seg[BZ_MAX_SEGMENTS];
	uint64_t kernel;		/* load address of the kernel */
	uint64_t boot_params;
	uint64_t cmdline;
	uint64_t initrd;
	uint64_t initrd_size;
	uint64_t entry;			/* the stub: kexec_load's entry */
	uint64_t end;			/* first byte after the last segment */
};

int bz_parse(const void *img, size_t len, struct bzimage *bz,
	     const char **err);
int bz_plan(const struct bzimage *bz, const struct kho_status *st,
	    size_t initrd_len, size_t cmdline_len, struct bz_plan *plan,
	    char *err, size_t errlen);
void bz_boot_params(uint8_t *bp, const struct bzimage *bz,
		    const struct bz_plan *plan, const struct e820_map *map,
		    uint64_t rsdp);
void bz_stub(uint8_t *page, uint64_t boot_params, uint64_t entry);
int e820_read(const char *sysfs, struct e820_map *map);
uint32_t e820_type(const char *name);
uint64_t rsdp_read(const char *sysfs);
int load_user(const char *kernel, const char *initrd, const char *cmdline,
	      const struct kho_status *st, bool dry_run, const char *save_dir);

#endif
