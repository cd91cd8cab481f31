"""Subcommands of the ``sioproxy`` program, one module each.

Layer: edge. Codec commands are pure; network commands import the transport.
"""
