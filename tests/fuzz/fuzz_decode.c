// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for everything that reads untrusted media: the input is
 * taken as a superblock and as a run of log records, each decoded as a
 * reader would.  Decoders must reject garbage with an error, never crash,
 * overrun or loop; ASan and UBSan watch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "sb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sb(const uint8_t *data, size_t size)
{
	struct bpfam_sb_info info;
	struct bpfam_sb sb;

	memset(&sb, 0, sizeof(sb));
	memcpy(&sb, data, size < sizeof(sb) ? size : sizeof(sb));
	bpfam_sb_decode(&sb, 1ULL << 40, "fuzz", &info, NULL);
}

static void fuzz_log(const uint8_t *data, size_t size)
{
	static struct bpfam_record r;
	uint64_t off = 0, seq = 1;
	uint8_t *copy;
	long len;

	/* A private, exactly sized copy so ASan sees any overrun. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return;
	memcpy(copy, data, size);
	while (off < size) {
		len = bpfam_record_decode(copy + off, size - off, seq, "fuzz",
					  &r, NULL);
		if (len <= 0)
			break;
		off += (uint64_t)len;
		seq++;
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sb(data, size);
	fuzz_log(data, size);
	return 0;
}
