from __future__ import annotations

from pathlib import Path

import pytest

from bca.settings import MailBackend, SettingsError, StorageBackend, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith(("BCA_", "AWS_", "FIREBASE_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_embedded_defaults() -> None:
    settings = load_settings()
    assert settings.resolved_database_url == "sqlite+aiosqlite:///var/bca.db"
    assert settings.storage_backend is StorageBackend.local
    assert settings.mail_backend is MailBackend.console
    assert settings.require_email_verification is True
    assert settings.rate_limit_enabled is True
    key = settings.signing_key
    assert len(key) >= 32
    assert load_settings().signing_key == key, "the embedded key is generated once and kept"


def test_original_deployment_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_S3_BUCKET_NAME", "bca-files")
    monkeypatch.setenv("AWS_TASK_SQS_URL", "https://sqs.eu-central-1.amazonaws.com/1/bca")
    monkeypatch.setenv("BCA_DATABASE_URL", "postgresql://bca@db/bca")
    settings = load_settings()
    assert settings.aws_region == "eu-central-1"
    assert settings.aws_access_key_id == "AKIA"
    assert settings.aws_secret_access_key == "secret"
    assert settings.storage_backend is StorageBackend.s3
    assert settings.aws_task_sqs_url is not None
    assert settings.aws_task_sqs_url.endswith("/bca")
    assert settings.resolved_database_url == "postgresql+asyncpg://bca@db/bca"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"BCA_MAX_UPLOAD_BYTES": "lots"}, "BCA_MAX_UPLOAD_BYTES"),
        ({"BCA_MAIL_BACKEND": "pigeon"}, "BCA_MAIL_BACKEND"),
        ({"BCA_MODE": "production"}, "BCA_SECRET_KEY"),
        ({"BCA_STORAGE": "s3"}, "AWS_S3_BUCKET_NAME"),
        ({"BCA_MAIL_BACKEND": "smtp"}, "BCA_SMTP_URL"),
        ({"BCA_DATABASE_URL": "mysql://x"}, "BCA_DATABASE_URL"),
        ({"FIREBASE_CERTIFICATE": "/nonexistent.json"}, "FIREBASE_CERTIFICATE"),
        ({"BCA_BROKER_URL": "redis://x", "AWS_TASK_SQS_URL": "https://q"}, "AWS_TASK_SQS_URL"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert message in str(error.value)
    assert "\n" not in str(error.value)
