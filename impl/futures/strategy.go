package futures

// Strategy is the futures strategy as the iostrat suite lists it:
// futures.Strategy{}.
type Strategy struct{}

// Name returns "futures".
func (Strategy) Name() string { return "futures" }
