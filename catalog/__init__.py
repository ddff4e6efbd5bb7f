"""The catalogue: grades of protective material, makers' products, and the lots received.

Below the ledger, procurement and allocation; imports none of them."""
