/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest.S - multiboot entry of the test guest (32-bit protected mode,
 * paging off, as a multiboot loader such as QEMU's -kernel leaves it).
 */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002		/* magic */
	.long 0x00000003		/* page-aligned modules, memory info */
	.long -(0x1badb002 + 0x00000003)

	.text
	.globl _start
_start:
	movl $stack_top, %esp
	pushl %ebx			/* the multiboot information */
	call guest_main
1:	hlt
	jmp 1b

	.bss
	.align 16
	.space 16384
stack_top:
	.section .note.GNU-stack, "", @progbits
