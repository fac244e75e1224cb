/*
 * canchor: C anchors for iostrat's benchmarks.
 *
 * Each leaf is a workload written straight on a kernel primitive
 * (pthreads, futex, epoll, eventfd, io_uring), doing the same work as the
 * iostrat workload it is named after, so that its line sits beside the
 * strategies' lines as the floor under them. This header is what the
 * harness (harness.c) and the workloads (one file each) share.
 */
#ifndef CANCHOR_H
#define CANCHOR_H

#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A job is one leaf's run: its size and whatever state its open function
 * prepared for the calls (a ring, a socket pair).
 */
struct job {
	long units;  /* units of work in one call: tasks, rounds, wakes, no-ops */
	long batch;  /* Nop: no-ops per submit; 0 elsewhere */
	void *state; /* set by open, released by close */
};

/*
 * A workload's functions. open and close are optional (NULL): they run
 * once per leaf, outside the measured calls. open and call return NULL
 * on success or, when the leaf cannot run here, the reason to print with
 * its SKIP (see skipf). A wrong result or a failed system call ends the
 * program through fail.
 */
struct workload {
	const char *(*open)(struct job *j);
	const char *(*call)(struct job *j);
	void (*close)(struct job *j);
};

/*
 * A leaf is one result line: Benchmark<bench>/impl=<impl>/<params>.
 * params is a printf format with at most one %ld, filled with the batch
 * when the leaf has one and with the units per call otherwise.
 */
struct leaf {
	const char *bench;  /* top-level name without "Benchmark" */
	const char *impl;   /* impl= value */
	const char *params; /* rest of the name, see above */
	const char *unit;   /* what one unit of work is called: task, round, ... */
	long full, quick;   /* units per call, full and -short */
	long batch;         /* copied to job.batch */
	const struct workload *work;
};

/* What the command line asked for (main.c). */
struct options {
	long calls;              /* measured calls per leaf (-benchtime Kx) */
	bool quick;              /* -short sizes */
	int cpus;                /* the CPU budget (-cpus) */
	const char *budget_skip; /* non-NULL: why no leaf can run at this budget */
};

/* run_leaf runs one leaf as the contract says and prints its lines. */
void run_leaf(const struct leaf *l, const struct options *o);

/* skipf formats a SKIP reason; the text lives until the next call. */
const char *skipf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* fail prints a FAIL for the running leaf with the reason and exits 1. */
void fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* start_thread starts fn(arg) on a new thread with default attributes, or fails. */
void start_thread(pthread_t *t, void *(*fn)(void *), void *arg);

/* join_thread joins t, or fails. */
void join_thread(pthread_t t);

/* The workloads, one file each. */
extern const struct workload spawn_pthread;  /* spawn.c */
extern const struct workload pingpong_futex; /* pingpong.c */
extern const struct workload pingpong_epoll; /* pingpong.c */
extern const struct workload wake_eventfd;   /* wake.c */
extern const struct workload wake_futex;     /* wake.c */
extern const struct workload nop_liburing;   /* nop.c */

#endif
