/*
 * harness.c: runs a leaf the way iostrat's bench harness runs a workload
 * (one unmeasured warm-up call, then K measured calls) and prints the
 * result as a Go benchmark line, or the leaf's SKIP or FAIL.
 */
#include "canchor.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static char running[256]; /* the name of the leaf running, for fail */
static char reason[512];  /* skipf's text */

const char *skipf(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(reason, sizeof reason, format, ap);
	va_end(ap);
	return reason;
}

void fail(const char *format, ...)
{
	va_list ap;
	fflush(stdout);
	printf("--- FAIL: %s\n    ", running);
	va_start(ap, format);
	vprintf(format, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);
	if (err != 0)
		fail("pthread_create: %s", strerror(err));
}

void join_thread(pthread_t t)
{
	int err = pthread_join(t, NULL);
	if (err != 0)
		fail("pthread_join: %s", strerror(err));
}

/* now reads clock in nanoseconds. */
static int64_t now(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * observed_cpus is the number of CPUs in the union of the affinities of
 * every thread the process has now: what it could run on, read back.
 */
static int observed_cpus(void)
{
	cpu_set_t all, one;
	CPU_ZERO(&all);
	DIR *dir = opendir("/proc/self/task");
	if (dir == NULL)
		fail("/proc/self/task: %s", strerror(errno));
	for (struct dirent *e; (e = readdir(dir)) != NULL;) {
		int tid = atoi(e->d_name);
		if (tid <= 0)
			continue; /* "." and ".." */
		if (sched_getaffinity(tid, sizeof one, &one) < 0) {
			if (errno == ESRCH)
				continue; /* the thread ended since the listing */
			fail("sched_getaffinity(%d): %s", tid, strerror(errno));
		}
		CPU_OR(&all, &all, &one);
	}
	closedir(dir);
	return CPU_COUNT(&all);
}

/*
 * metric prints a tab and value with its unit as Go's testing package
 * does: whole numbers from 1000 up, four significant digits below.
 */
static void metric(double v, const char *unit)
{
	double y = fabs(v);
	int width = 18, prec = 7;
	if (y == 0 || y >= 999.95)
		width = 10, prec = 0;
	else if (y >= 99.995)
		width = 12, prec = 1;
	else if (y >= 9.9995)
		width = 13, prec = 2;
	else if (y >= 0.99995)
		width = 14, prec = 3;
	else if (y >= 0.099995)
		width = 15, prec = 4;
	else if (y >= 0.0099995)
		width = 16, prec = 5;
	else if (y >= 0.00099995)
		width = 17, prec = 6;
	printf("\t%*.*f %s", width, prec, v, unit);
}

/* leaf_name writes Benchmark<bench>/impl=<impl>/<params>[-N] into buf. */
static void leaf_name(char *buf, size_t size, const struct leaf *l, long units, int cpus)
{
	char params[64], suffix[16] = "";
	snprintf(params, sizeof params, l->params, l->batch ? l->batch : units);
	if (cpus > 1)
		snprintf(suffix, sizeof suffix, "-%d", cpus);
	snprintf(buf, size, "Benchmark%s/impl=%s/%s%s", l->bench, l->impl, params, suffix);
}

static void print_skip(const char *why)
{
	printf("--- SKIP: %s\n    %s\n", running, why);
	fflush(stdout);
}

/*
 * switches is the process's context switches so far, voluntary and
 * involuntary, every thread's (ended ones included), as getrusage counts
 * them: the figure iostrat's harness reports as ctx-switches/<unit>.
 */
static int64_t switches(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		fail("getrusage: %s", strerror(errno));
	return (int64_t)ru.ru_nvcsw + (int64_t)ru.ru_nivcsw;
}

/*
 * measure makes the warm-up call and the measured calls, and returns the
 * wall and process CPU nanoseconds of the measured ones and the context
 * switches during them, or a SKIP reason. The wall window encloses the
 * CPU window, clock reads included, as in iostrat's harness, so cpu-util
 * cannot exceed the budget by more than the kernel's accounting error.
 */
static const char *measure(const struct leaf *l, struct job *j, long calls, int64_t *wall, int64_t *cpu, int64_t *cs)
{
	const char *skip = l->work->call(j); /* warm-up */
	if (skip != NULL)
		return skip;
	int64_t wall0 = now(CLOCK_MONOTONIC);
	int64_t cs0 = switches();
	int64_t cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (long k = 0; k < calls && skip == NULL; k++)
		skip = l->work->call(j);
	*cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	*cs = switches() - cs0;
	*wall = now(CLOCK_MONOTONIC) - wall0;
	return skip;
}

void run_leaf(const struct leaf *l, const struct options *o)
{
	struct job j = {.units = o->quick ? l->quick : l->full, .batch = l->batch};
	leaf_name(running, sizeof running, l, j.units, o->cpus);
	if (o->budget_skip != NULL) {
		print_skip(o->budget_skip);
		return;
	}
	const char *skip = l->work->open ? l->work->open(&j) : NULL;
	if (skip != NULL) {
		print_skip(skip);
		return;
	}
	int64_t wall = 0, cpu = 0, cs = 0;
	skip = measure(l, &j, o->calls, &wall, &cpu, &cs);
	int cpus = observed_cpus();
	if (l->work->close)
		l->work->close(&j);
	if (skip != NULL) {
		print_skip(skip);
		return;
	}
	double units = (double)o->calls * (double)j.units;
	char per[64];
	printf("%s\t%8ld", running, o->calls);
	metric((double)wall / (double)o->calls, "ns/op");
	snprintf(per, sizeof per, "ns/%s", l->unit);
	metric((double)wall / units, per);
	snprintf(per, sizeof per, "cpu-ns/%s", l->unit);
	metric((double)cpu / units, per);
	metric((double)cpu / (double)wall, "cpu-util");
	snprintf(per, sizeof per, "ctx-switches/%s", l->unit);
	metric((double)cs / units, per);
	metric(cpus, "cpus");
	printf("\n");
	fflush(stdout);
}
