// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: a host registered on a bpfam without FUSE or a daemon, for
 * tests of host slots, liveness, eviction and fencing.
 *
 * usage: fakehost [--host-id ID] [--role client|primary] [--period MS]
 *                 [--hold-ms N] [--remote] DEVICE
 *
 * Mounts DEVICE as bpfamd would (primary: the metadata writer; client:
 * read-write data, metadata read-only; both hold the device's mount lock,
 * unless --remote: then it lets go of every lock, as a host on another
 * machine holds none here), joins a host slot, prints one line "joined slot N host-id ID pid P" and
 * beats every --period MS (default 100), playing new records before each
 * beat, like a client.  It leaves (frees its slot) after --hold-ms N
 * milliseconds, or at SIGTERM or SIGINT; without --hold-ms it stays until
 * then.  When a beat finds it fenced or evicted it acknowledges as a
 * fenced bpfamd does, says why on stderr and exits.
 *
 * Exit status: 0 left cleanly, 1 failure, 2 usage error, 3 fenced.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "clock.h"
#include "fs.h"
#include "host.h"

enum { EXIT_LEFT = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_FENCED = 3 };

struct opts {
	uint8_t id[16]; /* all zero: this machine's */
	uint32_t role;
	uint32_t period_ms;
	uint64_t hold_ms; /* 0: until a signal */
	bool remote;
	const char *device;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "fakehost: %s '%s'\n", why, arg);
	fprintf(stderr,
		"usage: fakehost [--host-id ID] [--role client|primary] [--period MS] [--hold-ms N] [--remote] DEVICE\n");
	return EXIT_USAGE;
}

static int number(const char *arg, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	return errno || end == arg || *end || arg[0] == '-' || *out > max ?
		       -1 : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{"host-id", required_argument, NULL, 'i'},
		{"role", required_argument, NULL, 'r'},
		{"period", required_argument, NULL, 'p'},
		{"hold-ms", required_argument, NULL, 't'},
		{"remote", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->role = BPFAM_ROLE_CLIENT;
	o->period_ms = 100;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (bpfam_host_id_parse(optarg, o->id))
				return usage("not a host id:", optarg);
			break;
		case 'r':
			if (!strcmp(optarg, "primary"))
				o->role = BPFAM_ROLE_PRIMARY;
			else if (strcmp(optarg, "client"))
				return usage("not a role:", optarg);
			break;
		case 'p':
			if (number(optarg, 60000, &v) || !v)
				return usage("not a period in ms:", optarg);
			o->period_ms = (uint32_t)v;
			break;
		case 't':
			if (number(optarg, UINT32_MAX, &o->hold_ms))
				return usage("not a time in ms:", optarg);
			break;
		case 'R':
			o->remote = true;
			break;
		default:
			return usage("bad option", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return usage("give one DEVICE, not",
			     optind < argc ? argv[optind + 1] : "none");
	o->device = argv[optind];
	return 0;
}

/*
 * A host on another machine holds no lock here: what stops mkfs for it is
 * the fence and its acknowledgement alone.
 */
static void drop_locks(const struct bpfam_device *dev)
{
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_len = 1};

	fcntl(dev->fd, F_OFD_SETLK, &fl);
	flock(dev->fd, LOCK_UN);
}

/*
 * Beat until told to stop.  A record that does not play is where this
 * host stops following, as a bpfamd client does.
 */
static int run(struct bpfam_host *h, const struct opts *o)
{
	uint64_t until = o->hold_ms ? bpfam_now_ms() + o->hold_ms : 0;
	struct bpfam_err err;
	uint64_t stuck = 0;
	int rc;

	while (!stop && (!until || bpfam_now_ms() < until)) {
		bpfam_sleep_ms(o->period_ms);
		rc = bpfam_host_beat(h, stuck, &err);
		if (rc == -ESTALE) {
			bpfam_host_ack_fence(h);
			fprintf(stderr, "fakehost: fenced: %s\n", err.msg);
			return EXIT_FENCED;
		}
		if (rc) {
			fprintf(stderr, "fakehost: %s\n", err.msg);
			return EXIT_FAILED;
		}
		if (!stuck && bpfam_fs_refresh(h->fs, NULL, &err) < 0) {
			stuck = h->fs->log.next_seq;
			fprintf(stderr, "fakehost: stopped following: %s\n",
				err.msg);
		}
	}
	bpfam_host_leave(h);
	return EXIT_LEFT;
}

int main(int argc, char **argv)
{
	struct bpfam_host h;
	struct bpfam_err err;
	struct bpfam_fs fs;
	struct opts o;
	char id[37];
	int rc;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	rc = bpfam_fs_mount(&fs, o.device,
			    o.role == BPFAM_ROLE_PRIMARY ? BPFAM_OPEN_WRITER :
							   BPFAM_OPEN_RDWR,
			    &err);
	if (rc)
		goto fail;
	if (o.remote)
		drop_locks(&fs.dev);
	rc = bpfam_host_join(&h, &fs, o.id, o.role, o.period_ms, NULL, &err);
	if (rc) {
		bpfam_fs_close(&fs);
		goto fail;
	}
	printf("joined slot %u host-id %s pid %u\n", h.slot.index,
	       bpfam_host_id_format(h.slot.host_id, id), h.slot.pid);
	fflush(stdout);
	rc = run(&h, &o);
	bpfam_fs_close(&fs);
	return rc;
fail:
	fprintf(stderr, "fakehost: %s\n", err.msg);
	return EXIT_FAILED;
}
