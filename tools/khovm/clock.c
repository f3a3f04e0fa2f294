// SPDX-License-Identifier: GPL-2.0
/*
 * clock.c - khovm's clock for a blackout that spans a kexec reboot.
 *
 * CLOCK_REALTIME does not do: the next kernel sets it from the RTC, to
 * the second. The kexec timeline (/sys/kernel/kexec_timeline) measures
 * the reboot on a clock that keeps counting across it, the TSC on x86
 * and the virtual counter on arm64, both readable from user space; its
 * last record holds that clock's rate as this kernel measured it and
 * the clock at the reboot request and at the start of user space. The
 * agent stamps the VM's stop and the end of its save with the same
 * clock, so the blackout and its phases add up, reboot included.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/kexec_timeline.h>

#include "khovm.h"

#define TIMELINE	"/sys/kernel/kexec_timeline"

/**
 * kclock() - the clock that keeps counting across a kexec reboot.
 *
 * Return: its value (TSC on x86, CNTVCT_EL0 on arm64; 0 elsewhere).
 */
uint64_t kclock(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return 0;
#endif
}

/**
 * kclock_reboot() - what the kexec timeline knows of the reboot that
 * started this kernel.
 * @r: filled with that record: its rate (in_khz) and clock points
 *
 * Return: 0, or -1 when this kernel was not booted by a recorded kexec
 * (cold boot, no timeline, no rate).
 */
int kclock_reboot(struct kexec_tl_record *r)
{
	static struct kexec_tl_history h;
	int fd = open(TIMELINE, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, &h, sizeof(h));
	close(fd);
	if (n < (ssize_t)sizeof(h) || h.magic != KEXEC_TL_HIST_MAGIC ||
	    h.version != KEXEC_TL_VERSION || !h.nr || h.nr >= KEXEC_TL_RECORDS)
		return -1;
	*r = h.rec[h.nr - 1];
	return r->magic == KEXEC_TL_MAGIC && r->in_khz ? 0 : -1;
}

/**
 * kclock_ms() - a span of kclock() in milliseconds.
 * @from: start
 * @to: end
 * @khz: the clock's rate
 *
 * Return: the span, or -1 when it is not known (no rate, or @to before @from).
 */
double kclock_ms(uint64_t from, uint64_t to, uint32_t khz)
{
	if (!khz || !from || !to || to < from)
		return -1;
	return (double)(to - from) / khz;
}
