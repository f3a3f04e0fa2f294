/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kho_shim.h - the few kernel interfaces KHO's tracker, state tree and
 * their KUnit tests use, for building the same source in user space (the
 * way tools/testing/radix-tree builds lib/xarray.c). Every linux/ and
 * kunit/ header in this directory includes only this file.
 *
 * "Physical" addresses are user addresses plus shim_phys_offset, so the
 * tracker's pointer arithmetic is exercised as in the kernel.
 */
#ifndef KHO_SHIM_H
#define KHO_SHIM_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt_env.h>
#include <libfdt.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef u64 phys_addr_t;
typedef uint64_t __u64;
typedef uint32_t __u32;

#define __init
#define noinline __attribute__((noinline))
#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x) __builtin_expect(!!(x), 1)
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define BITS_PER_LONG 64
#define BIT(n) (1UL << (n))
#define GFP_KERNEL 0
#define NR_PAGE_ORDERS 11
#define MAX_PAGE_ORDER 10

#define PFN_PHYS(pfn) ((phys_addr_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define cmpxchg(p, o, n) __sync_val_compare_and_swap((p), (o), (n))

/* Allocation: zeroed 4 KiB pages; shim_alloc_fail_after injects ENOMEM. */
extern long shim_alloc_fail_after;	/* < 0: never fail */
extern long shim_pages_allocated;
/* if set, pages come from here (the fuzz seed builder's fake RAM) */
extern void *(*shim_page_hook)(void);

static inline unsigned long get_zeroed_page(int gfp)
{
	void *p;

	(void)gfp;
	if (shim_alloc_fail_after == 0)
		return 0;
	if (shim_alloc_fail_after > 0)
		shim_alloc_fail_after--;
	if (shim_page_hook)
		return (unsigned long)shim_page_hook();
	p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p)
		return 0;
	memset(p, 0, PAGE_SIZE);
	__atomic_fetch_add(&shim_pages_allocated, 1, __ATOMIC_RELAXED);
	return (unsigned long)p;
}

static inline void free_page(unsigned long addr)
{
	if (shim_page_hook)
		return;
	if (addr)
		__atomic_fetch_sub(&shim_pages_allocated, 1, __ATOMIC_RELAXED);
	free((void *)addr);
}

extern uintptr_t shim_phys_offset;

static inline void *phys_to_virt(phys_addr_t p)
{
	return (void *)(uintptr_t)(p - shim_phys_offset);
}

static inline phys_addr_t virt_to_phys(const volatile void *v)
{
	return (uintptr_t)v + shim_phys_offset;
}

/* Bit operations with the kernel's semantics (atomic where it is). */
static inline bool test_and_set_bit(unsigned long nr, volatile unsigned long *a)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_or(&a[nr / BITS_PER_LONG], m, __ATOMIC_SEQ_CST) & m;
}

static inline bool test_and_clear_bit(unsigned long nr,
				      volatile unsigned long *a)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_and(&a[nr / BITS_PER_LONG], ~m,
				  __ATOMIC_SEQ_CST) & m;
}

static inline void set_bit(unsigned long nr, volatile unsigned long *a)
{
	__atomic_fetch_or(&a[nr / BITS_PER_LONG], 1UL << (nr % BITS_PER_LONG),
			  __ATOMIC_SEQ_CST);
}

static inline void clear_bit(unsigned long nr, volatile unsigned long *a)
{
	__atomic_fetch_and(&a[nr / BITS_PER_LONG], ~(1UL << (nr % BITS_PER_LONG)),
			   __ATOMIC_SEQ_CST);
}

static inline void __clear_bit(unsigned long nr, unsigned long *a)
{
	a[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}

static inline bool __test_and_set_bit(unsigned long nr, unsigned long *a)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);
	bool old = a[nr / BITS_PER_LONG] & m;

	a[nr / BITS_PER_LONG] |= m;
	return old;
}

static inline void __set_bit(unsigned long nr, unsigned long *a)
{
	a[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline bool test_bit(unsigned long nr, const volatile unsigned long *a)
{
	return (a[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

/* First bit at or after @off that is set in @a ^ @invert, or @size. */
static inline unsigned long shim_find_next(const unsigned long *a,
					   unsigned long size,
					   unsigned long off,
					   unsigned long invert)
{
	unsigned long w;

	if (off >= size)
		return size;
	w = (a[off / BITS_PER_LONG] ^ invert) & (~0UL << (off % BITS_PER_LONG));
	off &= ~(BITS_PER_LONG - 1UL);
	while (!w) {
		off += BITS_PER_LONG;
		if (off >= size)
			return size;
		w = a[off / BITS_PER_LONG] ^ invert;
	}
	off += __builtin_ctzl(w);
	return off < size ? off : size;
}

static inline unsigned long find_next_bit(const unsigned long *a,
					  unsigned long size,
					  unsigned long off)
{
	return shim_find_next(a, size, off, 0);
}

static inline unsigned long find_next_zero_bit(const unsigned long *a,
					       unsigned long size,
					       unsigned long off)
{
	return shim_find_next(a, size, off, ~0UL);
}

#define for_each_set_bit(bit, addr, size) \
	for ((bit) = find_next_bit((addr), (size), 0); (bit) < (size); \
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

static inline unsigned long __ffs(unsigned long x)
{
	return __builtin_ctzl(x);
}

#define ilog2(n) (63 - __builtin_clzl(n))

/* Locks, atomics, threads. */
struct mutex {
	pthread_mutex_t m;
};

#define mutex_init(l) pthread_mutex_init(&(l)->m, NULL)
#define mutex_lock(l) pthread_mutex_lock(&(l)->m)
#define mutex_unlock(l) pthread_mutex_unlock(&(l)->m)

typedef struct {
	int counter;
} atomic_t;

#define atomic_set(a, v) __atomic_store_n(&(a)->counter, (v), __ATOMIC_SEQ_CST)
#define atomic_read(a) __atomic_load_n(&(a)->counter, __ATOMIC_SEQ_CST)
#define atomic_inc(a) __atomic_fetch_add(&(a)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_dec_and_test(a) \
	(__atomic_sub_fetch(&(a)->counter, 1, __ATOMIC_SEQ_CST) == 0)

struct completion {
	pthread_mutex_t m;
	pthread_cond_t c;
	int done;
};

static inline void init_completion(struct completion *c)
{
	pthread_mutex_init(&c->m, NULL);
	pthread_cond_init(&c->c, NULL);
	c->done = 0;
}

static inline void complete(struct completion *c)
{
	pthread_mutex_lock(&c->m);
	c->done = 1;
	pthread_cond_broadcast(&c->c);
	pthread_mutex_unlock(&c->m);
}

static inline void wait_for_completion(struct completion *c)
{
	pthread_mutex_lock(&c->m);
	while (!c->done)
		pthread_cond_wait(&c->c, &c->m);
	pthread_mutex_unlock(&c->m);
}

struct task_struct {
	int (*fn)(void *data);
	void *data;
};

#define IS_ERR(p) (!(p))

struct task_struct *kthread_create(int (*fn)(void *), void *data,
				   const char *fmt, ...);
void wake_up_process(struct task_struct *t);
#define kthread_bind(t, cpu) ((void)(t), (void)(cpu))

static inline unsigned int num_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* prandom: xorshift64* with the kernel's interface. */
struct rnd_state {
	u64 s;
};

static inline void prandom_seed_state(struct rnd_state *r, u64 seed)
{
	r->s = seed ? seed : 1;
}

static inline u32 prandom_u32_state(struct rnd_state *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (r->s * 0x2545F4914F6CDD1DULL) >> 32;
}

/* KUnit, the subset the tests use. Output: flat TAP, one line a case. */
struct kunit {
	const char *name;
	int failed;
	void *allocs[64];
	int nallocs;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn) { .run_case = fn, .name = #fn }
#define kunit_test_suites(...) \
	struct kunit_suite *const kho_shim_suites[] = { __VA_ARGS__, NULL }

void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, int gfp);
void kunit_fail(struct kunit *test, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define KUNIT_FAIL(test, fmt, ...) \
	kunit_fail(test, __FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define KUNIT_BINARY(test, a, op, b, on_fail) do {			\
	typeof(a) _a = (a);						\
	typeof(b) _b = (b);						\
	if (!(_a op _b)) {						\
		kunit_fail(test, __FILE__, __LINE__,			\
			   "%s %s %s: %lld vs %lld", #a, #op, #b,	\
			   (long long)_a, (long long)_b);		\
		on_fail;						\
	}								\
} while (0)
#define KUNIT_EXPECT_EQ(t, a, b) KUNIT_BINARY(t, a, ==, b, (void)0)
#define KUNIT_EXPECT_GT(t, a, b) KUNIT_BINARY(t, a, >, b, (void)0)
#define KUNIT_EXPECT_TRUE(t, c) KUNIT_BINARY(t, !!(c), ==, 1, (void)0)
#define KUNIT_EXPECT_FALSE(t, c) KUNIT_BINARY(t, !!(c), ==, 0, (void)0)
#define KUNIT_ASSERT_EQ(t, a, b) KUNIT_BINARY(t, a, ==, b, return)
#define KUNIT_ASSERT_TRUE(t, c) KUNIT_BINARY(t, !!(c), ==, 1, return)
#define KUNIT_ASSERT_FALSE(t, c) KUNIT_BINARY(t, !!(c), ==, 0, return)
#define KUNIT_ASSERT_NOT_NULL(t, p) KUNIT_BINARY(t, !!(p), ==, 1, return)

#endif /* KHO_SHIM_H */
