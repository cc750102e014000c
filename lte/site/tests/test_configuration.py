"""The embedded default configures itself; bad configuration refuses to start, loudly."""

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROBE = "import django; django.setup(); from django.conf import settings; print(len(settings.MASTER_KEYS))"


def run_python(code: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"LTE_MASTER_KEY", "DATABASE_URL", "REDIS_URL"}}
    environment |= {"DJANGO_SETTINGS_MODULE": "lte.settings", "LTE_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_first_start_creates_the_data_dir_and_0600_keys_and_a_second_start_reuses_them(tmp_path):
    data_dir = tmp_path / "data"
    first = run_python(PROBE, data_dir)
    assert first.returncode == 0, first.stderr
    key_file, secret_file = data_dir / "master.key", data_dir / "secret_key"
    for path in (key_file, secret_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert len(base64.b64decode(key_file.read_text().strip())) == 32
    key, secret = key_file.read_bytes(), secret_file.read_bytes()

    second = run_python(PROBE, data_dir)
    assert second.returncode == 0, second.stderr
    assert (key_file.read_bytes(), secret_file.read_bytes()) == (key, secret)


def test_it_takes_several_master_keys_from_the_environment_and_writes_no_key_file(tmp_path):
    keys = ",".join(base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    result = run_python(PROBE, tmp_path, LTE_MASTER_KEY=keys)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
    assert not (tmp_path / "master.key").exists()


@pytest.mark.parametrize("bad", ["not-base64!!", base64.b64encode(b"short").decode()])
def test_it_refuses_to_start_with_a_wrong_master_key(tmp_path, bad):
    result = run_python(PROBE, tmp_path, LTE_MASTER_KEY=bad)
    assert result.returncode != 0
    assert "refuses to start" in result.stderr


def test_it_never_overwrites_an_emptied_key_file(tmp_path):
    (tmp_path / "master.key").write_text("")
    result = run_python(PROBE, tmp_path)
    assert result.returncode != 0
    assert "will not overwrite" in result.stderr
    assert (tmp_path / "master.key").read_text() == ""


@pytest.mark.parametrize(
    ("name", "value"), [("LTE_ENV", "staging"), ("PORT", "eighty"), ("LTE_DEBUG", "maybe"), ("LTE_BASE_URL", "ftp://x")]
)
def test_it_is_loud_about_bad_values(tmp_path, name, value):
    result = run_python(PROBE, tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_production_requires_https(tmp_path):
    result = run_python(PROBE, tmp_path, LTE_ENV="production", LTE_BASE_URL="http://app.example.com")
    assert result.returncode != 0
    assert "https://" in result.stderr


def test_the_production_profile_passes_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "lte.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, "LTE_ENV": "production", "LTE_BASE_URL": "https://app.example.com",
             "LTE_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='127.0.0.1').get('/healthz'); print(r.status_code, r.json())"
    )
    result = run_python(code, tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("503")
