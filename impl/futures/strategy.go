package futures

// Strategy is the futures strategy as the iostrat suite lists it:
// futures.Strategy{}. Its Start is in strategy_linux.go (strategy_other.go
// elsewhere, where it reports that the strategy needs Linux).
type Strategy struct{}

// Name returns "futures".
func (Strategy) Name() string { return "futures" }
