// SPDX-License-Identifier: GPL-2.0
/*
 * bpfamd [-f] [-d] [-o OPTIONS] DEVICE MOUNTPOINT
 *
 * Everything that can refuse the mount is checked before anything is
 * mounted, each refusal one line on stderr and exit status 1 (2 for a bad
 * command line); only then does the daemon mount, go to the background and
 * serve until unmounted or signalled.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "fast.h"
#include "host.h"
#include "keeper.h"
#include "mountinfo.h"
#include "nodes.h"
#include "session.h"

#define PERIOD_DEFAULT_MS 100
#define PERIOD_MIN_MS     10
#define PERIOD_MAX_MS     10000

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static bool log_to_syslog;

void bpfamd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_to_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fputs("bpfamd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static const char usage_text[] =
	"usage: bpfamd [-f] [-d] [-o OPTION[,OPTION...]] DEVICE MOUNTPOINT\n"
	"\n"
	"Serve the bpfam filesystem on DEVICE (/dev/daxX.Y, or a regular file\n"
	"emulating one) at MOUNTPOINT.  Unmount with 'umount MOUNTPOINT' or\n"
	"'fusermount3 -u MOUNTPOINT'; SIGTERM and SIGINT unmount too.\n"
	"\n"
	"  -f                 stay in the foreground, log to stderr\n"
	"  -d, -o debug       -f, and trace every FUSE request on stderr\n"
	"  -o role=primary    write metadata (default when this host's\n"
	"                     /etc/machine-id is the filesystem's primary)\n"
	"  -o role=client     read metadata from the primary's log; data is\n"
	"                     read-write, metadata changes fail with EROFS\n"
	"  -o mode=auto       the kernel serves file data where it can (the\n"
	"                     kpatch/ fast path), else the daemon (default)\n"
	"  -o mode=fast       the kernel fast path, or refuse to mount\n"
	"  -o mode=fallback   the daemon serves all file data\n"
	"  -o host-id=ID      this mount's host id in the device's host slots\n"
	"                     (32 hex digits, a UUID; default /etc/machine-id);\n"
	"                     give each daemon on one machine its own\n"
	"  -o heartbeat=MS    heartbeat period: how often this host proves it\n"
	"                     is alive, follows the log (client) and reclaims\n"
	"                     space (primary); 10..10000, default 100\n"
	"  -o recover         mount read-only with the records before the\n"
	"                     first one that does not play, if any\n"
	"  -h, --help         this text\n"
	"\n"
	"See docs/sharing.md for host slots, delete and reclaim, and fencing.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("bpfamd: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int parse_period(struct bpfamd *d, const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || *end || v < PERIOD_MIN_MS || v > PERIOD_MAX_MS)
		return usage_error("-o heartbeat=%s: give milliseconds from "
				   "10 to 10000",
				   arg);
	d->period_ms = (uint32_t)v;
	return 0;
}

static int parse_option(struct bpfamd *d, const char *opt)
{
	if (!strncmp(opt, "host-id=", 8)) {
		if (bpfam_host_id_parse(opt + 8, d->host_id) ||
		    !memcmp(d->host_id, (uint8_t[16]){0}, 16))
			return usage_error("-o %s: give 32 hex digits (a UUID "
					   "or machine-id), not all zero",
					   opt);
	} else if (!strncmp(opt, "heartbeat=", 10)) {
		return parse_period(d, opt + 10);
	} else if (!strcmp(opt, "recover")) {
		d->recover = true;
	} else if (!strcmp(opt, "role=primary"))
		d->role = BPFAMD_ROLE_PRIMARY;
	else if (!strcmp(opt, "role=client"))
		d->role = BPFAMD_ROLE_CLIENT;
	else if (!strcmp(opt, "mode=auto"))
		d->mode = BPFAMD_MODE_AUTO;
	else if (!strcmp(opt, "mode=fast"))
		d->mode = BPFAMD_MODE_FAST;
	else if (!strcmp(opt, "mode=fallback"))
		d->mode = BPFAMD_MODE_FALLBACK;
	else if (!strcmp(opt, "debug"))
		d->debug = d->foreground = true;
	else
		return usage_error("unknown option '-o %s'", opt);
	return 0;
}

static int parse_options(struct bpfamd *d, char *list)
{
	char *opt, *save;
	int rc;

	for (opt = strtok_r(list, ",", &save); opt;
	     opt = strtok_r(NULL, ",", &save)) {
		rc = parse_option(d, opt);
		if (rc)
			return rc;
	}
	return 0;
}

/* Returns EXIT_OK to go on, -1 after --help, or EXIT_USAGE. */
static int parse_args(struct bpfamd *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, "+fdo:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			d->foreground = true;
			break;
		case 'd':
			d->debug = d->foreground = true;
			break;
		case 'o':
			rc = parse_options(d, optarg);
			if (rc)
				return rc;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return usage_error("%s", "expected DEVICE and MOUNTPOINT");
	d->device = argv[optind];
	return EXIT_OK;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bpfamd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int check_fuse_device(void)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT)
		return fail("/dev/fuse: missing; this kernel has no FUSE (try "
			    "'modprobe fuse')");
	return fail("/dev/fuse: %s", strerror(errno));
}

static int check_mountpoint(struct bpfamd *d, const char *given)
{
	struct bpfam_mountinfo mi;
	struct stat st;

	if (!realpath(given, d->mountpoint) || stat(d->mountpoint, &st)) {
		if (errno == ENOENT)
			return fail("%s: mountpoint does not exist", given);
		if (errno == ENOTCONN)
			return fail("%s: a dead FUSE mount (its daemon was "
				    "killed?); unmount it with 'umount -l %s'",
				    given, given);
		return fail("%s: %s", given, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return fail("%s: mountpoint is not a directory", given);
	if (!bpfam_mountinfo_at(d->mountpoint, &mi))
		return fail("%s: already a mount point (busy)", given);
	return 0;
}

/* Read the superblock without taking the writer lock, to pick the role. */
static int choose_role(struct bpfamd *d)
{
	char name[BPFAM_HOSTNAME_MAX + 1];
	struct bpfam_device dev;
	struct bpfam_sb_info sb;
	struct bpfam_err err;
	uint8_t id[16];
	int rc;

	rc = bpfam_device_open(&dev, d->device, BPFAM_OPEN_RDONLY, &err);
	if (!rc) {
		rc = bpfam_sb_read(&dev, &sb, &err);
		bpfam_device_close(&dev);
	}
	if (rc)
		return fail("%s", err.msg);
	if (d->recover) {
		d->role = BPFAMD_ROLE_RECOVER;
		return 0;
	}
	if (d->role != BPFAMD_ROLE_AUTO)
		return 0;
	bpfam_host_identity(id, name);
	if (memcmp(d->host_id, (uint8_t[16]){0}, 16))
		memcpy(id, d->host_id, sizeof(id));
	/* An all-zero id is every host without /etc/machine-id: two of them
	 * must not both take the writer role. */
	if (!memcmp(sb.primary_id, (uint8_t[16]){0}, sizeof(id)) ||
	    !memcmp(id, (uint8_t[16]){0}, sizeof(id))) {
		d->role = BPFAMD_ROLE_CLIENT;
		bpfamd_log(LOG_INFO,
			   "the filesystem names no primary host (made where "
			   "/etc/machine-id was missing): mounting as a client "
			   "(-o role=primary on the one host that writes)");
		return 0;
	}
	d->role = memcmp(id, sb.primary_id, sizeof(id)) ? BPFAMD_ROLE_CLIENT :
							  BPFAMD_ROLE_PRIMARY;
	if (d->role == BPFAMD_ROLE_CLIENT)
		bpfamd_log(LOG_INFO,
			   "this host is not the filesystem's primary ('%s'): "
			   "mounting as a client (-o role=primary to override)",
			   sb.primary_name);
	return 0;
}

static uint32_t slot_role(const struct bpfamd *d)
{
	switch (d->role) {
	case BPFAMD_ROLE_PRIMARY:
		return BPFAM_ROLE_PRIMARY;
	case BPFAMD_ROLE_RECOVER:
		return BPFAM_ROLE_RECOVER;
	default:
		return BPFAM_ROLE_CLIENT;
	}
}

/*
 * -o recover: every record up to the first that does not play, and stop
 * there (the daemon never follows further: d->stuck_seq).
 */
static int mount_recover(struct bpfamd *d, struct bpfam_err *err)
{
	struct bpfam_record *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return bpfam_err(err, ENOMEM, "out of memory");
	while ((rc = bpfam_fs_play_next(&d->fs, r, err)) == 1)
		;
	free(r);
	if (rc == -EBADMSG || rc == -EPROTONOSUPPORT) {
		d->stuck_seq = d->fs.log.next_seq;
		snprintf(d->stuck_msg, sizeof(d->stuck_msg), "%s", err->msg);
		bpfamd_log(LOG_WARNING,
			   "-o recover: %s; mounting read-only with records "
			   "1..%llu",
			   err->msg, (unsigned long long)d->stuck_seq - 1);
		return 0;
	}
	return rc;
}

static int mount_fs(struct bpfamd *d)
{
	struct bpfam_err err;
	char why[512];
	int rc;

	rc = bpfam_fs_init(&d->fs, d->device,
			   bpfamd_primary(d) ? BPFAM_OPEN_WRITER :
					       BPFAM_OPEN_RDWR,
			   &err);
	if (rc)
		return fail("%s", err.msg);
	/* Join before playing: see bpfam_fs_load(). */
	rc = bpfam_host_join(&d->host, &d->fs, d->host_id, slot_role(d),
			     d->period_ms, d->mountpoint, &err);
	if (!rc)
		rc = d->recover ? mount_recover(d, &err) :
				  bpfam_fs_load(&d->fs, &err);
	if (rc == -EBADMSG)
		fail("%s (-o recover mounts what precedes it, read-only)",
		     err.msg);
	else if (rc)
		fail("%s", err.msg);
	if (rc) {
		bpfam_host_leave(&d->host);
		bpfam_fs_close(&d->fs);
		return EXIT_FAIL;
	}
	if (d->fs.torn_bytes)
		bpfamd_log(LOG_NOTICE,
			   "%s: %s %llu bytes of a log append that never "
			   "completed (and was never acknowledged)",
			   d->device, d->fs.dev.writer ? "cleared" : "ignoring",
			   (unsigned long long)d->fs.torn_bytes);
	if (bpfamd_maps_open(&d->maps, &d->fs, why, sizeof(why)))
		bpfamd_log(LOG_WARNING,
			   "BPF unavailable (%s); serving in fallback mode "
			   "without published fmaps",
			   why);
	bpfamd_publish_all(d);
	return 0;
}


/* Before the FUSE mount: whether to try the fast path at all. */
static int choose_mode(struct bpfamd *d)
{
	if (d->mode == BPFAMD_MODE_FALLBACK || d->recover) {
		snprintf(d->mode_reason, sizeof(d->mode_reason), "%s",
			 d->recover ? "-o recover" : "-o mode=fallback");
		return 0;
	}
	if (!bpfamd_fast_check(d))
		return 0;
	if (d->mode == BPFAMD_MODE_FAST)
		return fail("mode=fast: %s; use mode=auto or mode=fallback",
			    d->mode_reason);
	return 0;
}

/* After the FUSE mount: EXIT_FAIL only when mode=fast cannot be had. */
static int start_mode(struct bpfamd *d, struct fuse_session *se)
{
	/* A reason already: choose_mode() settled on fallback. */
	if (d->mode_reason[0])
		return 0;
	if (!bpfamd_fast_start(d, se) || d->mode != BPFAMD_MODE_FAST)
		return 0;
	return fail("mode=fast: %s; use mode=auto or mode=fallback",
		    d->mode_reason);
}

static void announce(const struct bpfamd *d)
{
	char uuid[37], mode[sizeof(d->mode_reason) + 32];

	uuid_unparse_lower(d->fs.sb.uuid, uuid);
	if (d->fast)
		snprintf(mode, sizeof(mode), "fast mode");
	else
		snprintf(mode, sizeof(mode), "fallback mode (%s)",
			 d->mode_reason);
	bpfamd_log(LOG_INFO,
		   "serving %s (bpfam %s: %llu files, %llu directories) at %s "
		   "as the %s, %s%s%s",
		   d->device, uuid, (unsigned long long)d->fs.nfiles,
		   (unsigned long long)d->fs.ndirs, d->mountpoint,
		   bpfamd_role_name(d), mode,
		   d->maps.skel ? "; fmaps pinned in " : "",
		   d->maps.skel ? d->maps.dir : "");
}

static struct fuse_session *new_session(struct bpfamd *d)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	char *opts = NULL, *fsname = NULL, abs[PATH_MAX];

	/* Absolute: bpfam hosts, host evict and flush find the device by
	 * it.  A shared filesystem for every user, permissions by the kernel. */
	if (asprintf(&fsname, "fsname=%s",
		     realpath(d->device, abs) ? abs : d->device) < 0)
		return NULL;
	if (fuse_opt_add_arg(&args, "bpfamd") ||
	    fuse_opt_add_opt(&opts,
			     "default_permissions,allow_other,subtype=bpfam") ||
	    (d->recover && fuse_opt_add_opt(&opts, "ro")) ||
	    fuse_opt_add_opt_escaped(&opts, fsname) ||
	    fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, opts) ||
	    (d->debug && fuse_opt_add_arg(&args, "-d")))
		goto out;
	se = fuse_session_new(&args, &bpfamd_ops, sizeof(bpfamd_ops), d);
out:
	fuse_opt_free_args(&args);
	free(opts);
	free(fsname);
	return se;
}

static int run_loop(struct bpfamd *d, struct fuse_session *se)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	pthread_t keeper;
	int rc;

	if (!cfg)
		return -ENOMEM;
	rc = bpfamd_keeper_start(d, &keeper);
	if (rc) {
		bpfamd_log(LOG_ERR, "cannot start the keeper thread: %s",
			   strerror(-rc));
		fuse_loop_cfg_destroy(cfg);
		return rc;
	}
	rc = fuse_session_loop_mt(se, cfg);
	bpfamd_keeper_stop(d, keeper);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

static void go_background(struct bpfamd *d)
{
	if (d->foreground)
		return;
	openlog("bpfamd", LOG_PID, LOG_DAEMON);
	log_to_syslog = true;
}

static int serve(struct bpfamd *d)
{
	struct fuse_session *se = new_session(d);
	int rc = EXIT_FAIL;

	if (!se)
		return fail("cannot start a FUSE session");
	if (fuse_set_signal_handlers(se)) {
		fail("cannot install signal handlers");
		goto destroy;
	}
	/* libfuse says why on stderr. */
	if (fuse_session_mount(se, d->mountpoint)) {
		fail("%s: cannot mount", d->mountpoint);
		goto signals;
	}
	d->se = se;
	if (bpfamd_session_hook(se)) {
		fail("cannot hook the FUSE session");
		goto unmount;
	}
	if (start_mode(d, se))
		goto unmount;
	announce(d);
	if (fuse_daemonize(d->foreground))
		goto unmount;
	go_background(d);
	rc = run_loop(d, se) < 0 ? EXIT_FAIL : EXIT_OK;
	bpfamd_log(LOG_INFO, "unmounting %s", d->mountpoint);
unmount:
	bpfamd_fast_stop(d);
	fuse_session_unmount(se);
    signals:
	fuse_remove_signal_handlers(se);
destroy:
	fuse_session_destroy(se);
	return rc;
}

int main(int argc, char **argv)
{
	static struct bpfamd d = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	int rc;

	/* A fence must not wait behind a stream of reads and writes. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d.io, &ra);
	pthread_rwlockattr_destroy(&ra);

	/* The keeper's waits must not stall when the wall clock steps. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d.stop, &ca);
	pthread_condattr_destroy(&ca);

	rc = parse_args(&d, argc, argv);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (geteuid())
		return fail("must run as root (needs /dev/fuse mount and the "
			    "devdax device)");
	if (!d.period_ms)
		d.period_ms = PERIOD_DEFAULT_MS;
	if (check_fuse_device() || check_mountpoint(&d, argv[argc - 1]) ||
	    choose_role(&d) || mount_fs(&d))
		return EXIT_FAIL;
	rc = choose_mode(&d);
	if (!rc)
		rc = serve(&d);
	bpfam_host_leave(&d.host);
	pthread_mutex_lock(&d.lock);
	/* Unpinning drops the maps whole: no need to delete 100k keys. */
	bpfamd_maps_close(&d.maps);
	pthread_mutex_unlock(&d.lock);
	bpfam_fs_close(&d.fs);
	free(d.nodes);
	return rc;
}
