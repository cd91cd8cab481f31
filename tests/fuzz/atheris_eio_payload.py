"""atheris target for ``tests.fuzz.targets.eio_payload``; run by ``make fuzz``."""

from tests.fuzz.atheris_main import run

if __name__ == "__main__":
    run("eio_payload")
