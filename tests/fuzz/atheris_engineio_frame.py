"""atheris target for ``tests.fuzz.targets.engineio_frame``; run by ``make fuzz``."""

from tests.fuzz.atheris_main import run

if __name__ == "__main__":
    run("engineio_frame")
