package thread

import "iostrat"

// Strategy is the thread-per-task strategy.
type Strategy struct{}

var _ iostrat.Strategy = Strategy{}

// Name returns "thread".
func (Strategy) Name() string { return "thread" }
