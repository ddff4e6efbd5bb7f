"""Rounds, requests, the allocation policy and plans; ``solver`` is the pure allocator.

The recipient register's pages are here too (allocators keep it); its models and operations are
in `recipients/`."""
