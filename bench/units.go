package bench

// Custom benchmark units. The time unit comes last so benchstat scales it
// ("ns/task" prints as "sec/task"); hyphens, never underscores, because
// benchstat leaves underscored units alone.
const (
	unitTask    = "task"  // one spawned, chained, injected or timed task
	unitYield   = "yield" // one yield that returned
	unitRound   = "round" // one ping-pong round trip (two wakes)
	unitWake    = "wake"  // one delivered wake-up
	unitTimer   = "timer" // one timer armed and cancelled, or fired
	unitMsg     = "msg"   // one echoed message
	unitReq     = "req"   // one HTTP request answered
	unitConn    = "conn"  // one connection (churn: opened, used, closed)
	unitCall    = "call"  // one workload call (the harness baseline)
	unitNop     = "nop"   // one no-op submitted and reaped through a completion port
	perNanos    = "ns/"   // prefix of the per-unit time metric
	perAllocs   = "allocs/"
	perCPUNanos = "cpu-ns/" // prefix of the process CPU time per unit
	perSyscall  = "syscalls/"
	perSwitches = "ctx-switches/" // prefix of the process's context switches per unit

	unitP50     = "p50-ns"
	unitP99     = "p99-ns"
	unitP999    = "p99.9-ns"
	unitMax     = "max-ns"
	unitMBps    = "MB/s"
	unitReqPerS = "req/s"
	unitConnPS  = "conns/s"
	unitBConn   = "B/conn"
	unitGConn   = "goroutines/conn"
	unitBehind  = "behind-sched"
)
