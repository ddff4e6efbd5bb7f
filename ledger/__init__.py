"""The stock ledger: append-only hash-chained entries, balances, lot status, trace, verification.

Other packages write stock movements through `ledger.services` only.
"""
