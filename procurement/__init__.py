"""Procurement: suppliers, purchases, batches, certificates and the quality gate."""
