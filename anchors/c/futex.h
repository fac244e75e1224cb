/*
 * futex.h: the blocking hand-off between two threads used by the futex
 * anchors and by every acknowledgement back to a plain thread.
 *
 * A turn is a futex word naming which of two parties may run; the other
 * sleeps in FUTEX_WAIT on the word until it is handed the turn. A hand-off
 * is a store and, only when the other party may be asleep, one FUTEX_WAKE:
 * the least a thread-per-task runtime can do to wake a blocked thread
 * (iostrat's thread strategy skips the wake the same way).
 *
 * No wake is lost: a waiter counts itself in sleepers before it sleeps and
 * sleeps only while the word still holds the value it read; turn_pass
 * stores the word before it reads sleepers. With sequentially consistent
 * atomics either the passer sees the sleeper and wakes it, or the
 * sleeper's FUTEX_WAIT finds the word changed and returns at once.
 */
#ifndef FUTEX_H
#define FUTEX_H

#include "canchor.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct turn {
	_Atomic uint32_t owner;    /* the futex word: whose turn it is */
	_Atomic uint32_t sleepers; /* parties in, or on their way into, FUTEX_WAIT */
};

/* futex_wait sleeps while *word == seen; a changed word or a signal returns. */
static inline void futex_wait(_Atomic uint32_t *word, uint32_t seen)
{
	if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0) < 0 &&
	    errno != EAGAIN && errno != EINTR)
		fail("FUTEX_WAIT: %s", strerror(errno));
}

/* futex_wake wakes one thread sleeping on word, if any. */
static inline void futex_wake(_Atomic uint32_t *word)
{
	if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		fail("FUTEX_WAKE: %s", strerror(errno));
}

/* turn_pass hands the turn to party to, waking it if it may be asleep. */
static inline void turn_pass(struct turn *t, uint32_t to)
{
	atomic_store(&t->owner, to);
	if (atomic_load(&t->sleepers) != 0)
		futex_wake(&t->owner);
}

/* turn_await blocks until the turn is party me's. */
static inline void turn_await(struct turn *t, uint32_t me)
{
	uint32_t seen;
	while ((seen = atomic_load(&t->owner)) != me) {
		atomic_fetch_add(&t->sleepers, 1);
		futex_wait(&t->owner, seen);
		atomic_fetch_sub(&t->sleepers, 1);
	}
}

#endif
