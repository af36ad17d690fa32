// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void bpfam_host_identity(uint8_t id[16], char name[BPFAM_HOSTNAME_MAX + 1])
{
	char hex[33] = "";
	FILE *f;
	int i;

	memset(id, 0, 16);
	f = fopen("/etc/machine-id", "r");
	if (f) {
		if (fscanf(f, "%32s", hex) != 1)
			hex[0] = '\0';
		fclose(f);
	}
	if (strlen(hex) == 32) {
		for (i = 0; i < 16; i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				memset(id, 0, 16);
				break;
			}
			id[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	if (gethostname(name, BPFAM_HOSTNAME_MAX + 1))
		strcpy(name, "unknown");
	name[BPFAM_HOSTNAME_MAX] = '\0';
}
