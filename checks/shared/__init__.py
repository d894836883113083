"""Helpers the checks share (no check imports another check)."""
