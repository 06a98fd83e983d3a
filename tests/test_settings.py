import pytest
from pydantic import ValidationError

from bot.settings import PROJECT_ROOT, Settings


def test_defaults_run_on_an_embedded_database_and_in_memory_locks(monkeypatch):
    for key in ("JIUZHU_DATABASE_URL", "JIUZHU_LOCK_STORE_URL"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'jiuzhu.db'}"
    env = settings.rasa_environment()
    assert env["JIUZHU_TRACKER_URL"] == f"sqlite:///{PROJECT_ROOT / 'var' / 'jiuzhu.db'}"
    assert env["JIUZHU_LOCK_STORE_TYPE"] == "in_memory"
    assert env["JIUZHU_ACTION_ENDPOINT"] == "http://127.0.0.1:5055/webhook"


def test_environment_overrides_and_redis_url_is_split_for_rasa(monkeypatch):
    monkeypatch.setenv("JIUZHU_DATABASE_URL", "postgresql://jz:s%40cret@db.example:6543/jiuzhu")
    monkeypatch.setenv("JIUZHU_LOCK_STORE_URL", "redis://:pw@127.0.0.1:6380/3")
    monkeypatch.setenv("JIUZHU_ACTION_PORT", "6000")
    env = Settings(_env_file=None).rasa_environment()
    assert env["JIUZHU_TRACKER_URL"] == "postgresql://jz:s%40cret@db.example:6543/jiuzhu"
    assert env["JIUZHU_ACTION_ENDPOINT"] == "http://127.0.0.1:6000/webhook"
    assert env["JIUZHU_LOCK_STORE_TYPE"] == "bot.channels.lock_store.RedisTicketLockStore"  # not Rasa's `redis`
    assert env["JIUZHU_LOCK_STORE_HOST"] == "127.0.0.1"
    assert (env["JIUZHU_LOCK_STORE_PORT"], env["JIUZHU_LOCK_STORE_DB"]) == ("6380", "3")
    assert env["JIUZHU_LOCK_STORE_PASSWORD"] == "pw"


def test_relative_sqlite_path_is_made_absolute_for_rasa(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    env = Settings(_env_file=None, database_url="sqlite:///var/x.db").rasa_environment()
    assert env["JIUZHU_TRACKER_URL"] == f"sqlite:///{tmp_path / 'var' / 'x.db'}"


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("JIUZHU_RASA_PORT", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("JIUZHU_RASA_PORT=5999\n", encoding="utf-8")
    assert Settings(_env_file=str(dotenv)).rasa_port == 5999


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("log_level", "LOUD", "log_level must be one of"),
        ("lock_store_url", "memcached://x", "redis://"),
        ("database_url", "not a url", "database_url"),
    ],
)
def test_bad_values_are_refused_naming_the_field(field, value, fragment):
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, **{field: value})
    assert fragment in str(error.value)
