"""Runnable examples of glassnet; run them from the repository root (see README.md)."""
