"""Allow ``python -m sioproxy``."""

from sioproxy.cli import console_main

console_main()
