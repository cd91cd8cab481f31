"""atheris target for ``tests.fuzz.targets.legacy_packet``; run by ``make fuzz``."""

from tests.fuzz.atheris_main import run

if __name__ == "__main__":
    run("legacy_packet")
