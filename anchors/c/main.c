/*
 * main.c: canchor's command line, its leaves and the CPU budget.
 *
 *	canchor -bench NAME [-cpus N] [-benchtime Kx] [-short]
 *	canchor -version
 *	canchor -list
 *
 * -bench runs every leaf of the top-level benchmark NAME (without
 * "Benchmark") in the order of the table below; a name with no leaf here
 * prints nothing. -cpus pins the process to the first N CPUs it started
 * with (default: all of them), before any thread exists, so every thread
 * inherits the budget. -benchtime Kx makes K measured calls per leaf
 * after one warm-up call (default 1x). Flags take "-f v", "-f=v" or "--f".
 */
#include "canchor.h"

#include <errno.h>
#include <gnu/libc-version.h>
#include <liburing.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The liburing version: its own macros when it has them (2.4 and later),
 * else the Debian package's version, which build.sh passes in.
 */
#if defined(IO_URING_VERSION_MAJOR) && defined(IO_URING_VERSION_MINOR)
#define LIBURING_VERSION_TEXT STR(IO_URING_VERSION_MAJOR) "." STR(IO_URING_VERSION_MINOR)
#elif defined(LIBURING_DEB_VERSION)
#define LIBURING_VERSION_TEXT LIBURING_DEB_VERSION
#else
#define LIBURING_VERSION_TEXT "unknown"
#endif

/* The leaves, in the order they run, with the sizes of the Go workloads in bench/: full and -short. */
static const struct leaf leaves[] = {
	{"Spawn", "anchor-pthread", "tasks=%ld", "task", 10000, 1000, 0, &spawn_pthread},
	{"PingPong", "anchor-epoll", "mode=same", "round", 20000, 2000, 0, &pingpong_epoll},
	{"PingPong", "anchor-futex", "mode=cross", "round", 1000, 200, 0, &pingpong_futex},
	{"WakeExternal", "anchor-eventfd", "rounds=%ld", "wake", 1000, 200, 0, &wake_eventfd},
	{"WakeExternal", "anchor-futex", "rounds=%ld", "wake", 1000, 200, 0, &wake_futex},
	{"Nop", "anchor-liburing", "batch=%ld", "nop", 20000, 2000, 1, &nop_liburing},
	{"Nop", "anchor-liburing", "batch=%ld", "nop", 20000, 2000, 32, &nop_liburing},
};
enum { NLEAVES = sizeof leaves / sizeof leaves[0] };

/* usage reports a bad command line on stderr and exits 2. */
static void __attribute__((noreturn, format(printf, 1, 2))) usage(const char *format, ...)
{
	va_list ap;
	fprintf(stderr, "canchor: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: canchor -bench NAME [-cpus N] [-benchtime Kx] [-short] | -version | -list\n");
	exit(2);
}

/* print_version prints the versions canchor was built with and runs on. */
static void print_version(void)
{
	struct utsname u;
	printf("gcc: %s\n", __VERSION__);
	printf("liburing: %s\n", LIBURING_VERSION_TEXT);
	printf("glibc: %s\n", gnu_get_libc_version());
	if (uname(&u) == 0)
		printf("kernel: %s %s\n", u.sysname, u.release);
}

/* print_list prints each top-level name that has a leaf, once, in table order. */
static void print_list(void)
{
	for (int i = 0; i < NLEAVES; i++)
		if (i == 0 || strcmp(leaves[i].bench, leaves[i - 1].bench) != 0)
			printf("%s\n", leaves[i].bench);
}

/* positive parses a whole number > 0 followed by suffix, or returns -1. */
static long positive(const char *s, const char *suffix)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v <= 0 || strcmp(end, suffix) != 0)
		return -1;
	return v;
}

/* What the command line asked to do. */
struct command {
	const char *bench; /* -bench */
	bool version, list;
	long cpus; /* -cpus; 0: every CPU the process started with */
	struct options o;
};

/*
 * flag_value returns the value of flag name at argv[*i]: after "=" in the
 * same word, or the next word (and *i moves past it).
 */
static const char *flag_value(int argc, char **argv, int *i, const char *name, const char *eq)
{
	if (eq != NULL)
		return eq + 1;
	if (*i + 1 >= argc)
		usage("flag needs an argument: -%s", name);
	return argv[++*i];
}

static struct command parse(int argc, char **argv)
{
	struct command c = {.o = {.calls = 1}};
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0')
			usage("unexpected argument %s", arg);
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		if (len == 5 && strncmp(name, "bench", len) == 0) {
			c.bench = flag_value(argc, argv, &i, "bench", eq);
		} else if (len == 4 && strncmp(name, "cpus", len) == 0) {
			const char *v = flag_value(argc, argv, &i, "cpus", eq);
			if ((c.cpus = positive(v, "")) < 0 || c.cpus > CPU_SETSIZE)
				usage("-cpus %s: want a number of CPUs from 1 to %d", v, CPU_SETSIZE);
		} else if (len == 9 && strncmp(name, "benchtime", len) == 0) {
			const char *v = flag_value(argc, argv, &i, "benchtime", eq);
			if ((c.o.calls = positive(v, "x")) < 0)
				usage("-benchtime %s: want a count of calls such as 10x", v);
		} else if (eq == NULL && strcmp(name, "short") == 0) {
			c.o.quick = true;
		} else if (eq == NULL && strcmp(name, "version") == 0) {
			c.version = true;
		} else if (eq == NULL && strcmp(name, "list") == 0) {
			c.list = true;
		} else {
			usage("flag provided but not defined: %s", arg);
		}
	}
	if (!c.version && !c.list && c.bench == NULL)
		usage("nothing to do: give -bench NAME, -version or -list");
	return c;
}

/* format_cpus writes set as the kernel's CPU lists do ("0-3,6") into buf. */
static void format_cpus(char *buf, size_t size, const cpu_set_t *set)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int cpu = 0; cpu < CPU_SETSIZE && used < size; cpu++) {
		if (!CPU_ISSET(cpu, set))
			continue;
		int last = cpu;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
			last++;
		const char *sep = used > 0 ? "," : "";
		if (last == cpu)
			used += (size_t)snprintf(buf + used, size - used, "%s%d", sep, cpu);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s%d-%d", sep, cpu, last);
		cpu = last;
	}
}

/*
 * apply_budget pins the process to the first cpus CPUs it started with
 * (0: all of them) and sets o->cpus; when it started with fewer, it sets
 * o->budget_skip instead and leaves the process where it is.
 */
static void apply_budget(long cpus, struct options *o)
{
	static char why[256 + 4 * CPU_SETSIZE];
	cpu_set_t start, budget;
	if (sched_getaffinity(0, sizeof start, &start) < 0) {
		fprintf(stderr, "canchor: sched_getaffinity: %s\n", strerror(errno));
		exit(1);
	}
	if (cpus == 0)
		cpus = CPU_COUNT(&start);
	o->cpus = (int)cpus;
	if (cpus > CPU_COUNT(&start)) {
		char list[4 * CPU_SETSIZE];
		format_cpus(list, sizeof list, &start);
		snprintf(why, sizeof why, "budget of %ld CPUs, but this process may only use CPUs %s", cpus, list);
		o->budget_skip = why;
		return;
	}
	CPU_ZERO(&budget);
	for (int cpu = 0, n = 0; n < cpus; cpu++)
		if (CPU_ISSET(cpu, &start)) {
			CPU_SET(cpu, &budget);
			n++;
		}
	if (sched_setaffinity(0, sizeof budget, &budget) < 0) {
		fprintf(stderr, "canchor: sched_setaffinity: %s\n", strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct command c = parse(argc, argv);
	if (c.version)
		print_version();
	if (c.list)
		print_list();
	if (c.bench == NULL)
		return 0;
	apply_budget(c.cpus, &c.o);
	for (int i = 0; i < NLEAVES; i++)
		if (strcmp(leaves[i].bench, c.bench) == 0)
			run_leaf(&leaves[i], &c.o);
	return 0;
}
