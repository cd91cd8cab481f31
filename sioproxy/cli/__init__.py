"""The ``sioproxy`` command line: ``main(reactor, argv)`` and one module per subcommand.

Layer: top. Codec and inspect commands are pure; network commands start the
programs' Twisted edges.
"""
