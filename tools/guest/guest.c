// SPDX-License-Identifier: GPL-2.0
/*
 * guest.c - the guest the VM live update test runs under QEMU: a bare
 * multiboot program, so that it boots at once even under nested TCG.
 *
 * It fills all of its RAM above 2 MiB with a pattern drawn from a boot
 * id (the TSC at start), then checks the whole pattern over and over,
 * counting. After every pass it prints on the serial port
 *
 *   guest: boot=ID pass=N bad=B counter=C tsc_m=T
 *
 * boot, counter and pass carry on across a live update of the host (the
 * same guest, resumed, not restarted); bad counts pattern words that
 * differ (every byte checked by the guest itself); tsc_m is the guest's
 * clock in units of 2^20 cycles, which does not go back.
 */
#include <stdint.h>

struct mb_info {
	uint32_t flags, mem_lower, mem_upper;
};

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void putc_serial(char c)
{
	while (!(inb(0x3f8 + 5) & 0x20))
		;
	outb(0x3f8, c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void put_num(const char *key, uint32_t v, int hex)
{
	char buf[12];
	int i = 0;

	puts_serial(key);
	do {
		int d = hex ? v % 16 : v % 10;

		buf[i++] = d < 10 ? '0' + d : 'a' + d - 10;
		v = hex ? v / 16 : v / 10;
	} while (v);
	while (i)
		putc_serial(buf[--i]);
}

static inline uint32_t word(uint32_t boot, uint32_t i)
{
	return (i * 2654435761u) ^ boot;
}

/* kept in RAM like everything else: a resumed guest has them as they were */
static volatile uint32_t boot_id, counter, pass;
static volatile uint64_t tsc0;

void guest_main(struct mb_info *mb)
{
	uint32_t *mem = (uint32_t *)(2u << 20);
	uint32_t n, i, bad;

	/* RAM above 1 MiB, in KiB; leave the top MiB alone */
	n = ((mb->flags & 1 ? mb->mem_upper : 4096) * 1024u - (2u << 20)) / 4;
	tsc0 = rdtsc();
	boot_id = (uint32_t)tsc0 ^ (uint32_t)(tsc0 >> 32) ^ 0x6b686f76u;
	put_num("guest: start boot=", boot_id, 1);
	put_num(" words=", n, 0);
	puts_serial("\n");
	for (i = 0; i < n; i++)
		mem[i] = word(boot_id, i);
	for (;;) {
		bad = 0;
		for (i = 0; i < n; i++) {
			bad += mem[i] != word(boot_id, i);
			if (!(i & 0xffff))
				counter++;
		}
		pass++;
		put_num("guest: boot=", boot_id, 1);
		put_num(" pass=", pass, 0);
		put_num(" bad=", bad, 0);
		put_num(" counter=", counter, 0);
		put_num(" tsc_m=", (uint32_t)((rdtsc() - tsc0) >> 20), 0);
		puts_serial("\n");
	}
}
