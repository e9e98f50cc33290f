"""Helpers for tests and scripts; not part of the shipped package."""
