"""Getting alerts out: the courier (order, pace, retries) and the destinations."""
