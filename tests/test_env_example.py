""".env.example lists every setting: a field added to Settings without its line fails here.

A setting is listed by an assignment line (commented out, so that a copied file keeps the
defaults) under a comment that explains it. Settings with several names (the original AWS
deployment's ``AWS_*`` and ``FIREBASE_CERTIFICATE`` beside their ``BCA_`` forms) are listed under
the first name pydantic reads, and every other name is mentioned in the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices

from bca.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
ASSIGNMENT = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def names_of(field_name: str) -> list[str]:
    """The environment variables of one setting, the one pydantic tries first at the head."""
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    prefix = Settings.model_config.get("env_prefix", "")
    return [f"{prefix}{field_name}".upper()]


def assigned(text: str) -> list[str]:
    return ASSIGNMENT.findall(text)


def test_every_setting_has_a_line_in_env_example() -> None:
    text = ENV_EXAMPLE.read_text()
    listed = set(assigned(text))
    missing = [
        names_of(name)[0] for name in Settings.model_fields if not listed & set(names_of(name))
    ]
    assert missing == [], f"add these settings to .env.example: {missing}"
    unmentioned = [
        other
        for name in Settings.model_fields
        for other in names_of(name)
        if not re.search(rf"\b{other}\b", text)
    ]
    assert unmentioned == [], f"mention these other names in .env.example: {unmentioned}"


def test_env_example_lists_nothing_else_and_nothing_twice() -> None:
    variables = assigned(ENV_EXAMPLE.read_text())
    known = {variable for name in Settings.model_fields for variable in names_of(name)}
    assert sorted(set(variables) - known) == []
    assert len(variables) == len(set(variables))


def test_every_listed_setting_is_explained() -> None:
    """Each assignment follows a comment line (or another assignment of the same group)."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = lines[number - 1]
            assert above.startswith("# "), f"line {number + 1} has no comment above: {line}"


def test_the_example_is_a_valid_configuration_when_uncommented(tmp_path: Path) -> None:
    """Uncommented, the example's values load: they are real values, not placeholders."""
    uncommented = [
        line.removeprefix("# ")
        for line in ENV_EXAMPLE.read_text().splitlines()
        if ASSIGNMENT.match(line) and not line.rstrip().endswith("=")
    ]
    env_file = tmp_path / ".env"
    certificate = tmp_path / "firebase.json"
    certificate.write_text("{}")
    values = "\n".join(
        f"FIREBASE_CERTIFICATE={certificate}" if line.startswith("FIREBASE_CERTIFICATE=") else line
        for line in uncommented
    )
    # The example shows both ways to run tasks; they exclude each other.
    env_file.write_text(values.replace("BCA_BROKER_URL=", "# BCA_BROKER_URL="))
    settings = Settings(_env_file=env_file)
    assert settings.aws_s3_bucket_name == "bca-files"
    assert settings.database_pool_size == 10
