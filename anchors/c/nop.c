/*
 * nop.c: BenchmarkNop/impl=anchor-liburing, the floor under iostrat's
 * completion port (impl/iocp_style, BenchmarkNop there does the same
 * loop through a Port). One call submits and reaps units no-ops in
 * groups of batch: batch io_uring_prep_nop SQEs, one
 * io_uring_submit_and_wait(batch) that submits them and waits for their
 * completions in one io_uring_enter, then every CQE reaped and its
 * user_data checked. When units is not a multiple of batch, the last
 * group is the rest.
 */
#include "canchor.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

enum { RING_ENTRIES = 256 }; /* SQ entries; no flags, no SQPOLL */

static const char *open_nop(struct job *j)
{
	if (j->batch < 1 || j->batch > 64)
		fail("batch %ld: want 1 to 64 (reap_group checks a group on a 64-bit mask)", j->batch);
	struct io_uring *ring = malloc(sizeof *ring);
	if (ring == NULL)
		fail("out of memory");
	int err = io_uring_queue_init(RING_ENTRIES, ring, 0);
	if (err < 0) {
		free(ring);
		return skipf("io_uring_queue_init: %s", strerror(-err));
	}
	j->state = ring;
	return NULL;
}

/* submit_group queues n no-ops tagged first, first+1, ... and enters once to submit them and wait for n completions. */
static void submit_group(struct io_uring *ring, uint64_t first, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		if (sqe == NULL)
			fail("no free SQE for no-op %u of a group of %u", i + 1, n);
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, first + i);
	}
	int got = io_uring_submit_and_wait(ring, n);
	if (got < 0)
		fail("io_uring_submit_and_wait: %s", strerror(-got));
	if ((unsigned)got != n)
		fail("io_uring_submit_and_wait submitted %d of %u no-ops", got, n);
}

/* reap_group takes the n completions of the group tagged from first, each exactly once. */
static void reap_group(struct io_uring *ring, uint64_t first, unsigned n)
{
	uint64_t seen = 0; /* bit i: the completion of no-op first+i */
	unsigned head, count = 0;
	struct io_uring_cqe *cqe;
	io_uring_for_each_cqe(ring, head, cqe) {
		uint64_t i = io_uring_cqe_get_data64(cqe) - first;
		if (i >= n || (seen >> i & 1) != 0)
			fail("completion with user_data %llu in the group of %u from %llu", (unsigned long long)(first + i), n,
			     (unsigned long long)first);
		if (cqe->res != 0)
			fail("no-op %llu completed with %s", (unsigned long long)(first + i), strerror(-cqe->res));
		seen |= (uint64_t)1 << i;
		count++;
	}
	io_uring_cq_advance(ring, count);
	if (count != n)
		fail("%u completions for a group of %u no-ops", count, n);
}

static const char *call_nop(struct job *j)
{
	struct io_uring *ring = j->state;
	for (long done = 0; done < j->units;) {
		unsigned n = (unsigned)(j->units - done < j->batch ? j->units - done : j->batch);
		submit_group(ring, (uint64_t)done, n);
		reap_group(ring, (uint64_t)done, n);
		done += n;
	}
	return NULL;
}

static void close_nop(struct job *j)
{
	io_uring_queue_exit(j->state);
	free(j->state);
}

const struct workload nop_liburing = {open_nop, call_nop, close_nop};
