"""Operations: configuration files, log lines, metrics and the admin endpoints.

Pure except ``admin``, the Twisted admin server.
"""
