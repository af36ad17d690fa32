// SPDX-License-Identifier: GPL-2.0
/*
 * One simulated host of the many-hosts simulation (tests/sim/README.md):
 * a libbpfam instance with its own host id on the shared device file.
 *
 * usage: simhost primary|client --dev DEVICE --dir DIR --seed N --index I
 *                [--incarnation K] [--break-gate] [--blind]
 *
 * The primary creates files of 2-8 MiB, fills them with their pattern,
 * marks them ready (mode 0644) and journals them; deletes files; reclaims
 * what the gate lets go; and checks the namespace after every step.  A
 * client follows the log, holds random ready files for a while (across
 * their delete, on purpose), checks that every byte it reads is the file's
 * own pattern and writes the pattern back.  Both beat every 20 ms.
 *
 * Signals from the driver: SIGTERM stops (the primary first reclaims all
 * it can), SIGUSR1 pauses a client at a safe point (it stops beating and
 * touching the device, and says so in the shared file), SIGUSR2 resumes it.
 * --break-gate makes the primary reclaim past the gate, --blind makes a
 * client ignore a reclaim of a file it holds: the run must fail.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "sim.h"

#define MIB (1ULL << 20)
#define CLIENT_MAX_HOLDS 3
#define PRIMARY_MIN_FILES 8
#define PRIMARY_MAX_FILES 32
#define RECLAIM_EVERY_MS 100

struct hold {
	struct bpfam_inode *in;
	uint64_t until;  /* release then (monotonic ms) */
	bool saw_delete; /* counted as held across its delete */
};

struct simhost {
	const char *dev_path;
	const char *dir;
	unsigned int index;
	bool primary;
	bool break_gate;
	bool blind;      /* a client that does not fence on a reclaim */
	uint64_t rng;
	struct sim_shared *sh;
	struct bpfam_fs fs;
	struct bpfam_host host;
	uint64_t next_beat;
	/* Primary. */
	int journal;
	uint64_t next_reclaim;
	/* Client. */
	struct hold holds[CLIENT_MAX_HOLDS];
	unsigned int nholds;
};

static volatile sig_atomic_t stop_req, pause_req, resume_req;

static void on_signal(int sig)
{
	if (sig == SIGTERM)
		stop_req = 1;
	else if (sig == SIGUSR1)
		pause_req = 1;
	else if (sig == SIGUSR2)
		resume_req = 1;
}

/* The driver blocked them before exec: take what is pending now. */
static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* An unexpected library failure: the driver reports it as an error. */
static int give_up(struct simhost *h, const char *doing,
		   const struct bpfam_err *err)
{
	sim_violation(h->sh, SIM_V_ERROR, "%s %u: %s: %s",
		      h->primary ? "primary" : "client", h->index, doing,
		      err->msg);
	return SIM_EXIT_ERROR;
}

/*
 * -ESTALE: the superblock changed, or we were evicted, or we played a
 * reclaim of a file we hold.  Touch nothing more; the driver decides
 * whether this host was meant to be evicted.
 */
static int fence(struct simhost *h, const struct bpfam_err *err)
{
	bpfam_host_ack_fence(&h->host);
	sim_count(h->sh, SIM_C_FENCES, 1);
	snprintf(h->sh->note[h->index], sizeof(h->sh->note[0]), "%.*s",
		 (int)sizeof(h->sh->note[0]) - 1, err->msg);
	fprintf(stderr, "# %s %u (pid %d) fenced: %s\n",
		h->primary ? "primary" : "client", h->index, (int)getpid(),
		err->msg);
	return SIM_EXIT_FENCED;
}

static int beat(struct simhost *h)
{
	struct bpfam_err err;
	int rc = bpfam_host_beat(&h->host, 0, &err);

	if (rc == -ESTALE)
		return fence(h, &err);
	if (rc)
		return give_up(h, "heartbeat", &err);
	return 0;
}

static int refresh(struct simhost *h)
{
	struct bpfam_err err;
	int rc = bpfam_fs_refresh(&h->fs, NULL, &err);

	/* --blind: stay behind the reclaim and keep using the file, as a
	 * host that plays the log late would; only the pattern tells. */
	if (rc == -ESTALE && h->blind)
		return 0;
	if (rc == -ESTALE)
		return fence(h, &err);
	if (rc < 0)
		return give_up(h, "following the log", &err);
	return 0;
}

static int beat_if_due(struct simhost *h)
{
	uint64_t now = sim_now_ms();
	int rc;

	if (now < h->next_beat)
		return 0;
	h->next_beat = now + SIM_PERIOD_MS;
	if (!h->primary) {
		rc = refresh(h);
		if (rc)
			return rc;
	}
	return beat(h);
}

static void set_state(struct simhost *h, enum sim_host_state state)
{
	__atomic_store_n(&h->sh->host_state[h->index], state,
			 __ATOMIC_RELEASE);
}

static int join(struct simhost *h, uint64_t seed, uint32_t role)
{
	struct bpfam_err err;
	uint8_t id[16];
	int rc;

	sim_host_id(seed, h->index, id);
	rc = bpfam_host_join(&h->host, &h->fs, id, role, SIM_PERIOD_MS,
			     h->primary ? "sim-primary" : "sim-client", &err);
	if (rc)
		return give_up(h, "joining", &err);
	h->next_beat = sim_now_ms() + SIM_PERIOD_MS;
	set_state(h, SIM_HOST_RUNNING);
	return 0;
}

/* A random ready file linked in the root, or NULL. */
static struct bpfam_inode *pick_ready(struct simhost *h)
{
	struct bpfam_inode *root = bpfam_fs_inode(&h->fs, BPFAM_ROOT_INO);
	uint32_t n = root->nchildren, start, i;
	struct bpfam_inode *in;

	if (!n)
		return NULL;
	start = (uint32_t)sim_range(&h->rng, 0, n - 1);
	for (i = 0; i < n; i++) {
		in = root->children[(start + i) % n]->inode;
		if (sim_ready(in))
			return in;
	}
	return NULL;
}

/* Check a random window of @in: exit status on a mismatch, else 0. */
static int verify_window(struct simhost *h, const struct bpfam_inode *in,
			 uint64_t max)
{
	char what[512];
	uint64_t off, len, bad;

	sim_window(&h->rng, in, max, &off, &len);
	if (!sim_verify(&h->fs, in, off, len, &bad, what, sizeof(what))) {
		sim_violation(h->sh, SIM_V_PATTERN,
			      "%s %u read another file's bytes: %s",
			      h->primary ? "primary" : "client", h->index,
			      what);
		return SIM_EXIT_VIOLATION;
	}
	sim_count(h->sh, SIM_C_VERIFIED, len);
	return 0;
}

/* ---- the primary ------------------------------------------------------ */

static int check_namespace(struct simhost *h, const char *after)
{
	char what[512];

	sim_count(h->sh, SIM_C_PRIMARY_CHECKS, 1);
	if (!sim_check_extents(&h->fs, what, sizeof(what)))
		return 0;
	sim_violation(h->sh, SIM_V_OVERLAP, "primary, after %s: %s", after,
		      what);
	return SIM_EXIT_VIOLATION;
}

static int journal(struct simhost *h, int rc)
{
	struct bpfam_err err;

	if (!rc)
		return 0;
	bpfam_err(&err, -rc, "%s/journal: %s", h->dir, strerror(-rc));
	return give_up(h, "journaling", &err);
}

/* Delete @in; @ack: journal the intent and the acknowledgement. */
static int primary_delete(struct simhost *h, const struct bpfam_inode *in,
			  bool ack)
{
	unsigned long long ino = in->ino;
	char name[BPFAM_NAME_MAX + 1];
	struct bpfam_err err;
	int rc;

	snprintf(name, sizeof(name), "%s", bpfam_inode_name(in));
	if (ack) {
		rc = journal(h, sim_journal_add(h->journal, "d %llu\n", ino));
		if (rc)
			return rc;
	}
	rc = bpfam_fs_delete(&h->fs, BPFAM_ROOT_INO, name, false, &err);
	if (rc)
		return give_up(h, "deleting", &err);
	if (!ack)
		return 0;
	sim_count(h->sh, SIM_C_DELETES, 1);
	return journal(h, sim_journal_add(h->journal, "D %llu\n", ino));
}

static int primary_create(struct simhost *h)
{
	uint64_t size = sim_range(&h->rng, 2 * MIB / 4096, 8 * MIB / 4096) *
			4096;
	struct bpfam_inode *in;
	struct bpfam_err err;
	char name[32];
	int rc;

	snprintf(name, sizeof(name), "f%llu",
		 (unsigned long long)h->fs.max_ino + 1);
	/* Not ready until filled: clients pick only ready files. */
	rc = bpfam_fs_mknod(&h->fs, BPFAM_ROOT_INO, name,
			    S_IFREG | SIM_FILLING_MODE, 0, 0, &in, &err);
	if (rc)
		return give_up(h, "creating", &err);
	rc = bpfam_fs_set_size(&h->fs, in->ino, size, 0, 0, &err);
	if (rc == -ENOSPC) {
		/* Deleted space waits for the gate: the device can fill. */
		sim_count(h->sh, SIM_C_ENOSPC, 1);
		return primary_delete(h, in, false);
	}
	if (rc)
		return give_up(h, "sizing", &err);
	rc = sim_fill(&h->fs, in, 0, size);
	if (rc) {
		bpfam_err(&err, -rc, "filling '%s': %s", name, strerror(-rc));
		return give_up(h, "filling", &err);
	}
	rc = bpfam_fs_setattr(&h->fs, in->ino, BPFAM_ATTR_MODE,
			      &(struct bpfam_attrs){.mode = SIM_READY_MODE},
			      &err);
	if (rc)
		return give_up(h, "marking ready", &err);
	sim_count(h->sh, SIM_C_CREATES, 1);
	return journal(h, sim_journal_add(h->journal, "C %llu %llu %llu %s\n",
					  (unsigned long long)in->ino,
					  (unsigned long long)in->gen,
					  (unsigned long long)size, name));
}

static int primary_reclaim(struct simhost *h)
{
	uint64_t before = h->fs.norphans, gate;
	struct bpfam_err err;
	int rc;

	h->next_reclaim = sim_now_ms() + RECLAIM_EVERY_MS;
	if (!before)
		return 0;
	gate = h->break_gate ? UINT64_MAX :
			       bpfam_slots_gate(&h->fs.dev, &h->fs.sb,
						h->host.slot.index,
						bpfam_fs_horizon(&h->fs));
	rc = bpfam_fs_reclaim(&h->fs, gate, &err);
	if (rc < 0)
		return give_up(h, "reclaiming", &err);
	if (rc) {
		sim_count(h->sh, SIM_C_RECLAIMS, 1);
		sim_count(h->sh, SIM_C_RECLAIMED, before - h->fs.norphans);
	}
	if (h->fs.norphans)
		sim_count(h->sh, SIM_C_GATE_WAITS, 1);
	return 0;
}

static int primary_step(struct simhost *h)
{
	struct bpfam_inode *root = bpfam_fs_inode(&h->fs, BPFAM_ROOT_INO);
	uint64_t r = sim_range(&h->rng, 0, 99);
	struct bpfam_inode *in;

	if (sim_now_ms() >= h->next_reclaim)
		return primary_reclaim(h);
	if (r < 45 && root->nchildren < PRIMARY_MAX_FILES)
		return primary_create(h);
	if (r < 90 && root->nchildren > PRIMARY_MIN_FILES) {
		in = root->children[sim_range(&h->rng, 0,
					      root->nchildren - 1)]->inode;
		return primary_delete(h, in, true);
	}
	/* The primary reads too: it sees what clients wrote. */
	in = pick_ready(h);
	return in ? verify_window(h, in, MIB) : 0;
}

/*
 * After a restart: every change the journal acknowledges must have
 * replayed, and files a crash left unfilled go (nobody ever used them).
 */
static int primary_recover(struct simhost *h)
{
	struct bpfam_inode *root = bpfam_fs_inode(&h->fs, BPFAM_ROOT_INO);
	struct sim_journal j;
	char what[512];
	uint32_t i;
	int rc;

	rc = sim_journal_load(h->dir, &j);
	if (rc)
		return journal(h, rc);
	/* We are the only writer: nothing lands between read and check. */
	rc = sim_journal_check(&j, &j, &h->fs, what, sizeof(what));
	sim_journal_free(&j);
	sim_count(h->sh, SIM_C_RESTART_CHECKS, 1);
	if (rc) {
		sim_violation(h->sh, SIM_V_ACK, "primary after a restart: %s",
			      what);
		return SIM_EXIT_VIOLATION;
	}
	/* From the end: a delete moves the later children down. */
	for (i = root->nchildren; i-- > 0;) {
		if (sim_ready(root->children[i]->inode))
			continue;
		rc = primary_delete(h, root->children[i]->inode, false);
		if (rc)
			return rc;
	}
	return check_namespace(h, "a restart");
}

/* Give back every deleted file's space; the clients have all left. */
static int primary_drain(struct simhost *h)
{
	uint64_t end = sim_now_ms() + SIM_DRAIN_MS;
	int rc;

	while (h->fs.norphans && sim_now_ms() < end) {
		rc = beat(h);
		if (!rc)
			rc = primary_reclaim(h);
		if (rc)
			return rc;
		sim_sleep_ms(SIM_PERIOD_MS);
	}
	if (!h->fs.norphans)
		return check_namespace(h, "the final reclaim");
	sim_violation(h->sh, SIM_V_DRAIN,
		      "%llu deleted files (%llu bytes) still wait for the gate %d ms after every other host left (gate %llu)",
		      (unsigned long long)h->fs.norphans,
		      (unsigned long long)h->fs.pending_bytes, SIM_DRAIN_MS,
		      (unsigned long long)bpfam_slots_gate(
			      &h->fs.dev, &h->fs.sb, h->host.slot.index,
			      bpfam_fs_horizon(&h->fs)));
	return SIM_EXIT_VIOLATION;
}

static int primary_run(struct simhost *h, uint64_t seed)
{
	struct bpfam_err err;
	int rc;

	rc = bpfam_fs_mount(&h->fs, h->dev_path, BPFAM_OPEN_WRITER, &err);
	if (rc)
		return give_up(h, "mounting", &err);
	h->journal = sim_journal_open(h->dir);
	if (h->journal < 0)
		return journal(h, -errno);
	rc = join(h, seed, BPFAM_ROLE_PRIMARY);
	if (!rc)
		rc = primary_recover(h);
	if (rc)
		return rc;
	set_state(h, SIM_HOST_READY);
	while (!stop_req) {
		rc = beat_if_due(h);
		if (!rc)
			rc = primary_step(h);
		if (!rc)
			rc = check_namespace(h, "a step");
		if (rc)
			return rc;
		sim_sleep_ms(sim_range(&h->rng, 10, 60));
	}
	rc = primary_drain(h);
	bpfam_host_leave(&h->host);
	bpfam_fs_close(&h->fs);
	return rc;
}

/* ---- a client --------------------------------------------------------- */

static void client_hold(struct simhost *h)
{
	struct bpfam_inode *in = pick_ready(h);
	struct hold *hd;

	if (!in)
		return;
	hd = &h->holds[h->nholds++];
	bpfam_fs_hold(in);
	/* Long enough that the primary deletes some of them meanwhile. */
	*hd = (struct hold){in, sim_now_ms() + sim_range(&h->rng, 50, 2500),
			    false};
	sim_count(h->sh, SIM_C_HOLDS, 1);
}

/* Read a window of a held file, write one back; release when it is time. */
static int client_use(struct simhost *h, unsigned int k)
{
	struct hold *hd = &h->holds[k];
	uint64_t off, len;
	int rc;

	if (hd->in->del_seq && !hd->saw_delete) {
		hd->saw_delete = true;
		sim_count(h->sh, SIM_C_HELD_DELETED, 1);
	}
	rc = verify_window(h, hd->in, 256 << 10);
	if (rc)
		return rc;
	if (sim_chance(&h->rng, 500)) {
		/* The same bytes: any other host may be reading them. */
		sim_window(&h->rng, hd->in, 64 << 10, &off, &len);
		rc = sim_fill(&h->fs, hd->in, off, len);
		if (rc) {
			fprintf(stderr, "# client %u: writing: %s\n", h->index,
				strerror(-rc));
			return SIM_EXIT_ERROR;
		}
		sim_count(h->sh, SIM_C_WRITTEN, len);
	}
	if (sim_now_ms() < hd->until)
		return 0;
	bpfam_fs_release(hd->in);
	*hd = h->holds[--h->nholds];
	return 0;
}

/*
 * Stopped at a safe point: nothing is in flight and the next thing after
 * the pause is the check every host makes, so a host evicted meanwhile
 * fences itself before it touches a byte.  Half the time that check is
 * the log (a reclaim of a file we hold), half the time the heartbeat.
 */
static int client_pause(struct simhost *h)
{
	int rc;

	set_state(h, SIM_HOST_PAUSED);
	while (!resume_req && !stop_req)
		sim_sleep_ms(5);
	pause_req = resume_req = 0;
	set_state(h, SIM_HOST_RUNNING);
	h->next_beat = sim_now_ms() + SIM_PERIOD_MS;
	if (sim_chance(&h->rng, 500)) {
		rc = refresh(h);
		return rc ? rc : beat(h);
	}
	rc = beat(h);
	return rc ? rc : refresh(h);
}

static int client_loop(struct simhost *h)
{
	unsigned int k;
	int rc;

	while (!stop_req) {
		rc = pause_req ? client_pause(h) : 0;
		if (!rc)
			rc = beat_if_due(h);
		for (k = h->nholds; !rc && k-- > 0;)
			rc = client_use(h, k);
		if (rc)
			return rc;
		if (h->nholds < CLIENT_MAX_HOLDS && sim_chance(&h->rng, 300))
			client_hold(h);
		sim_sleep_ms(sim_range(&h->rng, 2, 8));
	}
	return 0;
}

static int client_run(struct simhost *h, uint64_t seed)
{
	struct bpfam_err err;
	int rc;

	rc = bpfam_fs_mount(&h->fs, h->dev_path, BPFAM_OPEN_RDWR, &err);
	if (rc)
		return give_up(h, "mounting", &err);
	rc = join(h, seed, BPFAM_ROLE_CLIENT);
	/*
	 * Follow the log before the first hold: the horizon published at
	 * join is the mount's, and a reclaim decided before the primary saw
	 * our slot may cover files still linked in what the mount played.
	 */
	if (!rc)
		rc = refresh(h);
	if (!rc)
		rc = client_loop(h);
	if (rc)
		return rc;
	while (h->nholds)
		bpfam_fs_release(h->holds[--h->nholds].in);
	bpfam_host_leave(&h->host);
	bpfam_fs_close(&h->fs);
	return SIM_EXIT_OK;
}

/* ---- command line ----------------------------------------------------- */

static int usage(const char *why)
{
	fprintf(stderr,
		"simhost: %s\nusage: simhost primary|client --dev DEVICE --dir DIR --seed N --index I [--incarnation K] [--break-gate] [--blind]\n",
		why);
	return SIM_EXIT_USAGE;
}

static int parse(int argc, char **argv, struct simhost *h, uint64_t *seed,
		 unsigned int *incarnation)
{
	static const struct option opts[] = {
		{"dev", required_argument, NULL, 'd'},
		{"dir", required_argument, NULL, 'D'},
		{"seed", required_argument, NULL, 's'},
		{"index", required_argument, NULL, 'i'},
		{"incarnation", required_argument, NULL, 'n'},
		{"break-gate", no_argument, NULL, 'B'},
		{"blind", no_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	int c;

	if (argc < 2 || (strcmp(argv[1], "primary") && strcmp(argv[1], "client")))
		return usage("the first argument is primary or client");
	h->primary = !strcmp(argv[1], "primary");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			h->dev_path = optarg;
			break;
		case 'D':
			h->dir = optarg;
			break;
		case 's':
			*seed = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			h->index = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			*incarnation = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'B':
			h->break_gate = true;
			break;
		case 'b':
			h->blind = true;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (!h->dev_path || !h->dir)
		return usage("--dev and --dir are required");
	if (h->index >= SIM_MAX_HOSTS)
		return usage("--index is out of range");
	return 0;
}

int main(int argc, char **argv)
{
	static struct simhost h;
	unsigned int incarnation = 0;
	uint64_t seed = 0;
	int rc;

	/* Never outlive the driver, whatever kills it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rc = parse(argc, argv, &h, &seed, &incarnation);
	if (rc)
		return rc;
	h.rng = sim_seed_of(seed, h.index, incarnation);
	h.sh = sim_shared_map(h.dir, false);
	if (!h.sh) {
		fprintf(stderr, "simhost: %s/shared: %s\n", h.dir,
			strerror(errno));
		return SIM_EXIT_ERROR;
	}
	catch_signals();
	return h.primary ? primary_run(&h, seed) : client_run(&h, seed);
}
