"""The command-line application: ``gancore run``, ``gancore train``, ``gancore results`` and friends.

The top layer: it may import everything below it; nothing imports it.
"""
