"""Runnable lessons (work in progress)."""
