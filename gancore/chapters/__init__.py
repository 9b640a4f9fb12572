"""Chapter helpers: code that serves one or two chapters, built on the core library.

Each module belongs to the chapters named in its docstring. The core library (``gancore.data``,
``models``, ``losses``, ``metrics``, ``training``, ``plots``) never imports from here.
"""
