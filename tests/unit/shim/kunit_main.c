// SPDX-License-Identifier: GPL-2.0
/*
 * kunit_main.c - run the KUnit suites of a kernel test file in user space
 * and print one TAP line per case ("ok N suite.case").
 */
#include "kho_shim.h"

extern struct kunit_suite *const kho_shim_suites[];

long shim_alloc_fail_after = -1;
long shim_pages_allocated;
void *(*shim_page_hook)(void);
uintptr_t shim_phys_offset;

struct shim_thread {
	struct task_struct task;
};

static void *shim_thread_fn(void *arg)
{
	struct shim_thread *t = arg;

	t->task.fn(t->task.data);
	free(t);
	return NULL;
}

struct task_struct *kthread_create(int (*fn)(void *), void *data,
				   const char *fmt, ...)
{
	struct shim_thread *t = calloc(1, sizeof(*t));

	(void)fmt;
	if (!t)
		return NULL;
	t->task.fn = fn;
	t->task.data = data;
	return &t->task;
}

void wake_up_process(struct task_struct *task)
{
	struct shim_thread *t = (struct shim_thread *)task;
	pthread_t tid;

	/* the thread frees @t when done: do not touch it after create */
	if (pthread_create(&tid, NULL, shim_thread_fn, t)) {
		perror("pthread_create");
		exit(2);
	}
	pthread_detach(tid);
}

void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, int gfp)
{
	void *p;

	(void)gfp;
	if (test->nallocs == ARRAY_SIZE(test->allocs))
		return NULL;
	p = calloc(n, size);
	if (p)
		test->allocs[test->nallocs++] = p;
	return p;
}

void kunit_fail(struct kunit *test, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	printf("# %s: %s:%d: ", test->name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	test->failed = 1;
}

int main(void)
{
	int n = 0, failed = 0;

	printf("TAP version 13\n");
	for (int s = 0; kho_shim_suites[s]; s++) {
		struct kunit_suite *suite = kho_shim_suites[s];

		for (struct kunit_case *c = suite->test_cases; c->run_case; c++) {
			struct kunit test = { .name = c->name };
			long before = shim_pages_allocated;

			c->run_case(&test);
			/* Threads may still be exiting: give them a moment. */
			for (int i = 0; i < test.nallocs; i++)
				free(test.allocs[i]);
			if (shim_pages_allocated != before)
				kunit_fail(&test, __FILE__, __LINE__,
					   "%ld pages leaked",
					   shim_pages_allocated - before);
			shim_alloc_fail_after = -1;
			printf("%sok %d %s.%s\n", test.failed ? "not " : "", ++n,
			       suite->name, c->name);
			failed += test.failed;
		}
	}
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
