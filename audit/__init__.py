"""Audit documents: allocation PDFs, daily and recall reports, exports, verification."""
