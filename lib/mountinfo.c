// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

void bpfam_mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] -
 * FSTYPE SOURCE SUPER-OPTIONS".  Whether it mounts @path; if so, @m.
 */
static bool parse_line(char *line, const char *path, struct bpfam_mountinfo *m)
{
	char *save, *f, *mp = NULL, *opts, *type, *source;
	int i;

	f = strtok_r(line, " \n", &save);
	for (i = 0; f && i < 4; i++)
		f = strtok_r(NULL, " \n", &save);
	mp = f;
	if (!mp)
		return false;
	bpfam_mountinfo_unescape(mp);
	if (strcmp(mp, path))
		return false;
	opts = strtok_r(NULL, " \n", &save);
	if (!opts)
		return false;
	m->readonly = !strcmp(opts, "ro") || !strncmp(opts, "ro,", 3);
	while ((f = strtok_r(NULL, " \n", &save)) && strcmp(f, "-"))
		;
	type = strtok_r(NULL, " \n", &save);
	source = strtok_r(NULL, " \n", &save);
	if (!type || !source)
		return false;
	bpfam_mountinfo_unescape(type);
	bpfam_mountinfo_unescape(source);
	snprintf(m->fstype, sizeof(m->fstype), "%s", type);
	snprintf(m->source, sizeof(m->source), "%s", source);
	return true;
}

int bpfam_mountinfo_at(const char *path, struct bpfam_mountinfo *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t cap = 0;
	char *line = NULL;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	/* Later lines are mounted on top of earlier ones: keep the last. */
	while (getline(&line, &cap, f) > 0)
		if (parse_line(line, path, m))
			rc = 0;
	free(line);
	fclose(f);
	return rc;
}
