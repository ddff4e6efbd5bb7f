"""The register of recipient units (需求单位): categories, priority tiers and tier changes.

Below the ledger and allocation; imports neither."""
