"""Citizens' rationing: outlets of the retail units, booking rounds on an issued plan's retail
allocation, the public booking page, and the lottery that decides who buys when too many book."""
