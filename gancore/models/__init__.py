"""Builders for the networks of the book, faithful to its printed summaries."""
