"""Allow ``python -m sioproxy``."""

from sioproxy.cli.main import console_main

console_main()
