"""Recipients, requests and allocation plans; ``solver`` is the pure allocator."""
