/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khovm.h - the VM live update agent's shared definitions.
 */
#ifndef KHOVM_H
#define KHOVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PG		4096UL
#define NAME_LEN	48
#define MAX_ARGS	128
#define SAMPLES		64
/* the hugetlb page sizes RAM may be in: 64 KiB to 16 GiB (log2) */
#define HUGE_SHIFT_MIN	16
#define HUGE_SHIFT_MAX	34
#define DESC_MAGIC	"khovm-v2"

/*
 * What a kept VM is: preserved in its session (token 3) and kept in
 * $KHOVM_DIR/NAME.vm while it runs. Read back only by the same agent.
 */
struct vm_desc {
	char magic[8];
	char name[NAME_LEN];
	char qemu[128];
	uint64_t ram_bytes;
	uint64_t state_bytes;
	double stopped_ms;		/* CLOCK_REALTIME, when it was stopped */
	uint64_t stop_clock;		/* kclock() then, and at the end of */
	uint64_t saved_clock;		/* its save */
	uint32_t nr_args;
	uint32_t args_len;
	uint32_t nr_samples;
	uint32_t ram_huge_shift;	/* hugetlb RAM: log2 of its page size; 0: shmem */
	struct {
		uint64_t page;
		uint64_t hash;
	} sample[SAMPLES];
	char args[8192];		/* QEMU's arguments, NUL-separated */
};

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
const char *vm_dir(void);
double now_ms(void);
int ram_samples(int fd, uint64_t size, struct vm_desc *d);
const char *ram_check(int fd, const struct vm_desc *d);

/* ram.c */
int ram_huge_shift(const char *arg);
const char *ram_kind(uint32_t huge_shift);
const char *ram_map(int fd, uint64_t bytes, uint32_t huge_shift, void **map);
int ram_create(const char *name, uint64_t bytes, uint32_t huge_shift);
int ram_huge_shift_of(int fd);

/* clock.c */
struct kexec_tl_record;
uint64_t kclock(void);
int kclock_reboot(struct kexec_tl_record *r);
double kclock_ms(uint64_t from, uint64_t to, uint32_t khz);

/* qmp.c */
int qmp_connect(const char *path);
int qmp_cmd(int q, const char *json, char *reply, size_t len);
int qmp_send_fd(int q, const char *name, int fd);
int qmp_wait_migration(int q, char *status, size_t len, int secs);

#endif
