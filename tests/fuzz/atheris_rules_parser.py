"""atheris target for ``tests.fuzz.targets.rules_parser``; run by ``make fuzz``."""

from tests.fuzz.atheris_main import run

if __name__ == "__main__":
    run("rules_parser")
