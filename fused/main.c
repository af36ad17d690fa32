// SPDX-License-Identifier: GPL-2.0
/*
 * bpfamd [-f] [-d] [-s] [-o OPTIONS] DEVICE MOUNTPOINT [-o OPTIONS]
 *
 * Options are libfuse's (fuse_opt_parse, fuse_parse_cmdline), so the
 * standard FUSE ones work, and may follow the operands as mount.fuse3
 * puts them.  Everything that can refuse the mount is checked before
 * anything is mounted, each refusal one line on stderr and exit status 1
 * (2 for a bad command line); only then does the daemon mount, go to the
 * background and serve until unmounted or signalled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "bpfam/version.h"
#include "data.h"
#include "fast.h"
#include "host.h"
#include "keeper.h"
#include "lending.h"
#include "log.h"
#include "mountinfo.h"
#include "nodes.h"
#include "notify.h"
#include "memerr.h"
#include "session.h"

#define PERIOD_DEFAULT_MS 100
#define PERIOD_MIN_MS	  10
#define PERIOD_MAX_MS	  10000

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage_line[] =
	"usage: %s [-f] [-d] [-s] [-o OPTION[,OPTION...]] DEVICE MOUNTPOINT\n";

static const char help_text[] =
	"\n"
	"Serve the bpfam filesystem on DEVICE (/dev/daxX.Y, or a regular\n"
	"file emulating one) at MOUNTPOINT.  Unmount with 'umount\n"
	"MOUNTPOINT' or 'fusermount3 -u MOUNTPOINT'; SIGTERM and SIGINT\n"
	"unmount too.  Options may come before or after the operands, so\n"
	"that mount(8) works too: 'mount -t fuse.bpfamd DEVICE MOUNTPOINT\n"
	"-o OPTIONS' (through mount.fuse3).\n"
	"\n"
	"bpfam options:\n"
	"    -o role=primary    write metadata (default when this host's\n"
	"                       /etc/machine-id is the filesystem's\n"
	"                       primary)\n"
	"    -o role=client     read metadata from the primary's log; data\n"
	"                       is read-write inside each file's size;\n"
	"                       metadata and size changes fail: EROFS\n"
	"    -o mode=auto       the kernel serves file data where it can\n"
	"                       (the kpatch/ fast path), else the daemon\n"
	"                       (default)\n"
	"    -o mode=fast       the kernel fast path, or refuse to mount\n"
	"    -o mode=fallback   the daemon serves all file data\n"
	"    -o host-id=ID      this mount's host id in the device's host\n"
	"                       slots (32 hex digits, a UUID; default\n"
	"                       /etc/machine-id); give each daemon on one\n"
	"                       machine its own\n"
	"    -o heartbeat=MS    heartbeat period: how often this host\n"
	"                       proves it is alive, follows the log\n"
	"                       (client), logs the sizes of files being\n"
	"                       written and reclaims space (primary);\n"
	"                       10..10000, default 100\n"
	"    -o recover         mount read-only with the records before the\n"
	"                       first one that does not play, if any\n"
	"    -o size_once       the famfs rule: a file keeps the size it was\n"
	"                       first given (resizes EPERM, writes past the\n"
	"                       end EFBIG or short)\n"
	"    -o debug, -d       stay in the foreground, log at debug level\n"
	"                       and trace every FUSE request\n"
	"    -o ro              mount read-only: the kernel refuses every\n"
	"                       write and metadata change (EROFS), and the\n"
	"                       fast path gets the device read-only (a\n"
	"                       remount rw does not undo that); the role is\n"
	"                       kept\n"
	"\n"
	"On a kernel whose device-dax can lend memory to a filesystem, the\n"
	"fast path lends DEVICE's data range to the kernel at mount\n"
	"(/dev/daxX.Y then maps only the metadata, and must not be open in\n"
	"another process) and gives it back at exit; after a SIGKILL,\n"
	"'bpfam lend --none DEVICE' gives it back by hand.\n"
	"\n"
	"bpfamd always mounts with -o allow_other,default_permissions (a\n"
	"shared filesystem, permissions checked by the kernel).  Logs go to\n"
	"stderr with -f, else to syslog (the journal).  See docs/daemon.md\n"
	"and docs/sharing.md.\n"
	"\n"
	"FUSE options:\n";

/* bpfam's own -o options; fuse_opt_parse() leaves the rest to libfuse. */
struct own_opts {
	char *role;
	char *mode;
	char *host_id;
	char *heartbeat;
	int recover;
	int size_once;
	const char *operands[2];
	int noperands;
	bool extra; /* a third operand */
};

#define OWN_OPT(t, f, v)                                                       \
	{                                                                      \
		t, offsetof(struct own_opts, f), v                             \
	}

static const struct fuse_opt own_opt_spec[] = {
	OWN_OPT("role=%s", role, 0),
	OWN_OPT("mode=%s", mode, 0),
	OWN_OPT("host-id=%s", host_id, 0),
	OWN_OPT("heartbeat=%s", heartbeat, 0),
	OWN_OPT("recover", recover, 1),
	OWN_OPT("size_once", size_once, 1),
	FUSE_OPT_END,
};

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpfamd_vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	fprintf(stderr, usage_line, bpfamd_progname());
	return EXIT_USAGE;
}

/* DEVICE and MOUNTPOINT, wherever they are; every option goes on. */
static int take_operand(void *data, const char *arg, int key,
			struct fuse_args *out)
{
	struct own_opts *o = data;

	(void)out;
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	if (o->noperands == 2) {
		o->extra = true;
		return 0;
	}
	o->operands[o->noperands++] = arg;
	return 0;
}

static int set_period(struct bpfamd *d, const char *arg)
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

static int set_role(struct bpfamd *d, const char *arg)
{
	if (!strcmp(arg, "primary"))
		d->role = BPFAMD_ROLE_PRIMARY;
	else if (!strcmp(arg, "client"))
		d->role = BPFAMD_ROLE_CLIENT;
	else
		return usage_error("-o role=%s: give primary or client", arg);
	return 0;
}

static int set_mode(struct bpfamd *d, const char *arg)
{
	if (!strcmp(arg, "auto"))
		d->mode = BPFAMD_MODE_AUTO;
	else if (!strcmp(arg, "fast"))
		d->mode = BPFAMD_MODE_FAST;
	else if (!strcmp(arg, "fallback"))
		d->mode = BPFAMD_MODE_FALLBACK;
	else
		return usage_error("-o mode=%s: give auto, fast or fallback",
				   arg);
	return 0;
}

static int set_own(struct bpfamd *d, const struct own_opts *o)
{
	if (o->role && set_role(d, o->role))
		return EXIT_USAGE;
	if (o->mode && set_mode(d, o->mode))
		return EXIT_USAGE;
	if (o->heartbeat && set_period(d, o->heartbeat))
		return EXIT_USAGE;
	if (o->host_id && (bpfam_host_id_parse(o->host_id, d->host_id) ||
			   !memcmp(d->host_id, (uint8_t[16]){0}, 16)))
		return usage_error("-o host-id=%s: give 32 hex digits (a UUID "
				   "or machine-id), not all zero",
				   o->host_id);
	d->recover = o->recover;
	d->size_once = o->size_once;
	return 0;
}

static void print_help(void)
{
	printf(usage_line, bpfamd_progname());
	fputs(help_text, stdout);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

static void print_version(void)
{
	printf("%s %s (libfuse %s)\n", bpfamd_progname(), BPFAM_VERSION_STRING,
	       fuse_pkgversion());
}

static void free_own(struct own_opts *o)
{
	free(o->role);
	free(o->mode);
	free(o->host_id);
	free(o->heartbeat);
}

/*
 * Leaves libfuse's options in d->fuse_args for fuse_session_new(), which
 * refuses those it does not know.  Returns EXIT_OK to go on, -1 after
 * --help or --version, or EXIT_USAGE.
 */
static int parse_args(struct bpfamd *d, int argc, char **argv, const char **mnt)
{
	struct fuse_cmdline_opts *c = &d->cmdline;
	struct own_opts o = {0};
	int rc = EXIT_USAGE;

	d->fuse_args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	/* libfuse names itself in its messages ("fuse: ..."). */
	if (fuse_opt_parse(&d->fuse_args, &o, own_opt_spec, take_operand) ||
	    fuse_parse_cmdline(&d->fuse_args, c)) {
		fprintf(stderr, usage_line, bpfamd_progname());
		goto out;
	}
	free(c->mountpoint); /* never set: take_operand() has the operands */
	c->mountpoint = NULL;
	if (c->show_help || c->show_version) {
		c->show_help ? print_help() : print_version();
		rc = -1;
		goto out;
	}
	if (o.extra || o.noperands != 2) {
		rc = usage_error("expected DEVICE and MOUNTPOINT");
		goto out;
	}
	rc = set_own(d, &o);
	if (rc)
		goto out;
	d->debug = c->debug;
	d->foreground = c->foreground || c->debug;
	d->device = o.operands[0];
	*mnt = o.operands[1];
out:
	free_own(&o);
	return rc;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpfamd_vlog(LOG_ERR, fmt, ap);
	va_end(ap);
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
	/* Lent inside the metadata by hand: bpfamd_lend() lends it again
	 * from data_off, or gives it back. */
	if (rc == -EACCES && dev.lent)
		rc = 0;
	if (rc)
		return fail("%s", err.msg);
	d->data_off = sb.data_off;
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
	int rc = bpfam_fs_refresh(&d->fs, NULL, err);

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

	rc = bpfam_fs_init(
		&d->fs, d->device,
		bpfamd_primary(d) ? BPFAM_OPEN_WRITER : BPFAM_OPEN_RDWR, &err);
	if (rc)
		return fail("%s", err.msg);
	/* Join before playing: see bpfam_fs_load(). */
	rc = bpfam_host_join(&d->host, &d->fs, d->host_id, slot_role(d),
			     d->period_ms, d->mountpoint, &err);
	if (!rc && bpfamd_pulse_start(d))
		rc = bpfam_err(&err, EAGAIN,
			       "cannot start the heartbeat thread");
	d->play_ms = bpfam_now_ms();
	if (!rc)
		rc = d->recover ? mount_recover(d, &err) :
				  bpfam_fs_load(&d->fs, &err);
	d->play_ms = bpfam_now_ms() - d->play_ms;
	/* From now on the kernel may reach what a resize drops. */
	d->fs.hold_tails = true;
	d->fs.store_zeros = bpfamd_store_zeros;
	d->fs.exclude = bpfamd_exclude_readers;
	if (rc == -EBADMSG)
		fail("%s (-o recover mounts what precedes it, read-only)",
		     err.msg);
	else if (rc)
		fail("%s", err.msg);
	if (rc) {
		bpfamd_pulse_stop(d);
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
	/* The primary flushes its appends in groups; every reply waits for
	 * the records before it (session.c). */
	if (d->fs.dev.writer) {
		bpfam_log_group(&d->fs.log, &d->group);
		d->grouped = true;
	}
	if (bpfamd_maps_open(&d->maps, &d->fs, why, sizeof(why))) {
		/* The reason fast mode cannot be had: choose_mode() says it
		 * (once, and refuses) under mode=fast. */
		snprintf(d->mode_reason, sizeof(d->mode_reason),
			 "BPF unavailable (%.190s), no fmaps published", why);
		if (d->mode != BPFAMD_MODE_FAST)
			bpfamd_log(LOG_WARNING,
				   "BPF unavailable (%s); serving in fallback "
				   "mode without published fmaps",
				   why);
	}
	return 0;
}

/*
 * The fast path cannot be had: fatal under mode=fast, and on a device
 * lent to the kernel, whose data the daemon cannot serve.
 */
static int fast_refused(const struct bpfamd *d)
{
	if (d->lent)
		return fail("%s: lent to the kernel for the fast path, which "
			    "cannot be had: %s; use mode=fallback",
			    d->device, d->mode_reason);
	return fail("mode=fast: %s; use mode=auto or mode=fallback",
		    d->mode_reason);
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
	if (d->mode == BPFAMD_MODE_FAST || d->lent)
		return fast_refused(d);
	return 0;
}

/* After the FUSE mount: EXIT_FAIL only when mode=fast cannot be had. */
static int start_mode(struct bpfamd *d, struct fuse_session *se)
{
	/* A reason already: choose_mode() settled on fallback. */
	if (d->mode_reason[0])
		return 0;
	if (!bpfamd_fast_start(d, se) ||
	    (d->mode != BPFAMD_MODE_FAST && !d->lent))
		return 0;
	return fast_refused(d);
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
		   "serving %s (bpfam %s: %llu files, %llu directories; "
		   "%llu log records played in %llu ms) at %s as the %s, "
		   "%s%s%s",
		   d->device, uuid, (unsigned long long)d->fs.nfiles,
		   (unsigned long long)d->fs.ndirs,
		   (unsigned long long)d->fs.log.next_seq - 1,
		   (unsigned long long)d->play_ms, d->mountpoint,
		   bpfamd_role_name(d), mode,
		   d->maps.skel ? "; fmaps pinned in " : "",
		   d->maps.skel ? d->maps.dir : "");
}

/*
 * bpfamd's own mount options go last, so that they win over the user's
 * and over the subtype libfuse makes of argv[0] (bpfam's tools know their
 * mounts by type fuse.bpfam and the device by fsname).  libfuse refuses
 * the options it does not know: a usage error.
 */
static struct fuse_session *new_session(struct bpfamd *d)
{
	struct fuse_args *args = &d->fuse_args;
	struct fuse_session *se = NULL;
	char *opts = NULL, *fsname = NULL, abs[PATH_MAX];

	/* Absolute: bpfam hosts, host evict and flush find the device by
	 * it.  A shared filesystem for every user, permissions by the kernel. */
	if (asprintf(&fsname, "fsname=%s",
		     realpath(d->device, abs) ? abs : d->device) < 0)
		return NULL;
	if (fuse_opt_add_opt(&opts,
			     "default_permissions,allow_other,subtype=bpfam") ||
	    (d->recover && fuse_opt_add_opt(&opts, "ro")) ||
	    fuse_opt_add_opt_escaped(&opts, fsname) ||
	    fuse_opt_add_arg(args, "-o") || fuse_opt_add_arg(args, opts))
		goto out;
	se = fuse_session_new(args, &bpfamd_ops, sizeof(bpfamd_ops), d);
out:
	fuse_opt_free_args(args);
	free(opts);
	free(fsname);
	return se;
}

/* -s, -o max_threads=, max_idle_threads=, clone_fd: libfuse's meaning. */
static int loop(struct bpfamd *d, struct fuse_session *se)
{
	const struct fuse_cmdline_opts *c = &d->cmdline;
	struct fuse_loop_config *cfg;
	int rc;

	if (c->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, c->clone_fd);
	/* UINT_MAX: not given; libfuse's setter would refuse it, loudly. */
	if (c->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(cfg, c->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, c->max_threads);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

static int run_loop(struct bpfamd *d, struct fuse_session *se)
{
	pthread_t keeper;
	int rc;

	rc = bpfamd_keeper_start(d, &keeper);
	if (rc) {
		bpfamd_log(LOG_ERR, "cannot start the keeper thread: %s",
			   strerror(-rc));
		return rc;
	}
	rc = loop(d, se);
	bpfamd_keeper_stop(d, keeper);
	return rc;
}

static void go_background(struct bpfamd *d)
{
	if (d->foreground)
		return;
	bpfamd_log_to_syslog();
}

static int serve(struct bpfamd *d, struct fuse_session *se)
{
	int rc = EXIT_FAIL;

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
	if (bpfamd_session_init(se)) {
		fail("%s: the kernel never initialised the FUSE connection",
		     d->mountpoint);
		goto unmount;
	}
	if (start_mode(d, se))
		goto unmount;
	announce(d);
	/* The keeper beats at once when run_loop() starts it. */
	bpfamd_pulse_stop(d);
	if (fuse_daemonize(d->foreground))
		goto unmount;
	go_background(d);
	/* After the fork: its thread must be the daemon's. */
	if (bpfamd_memerr_start(d))
		goto unmount;
	bpfamd_notify_ready(d);
	rc = run_loop(d, se) < 0 ? EXIT_FAIL : EXIT_OK;
	bpfamd_log(LOG_INFO, "unmounting %s", d->mountpoint);
	/*
	 * Stopped by a signal, the kernel may still map our files: the fast
	 * path's mappings reach the device without us.  Until they are gone
	 * our slot must keep holding what we hold (docs/sharing.md).
	 */
	if (!d->fenced && bpfamd_withdraw(d)) {
		bpfamd_log(
			LOG_WARNING,
			"the kernel may still map files of %s: leaving this "
			"host's slot registered; evict it (bpfam host evict) "
			"once they are unmapped",
			d->mountpoint);
		d->host.joined = false;
	}
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
		.kernel_dev = -1,
	};
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	struct fuse_session *se;
	const char *mnt = NULL;
	int rc;

	bpfamd_log_init(argv[0]);
	/* A fence must not wait behind a stream of reads and writes. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(
		&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d.io, &ra);
	pthread_rwlock_init(&d.ns, &ra);
	pthread_rwlockattr_destroy(&ra);

	/* The keeper's waits must not stall when the wall clock steps. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d.stop, &ca);
	pthread_condattr_destroy(&ca);

	if (!d.period_ms)
		d.period_ms = PERIOD_DEFAULT_MS;
	rc = parse_args(&d, argc, argv, &mnt);
	if (rc) {
		fuse_opt_free_args(&d.fuse_args);
		return rc < 0 ? EXIT_OK : rc;
	}
	bpfamd_log_debug(d.debug);
	se = new_session(&d);
	if (!se) /* libfuse said which option */
		return usage_error("cannot start a FUSE session with these "
				   "options");
	if (geteuid()) {
		fuse_session_destroy(se);
		return fail("must run as root (needs /dev/fuse mount and the "
			    "devdax device)");
	}
	/* Lent (or given back) before the device is mapped: a switch kills
	 * its mappings. */
	if (check_fuse_device() || check_mountpoint(&d, mnt) ||
	    choose_role(&d) || bpfamd_lend(&d) || mount_fs(&d)) {
		fuse_session_destroy(se);
		bpfamd_give_back(&d);
		return EXIT_FAIL;
	}
	rc = choose_mode(&d);
	if (!rc)
		rc = serve(&d, se);
	else
		fuse_session_destroy(se);
	/* Records appended by requests whose replies could not go out (the
	 * connection went at unmount) sealed too: memory already has them. */
	if (d.grouped && bpfam_group_sync(&d.group))
		bpfamd_log(LOG_ERR, "%s: cannot flush the log's last records",
			   d.device);
	bpfamd_pulse_stop(&d);
	bpfam_host_leave(&d.host);
	pthread_mutex_lock(&d.lock);
	/* Unpinning drops the maps whole: no need to delete 100k keys. */
	bpfamd_maps_close(&d.maps);
	pthread_mutex_unlock(&d.lock);
	bpfam_fs_close(&d.fs);
	/* Now that neither we nor the FUSE connection hold the device. */
	bpfamd_give_back(&d);
	free(d.nodes);
	return rc;
}
