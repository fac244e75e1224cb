/*
 * spawn.c: BenchmarkSpawn/impl=anchor-pthread, the floor under the
 * thread-per-task strategy's Spawn. One call creates n threads with
 * default attributes, thread i adds i+1 to a shared sum, and the caller
 * joins them all; the sum must come to n(n+1)/2.
 */
#include "canchor.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t sum; /* the tasks' sum; one leaf runs at a time */

/* task is thread i's body; its argument is i+1. */
static void *task(void *arg)
{
	atomic_fetch_add_explicit(&sum, (uint64_t)(uintptr_t)arg, memory_order_relaxed);
	return NULL;
}

static const char *open_spawn(struct job *j)
{
	j->state = calloc((size_t)j->units, sizeof(pthread_t));
	if (j->state == NULL)
		fail("out of memory for %ld thread handles", j->units);
	return NULL;
}

/* join_all joins the first n threads of ts. */
static void join_all(pthread_t *ts, long n)
{
	for (long i = 0; i < n; i++)
		join_thread(ts[i]);
}

/*
 * call_spawn runs one call. A pthread_create that fails for want of
 * resources (EAGAIN: a thread or memory limit) skips the leaf, after
 * joining the threads already started.
 */
static const char *call_spawn(struct job *j)
{
	pthread_t *ts = j->state;
	long n = j->units;
	atomic_store(&sum, 0);
	for (long i = 0; i < n; i++) {
		int err = pthread_create(&ts[i], NULL, task, (void *)(uintptr_t)(i + 1));
		if (err == EAGAIN) {
			join_all(ts, i);
			return skipf("pthread_create: %s at thread %ld of %ld", strerror(err), i + 1, n);
		}
		if (err != 0)
			fail("pthread_create: %s at thread %ld of %ld", strerror(err), i + 1, n);
	}
	join_all(ts, n);
	uint64_t want = (uint64_t)n * (uint64_t)(n + 1) / 2, got = atomic_load(&sum);
	if (got != want)
		fail("sum of %ld tasks = %llu, want %llu", n, (unsigned long long)got, (unsigned long long)want);
	return NULL;
}

static void close_spawn(struct job *j)
{
	free(j->state);
}

const struct workload spawn_pthread = {open_spawn, call_spawn, close_spawn};
