"""`bca` starts fast: a command imports what it uses, not the scan stack (OpenCV, NumPy,
Tesseract), the web framework and the server (FastAPI, uvicorn), the admin console's app, or
the adapters the settings did not choose (boto3 for S3 and SES, google-auth for FCM).

Checked in a fresh interpreter, as the command runs: `sys.modules` after importing the CLI (what
`bca --help` costs), then after everything an admin command loads (its table of actions and
the assembled backends)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "cv2",
    "numpy",
    "pytesseract",
    "fastapi",
    "uvicorn",
    "jinja2",
    "boto3",
    "google.auth",
    "bca.scans.reading",
    "bca.admin.console",
    "kiwipiepy",  # the search tokenizer's model: loaded at the first use, never at import
)


def _loaded_after(code: str) -> list[str]:
    program = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(name for name in sys.modules"
        " if any(name == top or name.startswith(top + '.') for top in heavy))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_the_cli_alone_imports_no_database_web_or_scan_stack() -> None:
    program = (
        "import json, sys\nimport bca.cli\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert loaded.isdisjoint({"sqlalchemy", "fastapi", "uvicorn", "cv2", "numpy", "celery"})


def test_an_admin_command_imports_no_scan_stack_server_or_console() -> None:
    assert _loaded_after("import bca.cli") == []
    code = (
        "import bca.cli.admin\n"
        "bca.cli.admin._shell_commands()  # `bca admin users <action>` builds its commands\n"
        "from bca import admin_commands, wiring  # and runs on the assembled backends\n"
        "from bca.domains import assemble\n"
        "assemble()"
    )
    assert _loaded_after(code) == []
