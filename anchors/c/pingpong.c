/*
 * pingpong.c: BenchmarkPingPong anchors, two tasks alternating through a
 * wake primitive; one round is A waking B and B waking A.
 *
 * anchor-epoll/mode=same: both tasks on ONE thread running a minimal
 * level-triggered epoll loop, waking each other through a socket pair
 * (the floor for a readiness loop waking itself through the kernel).
 *
 * anchor-futex/mode=cross: the two tasks are two threads handing a turn
 * back and forth on one futex word (the floor for waking a blocked
 * thread, the thread-per-task strategy's wake). Where the two threads run
 * within the CPU budget is left to the kernel.
 */
#include "canchor.h"
#include "futex.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

enum { TASK_A, TASK_B }; /* the two tasks, also the ends of the socket pair they write */

/* ---- mode=same: a one-thread epoll loop ---- */

/* A loop is an epoll set watching both ends of a socket pair. */
struct loop {
	int ep;
	int end[2]; /* task A writes end[0] (so B reads end[1]), task B writes end[1] */
};

static const char *open_loop(struct job *j)
{
	struct loop *lp = malloc(sizeof *lp);
	if (lp == NULL)
		fail("out of memory");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, lp->end) < 0)
		fail("socketpair: %s", strerror(errno));
	if ((lp->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fail("epoll_create1: %s", strerror(errno));
	for (uint32_t t = TASK_A; t <= TASK_B; t++) {
		/* readiness of a task's own end means the other task wrote to it */
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = t};
		if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->end[t], &ev) < 0)
			fail("epoll_ctl: %s", strerror(errno));
	}
	j->state = lp;
	return NULL;
}

/* send_byte writes one byte to fd. */
static void send_byte(int fd)
{
	char c = 1;
	if (write(fd, &c, 1) != 1)
		fail("write: %s", strerror(errno));
}

/* recv_byte reads the one byte the loop reported ready on fd. */
static void recv_byte(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		fail("read of a readable socket: %s", strerror(errno));
}

/*
 * call_loop runs the rounds: A starts by writing end 0; each time the
 * loop's epoll_wait reports an end readable it runs the task that owns
 * it, which reads the byte and writes its own end, until A has seen its
 * byte come back rounds times.
 */
static const char *call_loop(struct job *j)
{
	struct loop *lp = j->state;
	long rounds = j->units, completed = 0, answered = 0;
	send_byte(lp->end[TASK_A]);
	while (completed < rounds) {
		struct epoll_event evs[2];
		int n = epoll_wait(lp->ep, evs, 2, -1);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			uint32_t t = evs[i].data.u32;
			recv_byte(lp->end[t]);
			if (t == TASK_B) {
				answered++;
				send_byte(lp->end[TASK_B]);
			} else if (++completed < rounds) {
				send_byte(lp->end[TASK_A]);
			}
		}
	}
	if (completed != rounds || answered != rounds)
		fail("ping-pong of %ld rounds: A completed %ld, B answered %ld", rounds, completed, answered);
	return NULL;
}

static void close_loop(struct job *j)
{
	struct loop *lp = j->state;
	close(lp->ep);
	close(lp->end[0]);
	close(lp->end[1]);
	free(lp);
}

const struct workload pingpong_epoll = {open_loop, call_loop, close_loop};

/* ---- mode=cross: two threads on a futex word ---- */

/* A pair is one call's shared state: the turn and what each side counted. */
struct pair {
	struct turn turn;
	long rounds;
	long answered; /* B's count, read after the join */
};

/* task_b answers every round: it waits for its turn and hands it back. */
static void *task_b(void *arg)
{
	struct pair *p = arg;
	for (long i = 0; i < p->rounds; i++) {
		turn_await(&p->turn, TASK_B);
		p->answered++;
		turn_pass(&p->turn, TASK_A);
	}
	return NULL;
}

/* call_futex runs task A on the calling thread and task B on a new one. */
static const char *call_futex(struct job *j)
{
	struct pair p = {.turn = {TASK_A, 0}, .rounds = j->units};
	long completed = 0;
	pthread_t b;
	start_thread(&b, task_b, &p);
	for (long i = 0; i < p.rounds; i++) {
		turn_pass(&p.turn, TASK_B);
		turn_await(&p.turn, TASK_A);
		completed++;
	}
	join_thread(b);
	if (completed != p.rounds || p.answered != p.rounds)
		fail("ping-pong of %ld rounds: A completed %ld, B answered %ld", p.rounds, completed, p.answered);
	return NULL;
}

const struct workload pingpong_futex = {NULL, call_futex, NULL};
