// SPDX-License-Identifier: GPL-2.0
/*
 * vmexit VALUE: ends the qemu guest through the isa-debug-exit device at
 * I/O port 0xf4.  qemu then exits with status (VALUE << 1) | 1, so the host
 * reads 1 as "the guest reported success", 3 as "the guest reported
 * failures", and 0 (a panic, a poweroff) as "the guest never reported".
 * Static, so that it runs in the guest without libraries; needs
 * CONFIG_X86_IOPL_IOPERM in the guest kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long value;

	if (argc != 2) {
		fprintf(stderr, "usage: vmexit VALUE\n");
		return 2;
	}
	value = strtoul(argv[1], &end, 0);
	if (*argv[1] == '\0' || *end != '\0' || value > 127) {
		fprintf(stderr, "vmexit: bad value '%s' (0..127)\n", argv[1]);
		return 2;
	}
	if (ioperm(0xf4, 4, 1) != 0) {
		perror("vmexit: ioperm(0xf4)");
		return 1;
	}
	outl((unsigned int)value, 0xf4);
	/* Only reached without an isa-debug-exit device. */
	fprintf(stderr, "vmexit: the write to port 0xf4 did not end the VM\n");
	return 1;
}
