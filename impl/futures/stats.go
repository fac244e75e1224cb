package futures

// counters are an executor's statistics, kept as plain fields by its owner
// goroutine and copied out under a mutex at the end of a turn (before the
// loop parks, when a loop returns, and when a workload signals its caller),
// so counting costs an increment, never an atomic.
type counters struct {
	spawned      uint64 // tasks spawned (counted when they reach the run queue)
	polls        uint64 // Future.Poll calls on tasks
	wakes        uint64 // wakes that queued a task
	spurious     uint64 // wakes that found the task already queued or complete
	parks        uint64 // times the loop parked (on the netpoller or in epoll_wait)
	epollWaits   uint64 // epoll_wait calls, blocking or not
	epollCtls    uint64 // epoll_ctl calls (one per registered fd)
	reads        uint64 // read calls on sockets
	writes       uint64 // write calls on sockets
	accepts      uint64 // accept4 calls
	eventfdReads uint64 // eventfd reads (drains of cross-thread wake signals)
}

// Stats is a snapshot of an executor's counters, as last published by its
// loop.
type Stats struct {
	Spawned       uint64 // tasks spawned
	Polls         uint64 // task polls
	Wakes         uint64 // wakes that queued a task
	SpuriousWakes uint64 // wakes that found the task already queued or complete
	Parks         uint64 // times the loop parked
	EpollWaits    uint64 // epoll_wait calls
	EpollCtls     uint64 // epoll_ctl calls
	Reads         uint64 // socket reads
	Writes        uint64 // socket writes
	Accepts       uint64 // accept4 calls
	EventfdWrites uint64 // eventfd writes by goroutines waking the loop
	EventfdReads  uint64 // eventfd reads by the loop
}

// publish copies the owner's counters where Stats can read them. Owner
// only.
func (e *Executor) publish() {
	e.statsMu.Lock()
	e.published = e.count
	e.statsMu.Unlock()
}

// Stats returns the counters as last published by the loop: at its last
// park, when Run or BlockOn returned, or when a workload finished. It may
// be called from any goroutine.
func (e *Executor) Stats() Stats {
	e.statsMu.Lock()
	c := e.published
	e.statsMu.Unlock()
	return Stats{
		Spawned:       c.spawned,
		Polls:         c.polls,
		Wakes:         c.wakes,
		SpuriousWakes: c.spurious,
		Parks:         c.parks,
		EpollWaits:    c.epollWaits,
		EpollCtls:     c.epollCtls,
		Reads:         c.reads,
		Writes:        c.writes,
		Accepts:       c.accepts,
		EventfdWrites: e.eventfdWrites.Load(),
		EventfdReads:  c.eventfdReads,
	}
}
