// SPDX-License-Identifier: GPL-2.0
/*
 * The many-hosts simulation's driver (tests/sim/README.md): formats a
 * device file in /dev/shm, runs one primary and HOSTS - 1 clients as
 * simhost processes with their own host ids, and for SECONDS kill -9s and
 * restarts them, stops and continues them, pauses and evicts them, while a
 * checker replays the log every second.  It prints one TAP line per
 * invariant, and on failure the command that replays the same seed.
 *
 * usage: simdrive [--seed N] [--seconds S] [--hosts H] [--keep]
 *                 [--build DIR] [--burst] [--break-gate [--blind]]
 *
 * --burst lets hosts join at the same moment (by default one joins at a
 * time: tests/sim/README.md says why).
 *
 * --break-gate and --blind break the system on purpose (selftest.sh):
 * the primary reclaims past the gate; clients do not fence when they play
 * the reclaim of a file they hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "sim.h"

#define STEP_MS 50
#define CHECK_EVERY 20           /* steps: a checker pass a second */
#define DATA_BYTES (256ULL << 20) /* small: a stalled gate fills it */
#define LOG_PER_SECOND (16ULL << 10)
#define STOP_WAIT_MS 5000
#define READY_WAIT_MS 10000
#define FENCE_WAIT_STEPS 40      /* an evicted, resumed host must go by then */
#define JOIN_WAIT_STEPS 200      /* a started host must have joined by then */

enum child_state {
	CHILD_RUNNING,
	CHILD_STOPPED,  /* SIGSTOP'ed until `until`: a live host gone quiet */
	CHILD_PAUSING,  /* SIGUSR1 sent: evicted once it says it paused */
	CHILD_FENCING,  /* evicted and resumed: must exit SIM_EXIT_FENCED */
	CHILD_DEAD,     /* restarted at `until` */
};

struct child {
	unsigned int index; /* 0: the primary */
	pid_t pid;          /* 0: not running */
	enum child_state state;
	uint64_t until;     /* step */
	uint64_t started;   /* step */
	bool evict;         /* evict its slot before the restart */
	bool stopping;      /* sent SIGTERM: must exit SIM_EXIT_OK */
	unsigned int incarnation;
};

struct drive {
	uint64_t seed;
	unsigned int seconds;
	unsigned int hosts;
	bool break_gate;
	bool blind;
	bool burst;     /* let hosts join at the same moment */
	bool keep;
	const char *build;
	char dir[64];
	char dev_path[PATH_MAX];
	char simhost[PATH_MAX];
	uint64_t rng;
	struct sim_shared *sh;
	struct bpfam_device dev; /* read-write: evictions */
	struct bpfam_sb_info sb;
	struct child kids[SIM_MAX_HOSTS];
	uint64_t step;
	uint64_t nsteps;
	unsigned int client_kills, primary_kills, restarts, evictions;
	unsigned int stops, pauses, fences, checks;
	int tap_n;
	bool tap_failed;
};

static volatile sig_atomic_t interrupted;
static sigset_t host_signals; /* what we tell a simhost with */

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Something the driver itself found wrong: the run fails. */
static void drive_error(struct drive *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void drive_error(struct drive *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_violation(d->sh, SIM_V_ERROR, "driver: %s", msg);
}

static bool violated(const struct drive *d)
{
	int c;

	for (c = 0; c < SIM_V_NR; c++)
		if (__atomic_load_n(&d->sh->viol[c].n, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* ---- processes -------------------------------------------------------- */

static const char *role(const struct child *c)
{
	return c->index ? "client" : "primary";
}

static void start(struct drive *d, struct child *c)
{
	char seed[24], index[12], inc[12];
	char *argv[16] = {d->simhost, c->index ? "client" : "primary",
			  "--dev", d->dev_path, "--dir", d->dir,
			  "--seed", seed, "--index", index,
			  "--incarnation", inc};
	pid_t parent = getpid(), pid;
	sigset_t mask;
	int n = 12;

	if (d->break_gate)
		argv[n++] = "--break-gate";
	if (d->blind)
		argv[n++] = "--blind";
	snprintf(seed, sizeof(seed), "%" PRIu64, d->seed);
	snprintf(index, sizeof(index), "%u", c->index);
	snprintf(inc, sizeof(inc), "%u", c->incarnation++);
	__atomic_store_n(&d->sh->host_state[c->index], SIM_HOST_JOINING,
			 __ATOMIC_RELEASE);
	d->sh->note[c->index][0] = '\0';
	/* Born with them held until simhost can take them (the mask
	 * survives exec): a signal sent while it starts must not kill it. */
	sigprocmask(SIG_BLOCK, &host_signals, &mask);
	pid = fork();
	if (!pid) {
		/* Die with the driver, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(SIM_EXIT_ERROR);
		execv(d->simhost, argv);
		fprintf(stderr, "# %s: %s\n", d->simhost, strerror(errno));
		_exit(SIM_EXIT_ERROR);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (pid < 0) {
		drive_error(d, "fork: %s", strerror(errno));
		return;
	}
	c->pid = pid;
	c->state = CHILD_RUNNING;
	c->started = d->step;
}

/*
 * Whether a host is still inside bpfam_host_join().  Unless --burst, only
 * one host joins at a time: two joining at one moment can both believe
 * they won one slot (a known libbpfam race; tests/sim/README.md).
 */
static bool joining(struct drive *d)
{
	struct child *c;
	unsigned int i;

	if (d->burst)
		return false;
	for (i = 0; i < d->hosts; i++) {
		c = &d->kids[i];
		if (!c->pid || __atomic_load_n(&d->sh->host_state[i],
					       __ATOMIC_ACQUIRE) !=
				       SIM_HOST_JOINING)
			continue;
		if (d->step > c->started + JOIN_WAIT_STEPS)
			drive_error(d, "%s %u has not joined within %d ms",
				    role(c), c->index,
				    JOIN_WAIT_STEPS * STEP_MS);
		return true;
	}
	return false;
}

/* kill -9, and reap at once: a host we killed is dead, not dying. */
static void kill9(struct child *c)
{
	if (!c->pid)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended with wait status %#x", st);
}

/* A host ended on its own: was that what we asked of it? */
static void judge(struct drive *d, struct child *c, int st)
{
	bool fenced = WIFEXITED(st) && WEXITSTATUS(st) == SIM_EXIT_FENCED;
	char how[96];

	c->pid = 0;
	if (c->stopping && WIFEXITED(st) && WEXITSTATUS(st) == SIM_EXIT_OK) {
		c->state = CHILD_DEAD;
		return;
	}
	if (fenced && c->state == CHILD_FENCING) {
		d->fences++;
		c->state = CHILD_DEAD;
		c->until = d->step + sim_range(&d->rng, 1, 10);
		return;
	}
	c->state = CHILD_DEAD;
	c->until = d->step + 1;
	/* The host recorded what it found; the run ends on it. */
	if (WIFEXITED(st) && (WEXITSTATUS(st) == SIM_EXIT_VIOLATION ||
			      WEXITSTATUS(st) == SIM_EXIT_ERROR))
		return;
	if (fenced) {
		sim_violation(d->sh, SIM_V_FENCE,
			      "%s %u fenced itself without being evicted: %s",
			      role(c), c->index, d->sh->note[c->index]);
		return;
	}
	describe_status(st, how, sizeof(how));
	drive_error(d, "%s %u %s", role(c), c->index, how);
}

static struct child *child_of(struct drive *d, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < d->hosts; i++)
		if (d->kids[i].pid == pid)
			return &d->kids[i];
	return NULL;
}

static void reap(struct drive *d)
{
	struct child *c;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		c = child_of(d, pid);
		if (c)
			judge(d, c, st);
	}
}

/* Wait up to @ms for @c to end on its own; false if it did not. */
static bool wait_end(struct drive *d, struct child *c, uint64_t ms)
{
	uint64_t end = sim_now_ms() + ms;
	int st;

	while (c->pid && sim_now_ms() < end) {
		if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
			judge(d, c, st);
			return true;
		}
		sim_sleep_ms(10);
	}
	return !c->pid;
}

static void kill_all(struct drive *d)
{
	unsigned int i;

	for (i = 0; i < d->hosts; i++) {
		if (d->kids[i].state == CHILD_STOPPED && d->kids[i].pid)
			kill(d->kids[i].pid, SIGCONT);
		kill9(&d->kids[i]);
	}
}

/* ---- evictions -------------------------------------------------------- */

/*
 * Evict every slot of host @c, which is dead or paused: no process of it
 * beats.  Check so first, as `bpfam host evict` does without --force.
 */
static void evict(struct drive *d, const struct child *c)
{
	struct bpfam_slot_info s[BPFAM_SLOTS_NR], one;
	bool live[BPFAM_SLOTS_NR];
	uint32_t i, n = 0;
	uint8_t id[16];

	sim_host_id(d->seed, c->index, id);
	for (i = 0; i < d->sb.slots_nr; i++)
		if (bpfam_slot_read(&d->dev, &d->sb, i, &one) ==
			    BPFAM_SLOT_USED &&
		    !memcmp(one.host_id, id, 16))
			s[n++] = one;
	if (!n)
		return;
	bpfam_slots_liveness(&d->dev, &d->sb, s, n,
			     bpfam_slots_liveness_wait(s, n, 0), live);
	for (i = 0; i < n; i++) {
		if (live[i]) {
			drive_error(d, "%s %u does not run, yet its slot %u beats",
				    role(c), c->index, s[i].index);
			continue;
		}
		if (bpfam_slot_evict(&d->dev, &d->sb, s[i].index,
				     s[i].incarnation))
			drive_error(d, "evicting slot %u: flush failed",
				    s[i].index);
		d->evictions++;
	}
}

/* ---- the checker ------------------------------------------------------ */

struct suspect {
	uint64_t ino;
	char what[512];
};

#define MAX_SUSPECTS 8

/* Two windows of every ready file; mismatches become suspects. */
static unsigned int read_files(struct drive *d, const struct bpfam_fs *fs,
			       struct suspect *sus)
{
	struct bpfam_inode *in;
	unsigned int n = 0, k;
	uint64_t ino, off, len, bad;

	for (ino = BPFAM_ROOT_INO; ino <= fs->max_ino; ino++) {
		in = bpfam_fs_inode(fs, ino);
		if (!in || !sim_ready(in))
			continue;
		for (k = 0; k < 2 && n < MAX_SUSPECTS; k++) {
			sim_window(&d->rng, in, 256 << 10, &off, &len);
			if (sim_verify(fs, in, off, len, &bad, sus[n].what,
				       sizeof(sus[n].what)))
				continue;
			sus[n++].ino = in->ino;
			break;
		}
	}
	return n;
}

/*
 * The checker holds nothing back (it has no slot), so a file may be
 * reclaimed and reused while it reads: a mismatch counts only if the
 * file is still there once the log has been followed past the read.
 */
static void check_files(struct drive *d, struct bpfam_fs *fs)
{
	struct suspect sus[MAX_SUSPECTS];
	unsigned int n = read_files(d, fs, sus), i;
	struct bpfam_err err;

	if (!n)
		return;
	if (bpfam_fs_refresh(fs, NULL, &err) < 0) {
		drive_error(d, "checker: following the log: %s", err.msg);
		return;
	}
	for (i = 0; i < n; i++)
		if (bpfam_fs_inode(fs, sus[i].ino))
			sim_violation(d->sh, SIM_V_PATTERN, "checker: %s",
				      sus[i].what);
}

/* After every host left: nothing registered, nothing pending. */
static void check_drained(struct drive *d, const struct bpfam_fs *fs)
{
	struct bpfam_slot_info s[BPFAM_SLOTS_NR];
	uint32_t n = bpfam_slots_registered(&fs->dev, &fs->sb, s);

	if (n)
		sim_violation(d->sh, SIM_V_DRAIN,
			      "%u host slots still registered after every host left (slot %u: pid %u)",
			      n, s[0].index, s[0].pid);
	if (fs->norphans)
		sim_violation(d->sh, SIM_V_DRAIN,
			      "%llu deleted files never reclaimed",
			      (unsigned long long)fs->norphans);
}

/* Read DIR/journal into @j; false (and the run fails) if it cannot. */
static bool load_journal(struct drive *d, struct sim_journal *j)
{
	int rc = sim_journal_load(d->dir, j);

	if (!rc)
		return true;
	drive_error(d, "checker: %s/journal: %s", d->dir, strerror(-rc));
	sim_journal_free(j);
	return false;
}

/*
 * Replay the log read-only, as a host that just mounted would.  The
 * journal is read before (every change it acknowledges is in the log by
 * then) and after (deletes asked for meanwhile may have landed).
 */
static void check(struct drive *d, bool final)
{
	struct sim_journal acked, asked;
	struct bpfam_err err;
	struct bpfam_fs fs;
	char what[512];

	if (!load_journal(d, &acked))
		return;
	d->checks++;
	if (bpfam_fs_mount(&fs, d->dev_path, BPFAM_OPEN_RDONLY, &err)) {
		drive_error(d, "checker: mounting: %s", err.msg);
		sim_journal_free(&acked);
		return;
	}
	if (sim_check_extents(&fs, what, sizeof(what)))
		sim_violation(d->sh, SIM_V_OVERLAP, "checker: %s", what);
	if (load_journal(d, &asked)) {
		if (sim_journal_check(&acked, &asked, &fs, what, sizeof(what)))
			sim_violation(d->sh, SIM_V_ACK, "checker: %s", what);
		sim_journal_free(&asked);
	}
	sim_journal_free(&acked);
	if (final)
		check_drained(d, &fs);
	else
		check_files(d, &fs);
	bpfam_fs_close(&fs);
}

/* ---- the schedule ----------------------------------------------------- */

/* A random client in @state, or NULL. */
static struct child *pick(struct drive *d, enum child_state state)
{
	unsigned int n = d->hosts - 1, start, i;
	struct child *c;

	start = (unsigned int)sim_range(&d->rng, 0, n - 1);
	for (i = 0; i < n; i++) {
		c = &d->kids[1 + (start + i) % n];
		if (c->state == state && c->pid)
			return c;
	}
	return NULL;
}

static void kill_client(struct drive *d)
{
	struct child *c = pick(d, CHILD_RUNNING);

	if (!c)
		return;
	kill9(c);
	d->client_kills++;
	c->state = CHILD_DEAD;
	/* Now and then dead long enough that its horizon stalls the gate. */
	c->until = d->step + (sim_chance(&d->rng, 100) ?
				      sim_range(&d->rng, 40, 100) :
				      sim_range(&d->rng, 1, 30));
	c->evict = sim_chance(&d->rng, 400);
}

static void kill_primary(struct drive *d)
{
	struct child *c = &d->kids[0];

	if (c->state != CHILD_RUNNING || !c->pid)
		return;
	kill9(c);
	d->primary_kills++;
	c->state = CHILD_DEAD;
	c->until = d->step + sim_range(&d->rng, 1, 20);
	c->evict = false;
}

/* Send a random running client @sig; it is in @state for @steps. */
static bool signal_client(struct drive *d, int sig, enum child_state state,
			  uint64_t steps)
{
	struct child *c = pick(d, CHILD_RUNNING);

	if (!c)
		return false;
	kill(c->pid, sig);
	c->state = state;
	c->until = d->step + steps;
	return true;
}

/* A live host gone quiet: the gate must wait for its stale horizon. */
static void stop_client(struct drive *d)
{
	d->stops += signal_client(d, SIGSTOP, CHILD_STOPPED,
				  sim_range(&d->rng, 4, 40));
}

/* A hung host: it is evicted once it says it stopped (advance()). */
static void pause_client(struct drive *d)
{
	d->pauses += signal_client(d, SIGUSR1, CHILD_PAUSING,
				   FENCE_WAIT_STEPS);
}

/* Random events, and each kind at least once in a run. */
static void events(struct drive *d)
{
	uint64_t s = d->step, n = d->nsteps;

	if (sim_chance(&d->rng, 25) || (!d->client_kills && s == n / 5))
		kill_client(d);
	if (sim_chance(&d->rng, 15) || (!d->stops && s == n / 4))
		stop_client(d);
	if (sim_chance(&d->rng, 8) || (!d->pauses && s == n / 3))
		pause_client(d);
	if (sim_chance(&d->rng, 6) || (!d->primary_kills && s == n / 2))
		kill_primary(d);
}

/* Move each host along its state: continue, evict, restart. */
static void advance(struct drive *d, struct child *c)
{
	switch (c->state) {
	case CHILD_RUNNING:
		return;
	case CHILD_STOPPED:
		if (d->step < c->until)
			return;
		kill(c->pid, SIGCONT);
		c->state = CHILD_RUNNING;
		return;
	case CHILD_PAUSING:
		if (__atomic_load_n(&d->sh->host_state[c->index],
				    __ATOMIC_ACQUIRE) == SIM_HOST_PAUSED) {
			/* A hung host, as an administrator sees it: evicted. */
			evict(d, c);
			kill(c->pid, SIGUSR2);
			c->state = CHILD_FENCING;
			c->until = d->step + FENCE_WAIT_STEPS;
		} else if (d->step >= c->until) {
			drive_error(d, "client %u did not pause within %d ms",
				    c->index, FENCE_WAIT_STEPS * STEP_MS);
		}
		return;
	case CHILD_FENCING:
		if (d->step >= c->until)
			drive_error(d, "client %u, evicted, did not fence within %d ms",
				    c->index, FENCE_WAIT_STEPS * STEP_MS);
		return;
	case CHILD_DEAD:
		if (d->step < c->until || joining(d))
			return;
		if (c->evict)
			evict(d, c);
		c->evict = false;
		d->restarts++;
		start(d, c);
		return;
	}
}

/* Start every host, one join at a time unless --burst. */
static void start_all(struct drive *d)
{
	unsigned int i;

	for (i = 0; i < d->hosts && !violated(d) && !interrupted; i++) {
		while (joining(d) && !violated(d) && !interrupted) {
			reap(d);
			sim_sleep_ms(1);
		}
		start(d, &d->kids[i]);
	}
}

static void run(struct drive *d)
{
	uint64_t t0, next;
	unsigned int i;

	start_all(d);
	t0 = sim_now_ms();
	for (d->step = 0; d->step < d->nsteps; d->step++) {
		reap(d);
		if (violated(d) || interrupted)
			return;
		events(d);
		for (i = 0; i < d->hosts; i++)
			advance(d, &d->kids[i]);
		if (d->step % CHECK_EVERY == CHECK_EVERY - 1)
			check(d, false);
		next = t0 + (d->step + 1) * STEP_MS;
		if (sim_now_ms() < next)
			sim_sleep_ms(next - sim_now_ms());
	}
}

/* ---- the end of a run ------------------------------------------------- */

static void wait_primary_ready(struct drive *d)
{
	uint64_t end = sim_now_ms() + READY_WAIT_MS;
	struct child *p = &d->kids[0];

	while (sim_now_ms() < end && p->pid &&
	       __atomic_load_n(&d->sh->host_state[0], __ATOMIC_ACQUIRE) !=
		       SIM_HOST_READY) {
		reap(d);
		sim_sleep_ms(10);
	}
	if (p->pid && d->sh->host_state[0] != SIM_HOST_READY)
		drive_error(d, "the primary was not ready within %d ms",
			    READY_WAIT_MS);
}

/* Bring every client to a state where SIGTERM stops it. */
static void settle_clients(struct drive *d)
{
	struct child *c;
	unsigned int i;

	for (i = 1; i < d->hosts; i++) {
		c = &d->kids[i];
		if (c->state == CHILD_STOPPED)
			kill(c->pid, SIGCONT);
		if (c->state == CHILD_PAUSING)
			kill(c->pid, SIGUSR2);
		if (c->state == CHILD_FENCING && !wait_end(d, c, STOP_WAIT_MS))
			drive_error(d, "client %u, evicted, did not fence",
				    c->index);
		if (c->state != CHILD_DEAD && c->state != CHILD_FENCING)
			c->state = CHILD_RUNNING;
		/* Dead for good now: let its horizon go. */
		if (c->state == CHILD_DEAD)
			evict(d, c);
	}
}

/* SIGTERM @c and wait for its clean exit. */
static void stop(struct drive *d, struct child *c)
{
	int st;

	if (!c->pid)
		return;
	c->stopping = true;
	kill(c->pid, SIGTERM);
	if (wait_end(d, c, STOP_WAIT_MS + SIM_DRAIN_MS))
		return;
	drive_error(d, "%s %u did not stop within %d ms of SIGTERM", role(c),
		    c->index, STOP_WAIT_MS + SIM_DRAIN_MS);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	c->pid = 0;
}

static void finish(struct drive *d)
{
	unsigned int i;

	reap(d);
	settle_clients(d);
	if (!d->kids[0].pid)
		start(d, &d->kids[0]);
	wait_primary_ready(d);
	for (i = 1; i < d->hosts; i++)
		if (d->kids[i].state == CHILD_RUNNING)
			stop(d, &d->kids[i]);
	stop(d, &d->kids[0]);
	reap(d);
	check(d, true);
}

/* ---- set-up and clean-up ---------------------------------------------- */

/* Run @argv with stdout to /dev/null: 0 when it exits 0. */
static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st, fd;

	if (pid < 0)
		return -errno;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "# %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/* The log grows with the run: a soak must not fill it. */
static uint64_t log_size(const struct drive *d)
{
	uint64_t size = (uint64_t)d->seconds * LOG_PER_SECOND;

	size = (size + BPFAM_ALLOC_UNIT - 1) & ~(BPFAM_ALLOC_UNIT - 1);
	if (size < (8ULL << 20))
		size = 8ULL << 20;
	return size < (1ULL << 30) ? size : 1ULL << 30;
}

static int format(struct drive *d)
{
	char bpfam[PATH_MAX], size[24];
	char *argv[] = {bpfam, "mkfs", "--log-size", size, d->dev_path, NULL};
	int fd;

	snprintf(bpfam, sizeof(bpfam), "%s/bpfam", d->build);
	snprintf(size, sizeof(size), "%" PRIu64, log_size(d));
	fd = open(d->dev_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(BPFAM_LOG_OFF + log_size(d) + DATA_BYTES))) {
		close(fd);
		return -errno;
	}
	close(fd);
	return run_quiet(argv);
}

static int setup(struct drive *d)
{
	struct bpfam_err err;
	int rc;

	snprintf(d->simhost, sizeof(d->simhost), "%s/tests/simhost", d->build);
	snprintf(d->dir, sizeof(d->dir), "/dev/shm/bpfam-sim.XXXXXX");
	if (!mkdtemp(d->dir)) {
		fprintf(stderr, "# %s: %s\n", d->dir, strerror(errno));
		d->dir[0] = '\0';
		return -1;
	}
	snprintf(d->dev_path, sizeof(d->dev_path), "%s/dev", d->dir);
	rc = format(d);
	if (rc) {
		fprintf(stderr, "# %s: cannot format it with %s/bpfam mkfs: %s\n",
			d->dev_path, d->build, strerror(-rc));
		return -1;
	}
	d->sh = sim_shared_map(d->dir, true);
	if (!d->sh) {
		fprintf(stderr, "# %s/shared: %s\n", d->dir, strerror(errno));
		return -1;
	}
	if (bpfam_device_open(&d->dev, d->dev_path, BPFAM_OPEN_RDWR, &err) ||
	    bpfam_sb_read(&d->dev, &d->sb, &err)) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void cleanup(struct drive *d)
{
	static const char *const files[] = {"dev", "journal", "shared"};
	char path[PATH_MAX];
	unsigned int i;

	bpfam_device_close(&d->dev);
	if (d->sh)
		munmap(d->sh, sizeof(*d->sh));
	d->sh = NULL;
	if (!d->dir[0])
		return;
	if (d->keep) {
		printf("# kept %s (bpfam fsck/logdump %s/dev)\n", d->dir, d->dir);
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->dir, files[i]);
		unlink(path);
	}
	rmdir(d->dir);
}

/* ---- the report ------------------------------------------------------- */

static void tap(struct drive *d, bool ok, const char *detail,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void tap(struct drive *d, bool ok, const char *detail,
		const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++d->tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s%s\n", ok || !detail ? "" : ": ", ok || !detail ? "" : detail);
	d->tap_failed |= !ok;
}

/* One line for invariant class @c: ok when no host reported one. */
static void tap_class(struct drive *d, enum sim_class c, const char *what)
{
	char detail[sizeof(d->sh->viol[0].msg) + 64];
	uint64_t n = d->sh->viol[c].n;

	snprintf(detail, sizeof(detail), "%s%s", d->sh->viol[c].msg,
		 n > 1 ? " (and more)" : "");
	tap(d, !n, detail, "%s", what);
}

static uint64_t mib(uint64_t bytes)
{
	return bytes >> 20;
}

/* Whether every path the invariants speak of was taken at least once. */
static void tap_coverage(struct drive *d)
{
	const uint64_t *c = d->sh->count;
	char missing[256] = "";

#define NEED(cond, name)                                                   \
	do {                                                               \
		if (!(cond))                                               \
			strncat(missing, " " name,                         \
				sizeof(missing) - strlen(missing) - 1);    \
	} while (0)
	NEED(d->client_kills, "client-kill");
	NEED(d->primary_kills, "primary-kill");
	NEED(d->evictions, "eviction");
	NEED(d->fences, "fence");
	NEED(c[SIM_C_HELD_DELETED], "hold-across-delete");
	NEED(c[SIM_C_GATE_WAITS], "gate-wait");
	NEED(c[SIM_C_RECLAIMED], "reclaim");
	NEED(c[SIM_C_RESTART_CHECKS] > 1, "restart-check");
#undef NEED
	tap(d, !missing[0], missing, "the run took every path it checks");
}

static void report(struct drive *d, bool completed)
{
	const uint64_t *c = d->sh->count;
	char what[512];

	snprintf(what, sizeof(what),
		 "%u hosts as processes: %u client kills, %u stops, %u pauses, %u evictions, %u restarts, %u primary kills",
		 d->hosts, d->client_kills, d->stops, d->pauses, d->evictions,
		 d->restarts, d->primary_kills);
	tap_class(d, SIM_V_ERROR, what);
	snprintf(what, sizeof(what),
		 "no two live files shared a byte (%llu checks in the primary, %u replays by the checker)",
		 (unsigned long long)c[SIM_C_PRIMARY_CHECKS], d->checks);
	tap_class(d, SIM_V_OVERLAP, what);
	snprintf(what, sizeof(what),
		 "every byte a host read was its own file's (%llu holds, %llu across their delete; %llu MiB verified, %llu MiB written back)",
		 (unsigned long long)c[SIM_C_HOLDS],
		 (unsigned long long)c[SIM_C_HELD_DELETED],
		 (unsigned long long)mib(c[SIM_C_VERIFIED]),
		 (unsigned long long)mib(c[SIM_C_WRITTEN]));
	tap_class(d, SIM_V_PATTERN, what);
	snprintf(what, sizeof(what),
		 "every acknowledged change was there after every restart (%llu creates, %llu deletes; checked at %llu primary starts and %u replays)",
		 (unsigned long long)c[SIM_C_CREATES],
		 (unsigned long long)c[SIM_C_DELETES],
		 (unsigned long long)c[SIM_C_RESTART_CHECKS], d->checks);
	tap_class(d, SIM_V_ACK, what);
	snprintf(what, sizeof(what),
		 "only evicted hosts fenced themselves (%u did)", d->fences);
	tap_class(d, SIM_V_FENCE, what);
	snprintf(what, sizeof(what),
		 "deleted space waited for the gate (%llu reclaims left some, %llu creates met ENOSPC) and all came back (%llu files in %llu reclaims)",
		 (unsigned long long)c[SIM_C_GATE_WAITS],
		 (unsigned long long)c[SIM_C_ENOSPC],
		 (unsigned long long)c[SIM_C_RECLAIMED],
		 (unsigned long long)c[SIM_C_RECLAIMS]);
	tap_class(d, SIM_V_DRAIN, what);
	if (completed)
		tap_coverage(d);
	else
		tap(d, false, NULL, "the run ended early");
}

/* After kill_all(): no process of ours is left, stopped or not. */
static void tap_no_survivors(struct drive *d)
{
	pid_t pid = waitpid(-1, NULL, WNOHANG);

	tap(d, pid < 0 && errno == ECHILD, "a child process is still there",
	    "no simulated host outlived the run");
}

/* ---- command line ----------------------------------------------------- */

static int usage(const char *why)
{
	fprintf(stderr,
		"simdrive: %s\nusage: simdrive [--seed N] [--seconds S] [--hosts H] [--keep] [--build DIR] [--burst] [--break-gate [--blind]]\n",
		why);
	return SIM_EXIT_USAGE;
}

/* BUILD from our own path, BUILD/tests/simdrive. */
static void default_build(struct drive *d)
{
	static char build[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", build, sizeof(build) - 1);
	char *slash;

	d->build = "build";
	if (n <= 0)
		return;
	build[n] = '\0';
	slash = strrchr(build, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(build, '/');
	if (!slash)
		return;
	*slash = '\0';
	d->build = build;
}

static uint64_t random_seed(void)
{
	uint64_t s = sim_now_ms() ^ ((uint64_t)getpid() << 32);
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &s, sizeof(s)) != sizeof(s))
			s ^= (uint64_t)time(NULL);
		close(fd);
	}
	/* Short enough to type back. */
	return s % 1000000000ULL;
}

static int parse(int argc, char **argv, struct drive *d)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 's'},
		{"seconds", required_argument, NULL, 't'},
		{"hosts", required_argument, NULL, 'n'},
		{"break-gate", no_argument, NULL, 'B'},
		{"blind", no_argument, NULL, 'L'},
		{"burst", no_argument, NULL, 'J'},
		{"keep", no_argument, NULL, 'k'},
		{"build", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	bool seeded = false;
	int c;

	d->seconds = 20;
	d->hosts = 16;
	default_build(d);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			d->seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 't':
			d->seconds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			d->hosts = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'B':
			d->break_gate = true;
			break;
		case 'L':
			d->blind = true;
			break;
		case 'J':
			d->burst = true;
			break;
		case 'k':
			d->keep = true;
			break;
		case 'b':
			d->build = optarg;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (optind != argc)
		return usage("no arguments besides options");
	if (d->hosts < 3 || d->hosts > SIM_MAX_HOSTS)
		return usage("--hosts is 3 to 64");
	if (!d->seconds)
		return usage("--seconds is at least 1");
	if (!seeded)
		d->seed = random_seed();
	return 0;
}

static void catch_interrupts(void)
{
	struct sigaction sa = {.sa_handler = on_interrupt};

	sigemptyset(&host_signals);
	sigaddset(&host_signals, SIGTERM);
	sigaddset(&host_signals, SIGUSR1);
	sigaddset(&host_signals, SIGUSR2);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void print_reproduce(const struct drive *d, const char *self)
{
	printf("# seed %" PRIu64 " failed; reproduce with: %s --seed %" PRIu64
	       " --seconds %u --hosts %u%s%s%s --keep\n",
	       d->seed, self, d->seed, d->seconds, d->hosts,
	       d->burst ? " --burst" : "",
	       d->break_gate ? " --break-gate" : "", d->blind ? " --blind" : "");
}

int main(int argc, char **argv)
{
	static struct drive d = {.dev = {.fd = -1}};
	bool completed;
	int rc;

	rc = parse(argc, argv, &d);
	if (rc)
		return rc;
	d.rng = sim_seed_of(d.seed, SIM_MAX_HOSTS, 0);
	d.nsteps = (uint64_t)d.seconds * 1000 / STEP_MS;
	printf("# simdrive: seed %" PRIu64 ", %u hosts, %u s%s\n", d.seed,
	       d.hosts, d.seconds, d.break_gate ? ", gate broken" : "");
	fflush(stdout);
	catch_interrupts();
	for (rc = 0; rc < SIM_MAX_HOSTS; rc++)
		d.kids[rc].index = (unsigned int)rc;
	if (setup(&d)) {
		printf("not ok 1 - setting up the simulation in %s\n", d.dir);
		cleanup(&d);
		return 1;
	}
	run(&d);
	completed = !violated(&d) && !interrupted;
	if (completed)
		finish(&d);
	kill_all(&d);
	fflush(stderr);
	if (interrupted)
		tap(&d, false, NULL, "interrupted");
	report(&d, completed);
	tap_no_survivors(&d);
	if (d.tap_failed)
		print_reproduce(&d, argv[0]);
	cleanup(&d);
	printf("1..%d\n", d.tap_n);
	return d.tap_failed ? 1 : 0;
}
