// SPDX-License-Identifier: GPL-2.0
/*
 * mmapcheck: the guest tests' mmap tool (busybox has none).
 *
 * FILE may be a regular file or a devdax device (then mapped from offset 0).
 *
 *   mmapcheck cmp FILE REF      mmap FILE shared, read-only; compare its
 *                               first size(REF) bytes with REF read by read()
 *   mmapcheck write FILE REF    copy REF into FILE through a shared writable
 *                               mapping of FILE (FILE must be big enough),
 *                               then msync (regular files; devdax needs
 *                               none).  On a device the mapping is rounded
 *                               up to 2 MiB, devdax's alignment here.
 *
 * Exit 0 when done/equal, 1 on a mismatch or an error (said on stderr).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAX_ALIGN ((size_t)2 << 20)

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		exit(1);
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		perror("malloc");
		exit(1);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			fprintf(stderr, "%s: short read\n", path);
			exit(1);
		}
		got += n;
	}
	close(fd);
	*len = got;
	return buf;
}

int main(int argc, char **argv)
{
	int wr, fd;
	size_t len, maplen, i;
	struct stat st;
	char *ref, *map;

	if (argc != 4 || (strcmp(argv[1], "cmp") && strcmp(argv[1], "write"))) {
		fprintf(stderr, "usage: mmapcheck cmp|write FILE REF\n");
		return 2;
	}
	wr = !strcmp(argv[1], "write");
	ref = slurp(argv[3], &len);
	fd = open(argv[2], wr ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[2]);
		return 1;
	}
	/* a device (/dev/daxX.Y) has no size here: trust mmap to refuse */
	if (len == 0 || (!S_ISCHR(st.st_mode) && (size_t)st.st_size < len)) {
		fprintf(stderr, "%s: size %lld, need %zu (non-zero)\n", argv[2],
			(long long)st.st_size, len);
		return 1;
	}
	/* devdax maps only whole units of its alignment (2 MiB here) */
	maplen = S_ISCHR(st.st_mode) ? (len + DAX_ALIGN - 1) & ~(DAX_ALIGN - 1) : len;
	map = mmap(NULL, maplen, wr ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (wr) {
		memcpy(map, ref, len);
		/* devdax has no fsync (msync fails EINVAL) and needs none */
		if (!S_ISCHR(st.st_mode) && msync(map, len, MS_SYNC) != 0) {
			perror("msync");
			return 1;
		}
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (map[i] != ref[i]) {
			fprintf(stderr, "%s: differs from %s at byte %zu\n",
				argv[2], argv[3], i);
			return 1;
		}
	}
	return 0;
}
