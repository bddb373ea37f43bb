"""Benchmarks. Not part of the product: nothing under gridsafe/ imports from here."""
