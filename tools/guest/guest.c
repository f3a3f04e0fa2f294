// SPDX-License-Identifier: GPL-2.0
/*
 * guest.c - the guest the VM live update test runs under QEMU: a bare
 * multiboot program, so that it boots at once even under nested TCG.
 *
 * It fills all of its RAM above 2 MiB with a pattern drawn from a boot
 * id (the TSC at start), then checks the whole pattern over and over,
 * counting. After every pass it prints on the serial port
 *
 *   guest: boot=ID pass=N bad=B counter=C tsc_m=T disk=N dbad=M
 *          clock_gap_ms=G
 *
 * boot, counter and pass carry on across a live update of the host (the
 * same guest, resumed, not restarted); bad counts pattern words that
 * differ (every byte checked by the guest itself); tsc_m is the guest's
 * clock in units of 2^20 cycles, which does not go back.
 *
 * With a disk (virtio-blk, legacy PCI: virtio.c), every pass also writes
 * a record of itself to one of RING sectors from sector 1 on, in turn,
 * then reads all of them back and checks every record it has written
 * and not yet overwritten: disk=N records checked, dbad=M wrong or
 * failed. A record is 128 words: the magic "KHOV", the boot id, the
 * pass, the counter, then word(boot ^ pass, 4..127). The host can check
 * the same records on the device while the guest is stopped.
 *
 * The guest's own view of a pause: its TSC stops with the VM (QEMU
 * saves and restores it), its RTC (CMOS) does not, since QEMU runs it
 * from the host's wall clock. At every tick of the RTC's seconds the
 * guest adds up the RTC's seconds and the TSC's (calibrated on the
 * seconds that were not a pause): clock_gap_ms= is how much further the
 * RTC went, about 0 while it runs; a pause adds its length, which the
 * guest sees one RTC tick after it resumes (QEMU 7.2 does not keep the
 * RTC's phase within the second across a migration, so the tick after
 * is early or late and the sum, not one interval, is the pause). It is
 * as right as the host's wall clock across the pause.
 */
#include <stdint.h>

#include "io.h"

struct mb_info {
	uint32_t flags, mem_lower, mem_upper;
};

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

#define RING		256
#define REC_MAGIC	0x4b484f56u

/* kept in RAM like everything else: a resumed guest has them as they were */
static volatile uint32_t boot_id, counter, pass;
static volatile uint64_t tsc0;
static int disk;
static uint32_t rec[128], dbuf[RING * 128];

static void make_rec(uint32_t *r, uint32_t p, uint32_t c)
{
	uint32_t i;

	r[0] = REC_MAGIC;
	r[1] = boot_id;
	r[2] = p;
	r[3] = c;
	for (i = 4; i < 128; i++)
		r[i] = word(boot_id ^ p, i);
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static uint32_t bcd(uint8_t v, int binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* the RTC's time of day in seconds, read twice to miss its update */
static uint32_t rtc_sod(void)
{
	uint32_t a, b;
	int bin = cmos(0x0b) & 4;

	do {
		a = bcd(cmos(0), bin) + 60 * bcd(cmos(2), bin) +
		    3600 * bcd(cmos(4) & 0x7f, bin);
		b = bcd(cmos(0), bin) + 60 * bcd(cmos(2), bin) +
		    3600 * bcd(cmos(4) & 0x7f, bin);
	} while (a != b);
	return a;
}

static volatile uint32_t last_sec = 0xff, last_sod, all_dr, norm_dr;
static volatile uint64_t last_tsc, all_dk, norm_dk, prev_dk;	/* TSC / 1024 */

/* @n / @d without libgcc's 64-bit division */
static uint64_t udiv(uint64_t n, uint64_t d)
{
	uint64_t q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = r << 1 | (n >> i & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << i;
		}
	}
	return q;
}

/* TSC / 1024 per second, from the seconds that were not a pause */
static uint64_t kcyc_per_s(void)
{
	return norm_dr ? udiv(norm_dk, norm_dr) : 0;
}

/*
 * How much further the RTC went than the TSC since the first tick, in
 * ms: 0 give or take a few while the guest runs, plus each pause.
 */
static int32_t clock_gap_ms(void)
{
	uint64_t k = kcyc_per_s();

	if (!k)
		return 0;
	return (int32_t)(all_dr * 1000 - (uint32_t)udiv(all_dk * 1000, k));
}

/* called often: on each tick of the RTC, add up its seconds and the TSC's */
static void clock_tick(void)
{
	uint32_t sec = cmos(0), sod, dr;
	uint64_t now, dk;

	if (sec == last_sec)
		return;
	now = rdtsc();
	sod = rtc_sod();
	if (last_sec != 0xff) {
		dr = (sod + 86400 - last_sod) % 86400;
		dk = (now - last_tsc) >> 10;
		/* a second like the one before (within 10%) calibrates the TSC */
		if (dr == 1 && dk * 10 > prev_dk * 9 && dk * 10 < prev_dk * 11) {
			norm_dk += dk;
			norm_dr++;
		}
		prev_dk = dr == 1 ? dk : 0;
		all_dk += dk;
		all_dr += dr;
	}
	last_sec = sec;
	last_sod = sod;
	last_tsc = now;
}

/* write pass @p's record, read the ring back, check it: records checked */
static uint32_t disk_pass(uint32_t p, uint32_t *dbad)
{
	uint32_t s, k = (p - 1) % RING, checked = 0, i;

	make_rec(rec, p, counter);
	if (vblk_rw(1, 1 + k, rec, sizeof(rec)) ||
	    vblk_rw(0, 1, dbuf, sizeof(dbuf))) {
		++*dbad;
		return 0;
	}
	for (s = 0; s < RING; s++) {
		uint32_t back = s <= k ? k - s : k - s + RING, q, *r;

		if (back >= p)
			continue;
		q = p - back;
		r = dbuf + s * 128;
		checked++;
		if (r[0] != REC_MAGIC || r[1] != boot_id || r[2] != q) {
			++*dbad;
			continue;
		}
		for (i = 4; i < 128; i++)
			if (r[i] != word(boot_id ^ q, i))
				break;
		*dbad += i != 128;
	}
	return checked;
}

void guest_main(struct mb_info *mb)
{
	uint32_t *mem = (uint32_t *)(2u << 20);
	uint32_t n, i, bad, dbad, checked;
	int32_t gap;

	/* RAM above 1 MiB, in KiB; leave the top MiB alone */
	n = ((mb->flags & 1 ? mb->mem_upper : 4096) * 1024u - (2u << 20)) / 4;
	tsc0 = rdtsc();
	boot_id = (uint32_t)tsc0 ^ (uint32_t)(tsc0 >> 32) ^ 0x6b686f76u;
	put_num("guest: start boot=", boot_id, 1);
	put_num(" words=", n, 0);
	disk = vblk_init();
	put_num(" disk=", disk < 0 ? 9 : disk, 0);
	puts_serial("\n");
	for (i = 0; i < n; i++)
		mem[i] = word(boot_id, i);
	for (;;) {
		bad = 0;
		for (i = 0; i < n; i++) {
			bad += mem[i] != word(boot_id, i);
			if (!(i & 0xffff)) {
				counter++;
				clock_tick();
			}
		}
		pass++;
		dbad = disk < 0;
		checked = disk > 0 ? disk_pass(pass, &dbad) : 0;
		put_num("guest: boot=", boot_id, 1);
		put_num(" pass=", pass, 0);
		put_num(" bad=", bad, 0);
		put_num(" counter=", counter, 0);
		put_num(" tsc_m=", (uint32_t)((rdtsc() - tsc0) >> 20), 0);
		put_num(" disk=", checked, 0);
		put_num(" dbad=", dbad, 0);
		gap = clock_gap_ms();
		put_num(gap < 0 ? " clock_gap_ms=-" : " clock_gap_ms=",
			gap < 0 ? -gap : gap, 0);
		puts_serial("\n");
	}
}
