// SPDX-License-Identifier: GPL-2.0
/*
 * virtio.c - a polled driver for a legacy virtio-blk PCI device
 * (QEMU's "-device virtio-blk-pci,disable-modern=on"), enough for the
 * test guest to write records to its own disk and read them back.
 *
 * One virtqueue, one request at a time: a 16-byte request header, the
 * data, a status byte, chained in descriptors 0..2. The guest never
 * enables interrupts; it spins on the used ring's index. The ring and
 * the driver's own counters are in guest RAM, so a guest resumed by a
 * live update of its host carries on with the same queue, whose state
 * QEMU saved with the device (vmstate of virtio-blk).
 */
#include "io.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define VENDOR_VIRTIO	0x1af4
#define DEV_BLK_LEGACY	0x1001

/* legacy virtio PCI registers, offsets in I/O BAR 0 */
#define VIO_GUEST_FEAT	0x04
#define VIO_QUEUE_PFN	0x08
#define VIO_QUEUE_SIZE	0x0c
#define VIO_QUEUE_SEL	0x0e
#define VIO_NOTIFY	0x10
#define VIO_STATUS	0x12

#define ST_ACK		1
#define ST_DRIVER	2
#define ST_DRIVER_OK	4

#define D_NEXT		1
#define D_WRITE		2

#define MAX_QUEUE	1024

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vreq {
	uint32_t type, reserved;
	uint64_t sector;
};

/* desc (16 x 1024) + avail, then used on the next 4 KiB: 32 KiB is enough */
static uint8_t ring[8 << 12] __attribute__((aligned(4096)));
static struct vreq req;
static volatile uint8_t status;
static uint16_t iobase, qsize, used_seen;

static uint32_t pci_read(uint32_t dev, uint32_t reg)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (reg & 0xfc));
	return inl(PCI_DATA);
}

static void pci_write(uint32_t dev, uint32_t reg, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (reg & 0xfc));
	outl(PCI_DATA, v);
}

/**
 * vblk_init() - find the legacy virtio-blk device on bus 0 and set up
 * its queue.
 *
 * Return: 1 if the guest has a disk, 0 if not, -1 if it is unusable.
 */
int vblk_init(void)
{
	uint32_t dev, id = 0, bar;

	for (dev = 0; dev < 32; dev++) {
		id = pci_read(dev, 0);
		if ((id & 0xffff) == VENDOR_VIRTIO && id >> 16 == DEV_BLK_LEGACY)
			break;
	}
	if (dev == 32)
		return 0;
	bar = pci_read(dev, 0x10);
	if (!(bar & 1))
		return -1;
	iobase = bar & 0xfffc;
	/* I/O space and bus mastering (the device writes the used ring) */
	pci_write(dev, 0x04, (pci_read(dev, 0x04) & 0xffff) | 0x5);

	outb(iobase + VIO_STATUS, 0);
	outb(iobase + VIO_STATUS, ST_ACK);
	outb(iobase + VIO_STATUS, ST_ACK | ST_DRIVER);
	outl(iobase + VIO_GUEST_FEAT, 0);
	outw(iobase + VIO_QUEUE_SEL, 0);
	qsize = inw(iobase + VIO_QUEUE_SIZE);
	if (!qsize || qsize > MAX_QUEUE)
		return -1;
	outl(iobase + VIO_QUEUE_PFN, (uint32_t)ring >> 12);
	outb(iobase + VIO_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	used_seen = 0;
	return 1;
}

/**
 * vblk_rw() - read or write @len bytes at 512-byte @sector, waiting
 * for the device.
 * @write: 1 to write @buf to the disk, 0 to read into it
 * @sector: first sector
 * @buf: guest RAM (physical address = pointer, paging is off)
 * @len: a multiple of 512
 *
 * Return: 0, or the device's non-zero status.
 */
int vblk_rw(int write, uint32_t sector, void *buf, uint32_t len)
{
	struct vdesc *d = (struct vdesc *)ring;
	volatile uint16_t *avail = (uint16_t *)(ring + 16 * qsize);
	uint32_t used_off = (16 * qsize + 6 + 2 * qsize + 4095) & ~4095u;
	volatile uint16_t *used = (uint16_t *)(ring + used_off);
	uint16_t idx;

	req.type = write;
	req.reserved = 0;
	req.sector = sector;
	status = 0xff;
	d[0] = (struct vdesc){ (uint32_t)&req, sizeof(req), D_NEXT, 1 };
	d[1] = (struct vdesc){ (uint32_t)buf, len,
			       D_NEXT | (write ? 0 : D_WRITE), 2 };
	d[2] = (struct vdesc){ (uint32_t)&status, 1, D_WRITE, 0 };
	idx = avail[1];
	avail[2 + idx % qsize] = 0;
	barrier();
	avail[1] = idx + 1;
	barrier();
	outw(iobase + VIO_NOTIFY, 0);
	while (used[1] == used_seen)
		barrier();
	used_seen++;
	barrier();
	return status;
}
