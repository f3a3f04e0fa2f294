/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rig.h - shared state and helpers of the VM rig's init and its scenarios.
 */
#ifndef RIG_H
#define RIG_H

#include <stddef.h>
#include <stdint.h>

/* the kernel the chain kexecs into, as the architecture boots it */
#ifdef __aarch64__
#define RIG_ARM64	1
#define RIG_KERNEL	"/boot/Image"
#else
#define RIG_ARM64	0
#define RIG_KERNEL	"/boot/bzImage"
#endif

struct rig {
	int gen;	/* this generation, 1 = cold boot */
	int gens;	/* last generation of the chain */
	int failed;	/* number of failed checks so far */
	int loaded;	/* the next kernel is loaded (rig_kexec_file()) */
	int nr_next;	/* rig.next.KEY=VAL words: changes for the next gen */
	char next_key[8][32];
	char next_val[8][64];
	int next_gen[8];	/* 0: every generation, else only this one */
};

extern struct rig rig;

void rig_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rig_tap(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *rig_param(const char *key, char *buf, size_t len);
long rig_param_long(const char *key, long def);
int rig_read_file(const char *path, void *buf, size_t len);
int rig_write_file(const char *path, const char *val);
int rig_kexec_file(void);
int rig_kexec_user(char *next, size_t len);
int rig_kexec_tools(char *next, size_t len);
int rig_kexec_cover(char *next, size_t len);
void rig_next_set(const char *key, const char *val);
int rig_run(char *const argv[], char *out, size_t len);
long rig_free_bytes(void);
long rig_meminfo(const char *key);

/* shmem's THP policy: "always" puts memfds in huge folios */
#define THP_KNOB	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
int rig_run_block(char *const argv[], const char *tag);
int rig_khoctl_json(const char *cmd);
int scenario_user(void);
void scenario_harden(void);
void scenario_liveupdate(void);
void scenario_lu_memfd(void);
void scenario_lu_lazy(void);
void scenario_lu_hole(void);
void scenario_lu_race(void);
void scenario_lu_damage(void);
void scenario_lu_swap(void);
void scenario_lu_nomem(void);
void scenario_lu_rules(void);
void scenario_lu_dio(void);
void scenario_lu_huge(void);
void scenario_lu_hbench(void);
void scenario_tl_cover(void);
void scenario_lu_vm(void);
void scenario_lu_vmbench(void);

/* tools/guest's status line, read from its serial log (lu_vm.c) */
struct guest_line {
	unsigned long boot, pass, bad, counter, tsc, disk, dbad;
	long gap;
};

int guest_last_line(const char *serial, struct guest_line *g);
int guest_wait_pass(const char *serial, unsigned long want, int secs,
		    struct guest_line *g);
int rig_khovm(char *const argv[], const char *tag, const char *what,
	      char *out, size_t len);
/* the VM tools' image (QEMU, khovm, the guest) at /usr (lu_vm.c) */
int rig_mount_vm_usr(const char *tag);
#define RIG_KHOVM	"/usr/bin/khovm"
#define RIG_GUEST	"/usr/share/khovm/guest.elf"

/* /dev/liveupdate for the scenarios (lu_memfd.c): fds or -errno */
int lu_dev(const char *who);	/* opened, with a TAP line for @who */
/*
 * rig.@who=N set: open /dev/liveupdate, run @gen1 or (later generations)
 * @gen2 on it; the device, or -1 when not run
 */
int lu_run_gens(const char *who, void (*gen1)(int dev), void (*gen2)(int dev));
int lu_ioc_session(int dev, unsigned long cmd, const char *name);
int lu_ioc_preserve(int s, int fd, uint64_t token);
int lu_ioc_retrieve_fd(int s, uint64_t token);
int lu_ioc_finish(int s);
/* the test pattern: word @i of the memfd @token */
uint64_t lu_word(uint64_t token, uint64_t i);
/* write the pattern of @token at [@off, @off + @len): 0 or -1 */
int lu_fill(int fd, uint64_t off, uint64_t len, uint64_t token);
/* bytes there that differ from it (or from zero), -1 on a short read */
long lu_check(int fd, uint64_t off, uint64_t len, uint64_t token, int zero);
/* a child holds session @s through the kexec; closes @s here */
void lu_hold(int s);

const char *cmdline_get(const char *cmdline, const char *key, char *buf,
			size_t len);
int cmdline_set(char *out, size_t len, const char *cmdline, const char *key,
		const char *value);
const char *kv_get(const char *text, const char *key, char *buf, size_t len);
long kv_long(const char *text, const char *key, long def);
int kv_scratch(const char *text, unsigned int i, unsigned long *addr,
	       unsigned long *size);

#endif
