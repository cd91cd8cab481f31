"""atheris target for ``tests.fuzz.targets.msgpack``; run by ``make fuzz``."""

from tests.fuzz.atheris_main import run

if __name__ == "__main__":
    run("msgpack")
