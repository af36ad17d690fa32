// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

static int suffix_shift(const char *s)
{
	static const char units[] = "KMGTP";
	const char *u;

	if (!*s)
		return 0;
	u = strchr(units, toupper((unsigned char)*s));
	if (!u)
		return -1;
	s++;
	if (*s && strcasecmp(s, "B") && strcasecmp(s, "iB"))
		return -1;
	return 10 * (int)(u - units + 1);
}

/*
 * The fraction of "1.5T": its digits at @s (after the point) times
 * 2^@shift, rounded down to whole bytes.  -1 when there are no digits or
 * too many to compute exactly (more than 18 is beyond a byte's precision
 * at any suffix anyway).
 */
static int fraction(const char *s, int shift, uint64_t *out, char **end)
{
	unsigned __int128 num = 0, den = 1;
	int n;

	for (n = 0; isdigit((unsigned char)s[n]); n++) {
		if (n == 18)
			return -1;
		num = num * 10 + (unsigned)(s[n] - '0');
		den *= 10;
	}
	if (!n)
		return -1;
	*out = (uint64_t)((num << shift) / den);
	*end = (char *)s + n;
	return 0;
}

int bpfam_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t frac = 0;
	char *end, *frac_at = NULL;
	int shift;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == '.')
		frac_at = ++end;
	while (isdigit((unsigned char)*end))
		end++;
	if (*end == 'b' || *end == 'B') {
		if (end[1])
			return -EINVAL;
		end++;
	}
	shift = suffix_shift(end);
	if (shift < 0)
		return -EINVAL;
	/* A fraction of a byte means nothing: "1.5" needs a suffix. */
	if (frac_at && (!shift || fraction(frac_at, shift, &frac, &end)))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	v <<= shift;
	if (frac > UINT64_MAX - v)
		return -EINVAL;
	*out = v + frac;
	return 0;
}

char *bpfam_fmt_size(uint64_t bytes, char *buf)
{
	static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
					    "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
	else if (v == (double)(uint64_t)v)
		snprintf(buf, 32, "%.0f %s", v, units[i]);
	else
		snprintf(buf, 32, "%.1f %s", v, units[i]);
	return buf;
}
