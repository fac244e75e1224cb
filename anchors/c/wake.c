/*
 * wake.c: BenchmarkWakeExternal anchors. A task waits; a plain thread,
 * started for the call, wakes it rounds times; after each wake the task
 * acknowledges back to the plain thread through a futex baton (futex.h)
 * and waits again. The calling thread is the waiting task.
 *
 * anchor-eventfd: the task is a loop blocked in epoll_wait on an eventfd
 * and the plain thread writes the eventfd (the floor under a readiness
 * loop's cross-thread wake).
 *
 * anchor-futex: the task is a thread blocked in FUTEX_WAIT and the plain
 * thread hands it the turn on the word, one FUTEX_WAKE (the floor under
 * the thread-per-task strategy's wake). The acknowledgement hands the
 * turn back on the same word.
 */
#include "canchor.h"
#include "futex.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

enum { PLAIN, TASK }; /* the two holders of a call's baton */

/* A call is what the waiting task and the plain thread share. */
struct call {
	struct turn baton; /* whose turn it is: the task's from a wake to its acknowledgement */
	int efd;           /* anchor-eventfd: the eventfd the plain thread writes */
	long rounds;
	long woken; /* the plain thread's count, read after the join */
};

/* check_acked fails the call unless every wake was made and acknowledged. */
static void check_acked(const struct call *c, long acked)
{
	if (acked != c->rounds || c->woken != c->rounds)
		fail("%ld wakes: %ld made, %ld acknowledged", c->rounds, c->woken, acked);
}

/* ---- anchor-eventfd ---- */

/* An eventfd loop: an epoll set watching one eventfd. */
struct efd_loop {
	int ep, efd;
};

static const char *open_eventfd(struct job *j)
{
	struct efd_loop *lp = malloc(sizeof *lp);
	if (lp == NULL)
		fail("out of memory");
	if ((lp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		fail("eventfd: %s", strerror(errno));
	if ((lp->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fail("epoll_create1: %s", strerror(errno));
	struct epoll_event ev = {.events = EPOLLIN};
	if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->efd, &ev) < 0)
		fail("epoll_ctl: %s", strerror(errno));
	j->state = lp;
	return NULL;
}

/*
 * plain_eventfd wakes the loop rounds times. Before each wake it gives
 * the baton to the task (a plain store: the loop sleeps in epoll_wait,
 * never on the word), then waits until the task hands it back.
 */
static void *plain_eventfd(void *arg)
{
	struct call *c = arg;
	uint64_t one = 1;
	for (long i = 0; i < c->rounds; i++) {
		turn_pass(&c->baton, TASK);
		if (write(c->efd, &one, sizeof one) != sizeof one)
			fail("eventfd write: %s", strerror(errno));
		c->woken++;
		turn_await(&c->baton, PLAIN);
	}
	return NULL;
}

/* await_eventfd blocks in epoll_wait until the eventfd is readable and reads it. */
static void await_eventfd(const struct efd_loop *lp)
{
	struct epoll_event ev;
	int n;
	while ((n = epoll_wait(lp->ep, &ev, 1, -1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		fail("epoll_wait: %s", n < 0 ? strerror(errno) : "no event");
	uint64_t count;
	if (read(lp->efd, &count, sizeof count) != sizeof count)
		fail("eventfd read: %s", strerror(errno));
	if (count != 1)
		fail("eventfd read %llu wakes at once, want 1", (unsigned long long)count);
}

static const char *call_eventfd(struct job *j)
{
	struct efd_loop *lp = j->state;
	struct call c = {.baton = {PLAIN, 0}, .efd = lp->efd, .rounds = j->units};
	long acked = 0;
	pthread_t plain;
	start_thread(&plain, plain_eventfd, &c);
	for (long i = 0; i < c.rounds; i++) {
		await_eventfd(lp);
		acked++;
		turn_pass(&c.baton, PLAIN);
	}
	join_thread(plain);
	check_acked(&c, acked);
	return NULL;
}

static void close_eventfd(struct job *j)
{
	struct efd_loop *lp = j->state;
	close(lp->ep);
	close(lp->efd);
	free(lp);
}

const struct workload wake_eventfd = {open_eventfd, call_eventfd, close_eventfd};

/* ---- anchor-futex ---- */

/* plain_futex wakes the task rounds times by handing it the turn, then waits for it back. */
static void *plain_futex(void *arg)
{
	struct call *c = arg;
	for (long i = 0; i < c->rounds; i++) {
		turn_pass(&c->baton, TASK);
		c->woken++;
		turn_await(&c->baton, PLAIN);
	}
	return NULL;
}

static const char *call_futex(struct job *j)
{
	struct call c = {.baton = {PLAIN, 0}, .efd = -1, .rounds = j->units};
	long acked = 0;
	pthread_t plain;
	start_thread(&plain, plain_futex, &c);
	for (long i = 0; i < c.rounds; i++) {
		turn_await(&c.baton, TASK);
		acked++;
		turn_pass(&c.baton, PLAIN);
	}
	join_thread(plain);
	check_acked(&c, acked);
	return NULL;
}

const struct workload wake_futex = {NULL, call_futex, NULL};
