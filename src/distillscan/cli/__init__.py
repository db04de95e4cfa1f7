"""The command-line interface: one module per command, the click group in `main`.

Commands parse options, call the library and render what it returns; data goes to the
invocation's stdout, everything for a person to its stderr (see `output`).
"""
