package iocpstyle

// The adapter's tokens: a kind in bits 48-55 and a payload in bits 0-47, so
// every token fits a posted completion (MaxPostToken). Connection tokens
// carry the connection's table index and generation, never a pointer.
type tokKind uint8

const (
	tkJob            tokKind = iota + 1 // run the loop's next queued job (the call boundary)
	tkStop                              // leave the loop
	tkSpawn                             // Spawn: task index
	tkChain                             // Chain: position in the chain
	tkInject                            // Inject: task index
	tkYield                             // Yield: task index
	tkPing                              // PingPong: to the B side; payload: the A loop, result: round
	tkPong                              // PingPong: back to A; payload: the B loop, result: round
	tkHog                               // PingPong hog: the CPU-bound task
	tkWake                              // WakeExternal: the outside thread's wake
	tkFanEvent                          // FanOut: the event
	tkFanWaiter                         // FanOut: one waiter woken; payload: waiter index
	tkFanJoin                           // FanOut: a loop's share; payload: its waiters, result: rounds
	tkFanAck                            // FanOut: a loop's waiters all ran this round
	tkTimer                             // Timers: timer index
	tkAccept                            // Serve: accept completion; payload: service id
	tkAcceptRetry                       // Serve: re-arm accept after an error pause
	tkAdopt                             // Serve: a connection handed to this loop; result: fd
	tkListenerClosed                    // Serve: the listener's close completed
	tkRecv                              // connection: receive completion
	tkSend                              // connection: send completion
	tkShutdown                          // connection: shutdown completion
	tkLinger                            // connection: the linger deadline
	tkClosed                            // connection: close completion
)

const (
	tkShift     = 48
	payloadMask = 1<<tkShift - 1
)

func tok(k tokKind, payload uint64) Token { return Token(uint64(k)<<tkShift | payload&payloadMask) }

func (t Token) kind() tokKind   { return tokKind(t >> tkShift) }
func (t Token) payload() uint64 { return uint64(t) & payloadMask }
