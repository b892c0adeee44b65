"""Every environment variable the project reads, its default, and the project's own paths.

One place to look up what can be set (`.env.example` lists the same variables; a test keeps
the two in step). Each accessor reads the environment when it is called, not at import:
the tests and the process launchers (`tools/launch/processes.py`, `tools/launch/cluster.py`) set variables
per test and per subprocess. An empty value counts as unset, so `NAME=` means the default.

Only the code reads through here; a variable passed on to a child process (`env={**os.environ,
...}`) is just handed over.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

from common.var_dir import owner_only

ROOT = Path(__file__).resolve().parents[1]
VAR_DIR = ROOT / "var"  # runtime files: SQLite databases, the salt, the admin token, logs
KNOWLEDGE_BASE_DIR = ROOT / "knowledge_base"


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its default (None: unset) and what it is for."""

    name: str
    default: Optional[str]
    doc: str

    def get(self) -> Optional[str]:
        """The value in the environment now, else the default."""
        return os.environ.get(self.name) or self.default

    def text(self) -> str:
        return self.get() or ""

    def integer(self) -> int:
        return int(self.text())

    def number(self) -> float:
        return float(self.text())


SETTINGS: Tuple[Setting, ...] = (
    # Stores (SQLAlchemy URLs: SQLite by default, PostgreSQL for a cluster)
    Setting(
        "DATABASE_URL",
        None,
        "the feedback store (ratings, cases, inbox); unset: the default SQLite file var/zhengwu.db",
    ),
    Setting("CHECKLIST_DB_URL", None, "saved checklist progress; unset: var/zhengwu.db"),
    Setting("CHECKLIST_TTL_DAYS", "30", "days a saved checklist is kept"),
    Setting("SPOOL_DB_URL", None, "the action server's local spool for writes during an outage; unset: var/zhengwu.db"),
    Setting("SPOOL_DRAIN_SECONDS", "5", "how often the action server retries spooled writes"),
    Setting(
        "SPOOL_KEY", None, "the Fernet key that encrypts what the spool keeps; unset: a random key in var/.spool_key"
    ),
    Setting(
        "SENDER_HASH_SALT", None, "salt of the sender-id hashes stores keep; unset: a random salt in var/.sender_salt"
    ),
    # The knowledge base and the staff tool
    Setting("KB_DIR", None, "the knowledge-base folder; unset: knowledge_base/"),
    Setting(
        "KB_PROFILE", None, "a region's imported catalogue to run on (guangdong; knowledge_base/imports/profiles.yml)"
    ),
    Setting("KB_IMPORTS_DIR", None, "where that catalogue was imported (default var/imports/<KB_PROFILE>)"),
    Setting(
        "KB_ADMIN_TOKEN",
        None,
        "guards Rasa's HTTP API and the reload routes; unset: a random token in var/.admin_token",
    ),
    Setting("KB_OPERATOR", None, "who `kb` and `tools.feedback` record as making a change; unset: the login name"),
    # The staff console (console)
    Setting("STAFF_DB_URL", None, "the staff console's accounts, sessions and drafts; unset: var/zhengwu.db"),
    Setting("CONSOLE_HOST", "127.0.0.1", "the address the staff console listens on"),
    Setting("CONSOLE_PORT", "8090", "the staff console's port"),
    Setting("CONSOLE_IDLE_MINUTES", "30", "minutes without a request before a console session ends"),
    Setting("CONSOLE_LOCKOUT_FAILURES", "5", "failed logins of one account that lock it"),
    Setting("CONSOLE_ADDRESS_FAILURES", "20", "failed logins from one address (any account) that lock the address"),
    Setting("CONSOLE_LOCKOUT_MINUTES", "15", "how long a lock lasts, and the window failures are counted in"),
    Setting("CONSOLE_SECURE_COOKIE", None, "set to 1 behind HTTPS: the session cookie is then sent only over HTTPS"),
    Setting("KB_STALE_DAYS", "180", "days after which an entry not reviewed is listed as due for review"),
    # Rasa and the action server
    Setting("SESSION_MAX_EVENTS", "100", "events in a session before the tracker store continues in a new one"),
    Setting("ACTION_TIMEOUT_SECONDS", "3", "how long Rasa waits for the action server"),
    Setting("LOG_LEVEL", "INFO", "log level of the action server and the Telegram relay"),
    Setting("SANIC_HOST", "127.0.0.1", "the address the action server listens on (0.0.0.0: every address)"),
    Setting(
        "RASA_INTERFACE",
        "127.0.0.1",
        "the address Rasa's REST channel listens on (`rasa run -i`; nginx's entry point in the cluster); "
        "0.0.0.0 makes it public",
    ),
    Setting("RASA_URL", "http://localhost:5005", "where channels and `kb reload` find Rasa"),
    Setting("ACTIONS_URL", "http://localhost:5055", "where `kb reload` finds the action server"),
    # Channels
    Setting("RATE_LIMIT_PER_MINUTE", "30", "messages a sender may send a channel per minute"),
    Setting(
        "RATE_LIMIT_PER_ADDRESS",
        "120",
        "requests one network address may send the REST channel per minute (and nginx, in the cluster)",
    ),
    Setting(
        "TRUSTED_PROXIES",
        "127.0.0.1,::1",
        "our own front ends (nginx, kiosk, relay; addresses or networks): not limited per address, "
        "and their X-Forwarded-For names the citizen's address",
    ),
    Setting("MAX_MESSAGE_CHARS", "1000", "the longest message, in characters, any channel takes"),
    Setting("MAX_REQUEST_BYTES", "16384", "the largest request body the REST channel and the kiosk take"),
    Setting("MAX_SENDER_CHARS", "128", "the longest sender id (and input_channel) the REST channel takes"),
    Setting("KIOSK_HOST", "127.0.0.1", "the address the kiosk page listens on"),
    Setting("KIOSK_PORT", "8080", "the kiosk page's port"),
    Setting("KIOSK_IDLE_SECONDS", "120", "seconds without a touch before the kiosk counts down"),
    Setting("KIOSK_COUNTDOWN_SECONDS", "15", "the kiosk's countdown before it clears the conversation"),
    Setting("TELEGRAM_BOT_TOKEN", None, "the Telegram bot's token from @BotFather; unset: the relay does not start"),
    Setting("TELEGRAM_WEBHOOK_URL", None, "public https URL for a webhook; unset: long polling"),
    Setting("TELEGRAM_WEBHOOK_SECRET", None, "secret Telegram sends with every webhook call (required with a webhook)"),
    Setting("TELEGRAM_WEBHOOK_PORT", "8443", "the webhook's local port"),
    Setting("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1", "the webhook's local address"),
    Setting("TELEGRAM_API_URL", None, "a local Bot API server; unset: Telegram's own"),
    # WeChat Official Account (公众号/服务号): relays/wechat.py
    Setting("WECHAT_TOKEN", None, "the Token of the account's server configuration; unset: the relay does not start"),
    Setting("WECHAT_APP_ID", None, "the account's AppID (开发者ID)"),
    Setting("WECHAT_APP_SECRET", None, "the account's AppSecret, for the 客服消息 API (answers after 4 s, human help)"),
    Setting("WECHAT_AES_KEY", None, "EncodingAESKey: set for 安全模式 (encrypted messages); unset: plaintext mode"),
    Setting("WECHAT_AES_KEY_PREVIOUS", None, "the EncodingAESKey before the last change, tried when the current fails"),
    Setting("WECHAT_HOST", "127.0.0.1", "the address the WeChat relay listens on (behind the HTTPS proxy)"),
    Setting("WECHAT_PORT", "8070", "the WeChat relay's port; the server URL is https://<host>/wechat"),
    Setting("WECHAT_PASSIVE_SECONDS", "4", "how long to wait for the answer before replying later by 客服消息"),
    Setting("WECHAT_MAX_AGE_SECONDS", "300", "a message whose timestamp is older (or newer) than this is refused"),
    Setting("WECHAT_TOKEN_STORE", "memory", "where the API access token is kept: memory, or redis (REDIS_HOST…)"),
    Setting(
        "WECHAT_DB_URL",
        None,
        "the messages already taken (WeChat retries), kept across restarts; unset: var/zhengwu.db",
    ),
    Setting("WECHAT_API_BASE", None, "the WeChat API's base URL; unset: https://api.weixin.qq.com/cgi-bin/"),
    # 扫码带走: the checklist at a link for the citizen's phone
    Setting(
        "PUBLIC_URL", "http://localhost:8080", "the kiosk's public address, as citizens' phones reach it (https://…)"
    ),
    Setting("SHEET_LINK_DAYS", "7", "days a checklist's link works, unless staff revoke it"),
    Setting("SHEET_LINKS_DB_URL", None, "the checklists behind their links; unset: var/zhengwu.db"),
    # Live human help (人工帮办): the queue, the staffed-hours calendar, the wait
    Setting("HANDOVER_DB_URL", None, "human help: queue, messages, callbacks; unset: var/zhengwu.db"),
    Setting("HANDOVER_DAYS", "1-5", "staffed days as ISO weekdays (1 = Monday), ranges or lists: 1-5, 1-5,7"),
    Setting("HANDOVER_HOURS", "09:00-17:00", "staffed hours on those days, HH:MM-HH:MM, several separated by commas"),
    Setting("HANDOVER_TIMEZONE", "Asia/Shanghai", "the time zone of the staffed hours"),
    Setting(
        "CLOSED_DATES",
        None,
        "public holidays the hall is closed (no staff, no 差评 deadline day): 2026-10-01..2026-10-08,2027-01-01",
    ),
    Setting("EXTRA_WORKING_DATES", None, "调休 weekend days the hall works on: 2026-09-27,2026-10-11"),
    Setting("HANDOVER_TIMEOUT_SECONDS", "60", "seconds a citizen waits for an agent before a callback is offered"),
    Setting("HANDOVER_DEFAULT_WAIT_SECONDS", "60", "the usual wait announced while no wait has been recorded"),
    Setting("HANDOVER_POLL_SECONDS", "2", "how often the kiosk page and Telegram relay look for agent replies"),
    # The cluster (`make run-cluster`): PostgreSQL and Redis
    Setting("PG_HOST", "127.0.0.1", "PostgreSQL host"),
    Setting("PG_PORT", "5432", "PostgreSQL port"),
    Setting("PG_USER", "postgres", "PostgreSQL user"),
    Setting("PG_PASSWORD", None, "PostgreSQL password"),
    Setting("PG_DB", "zhengwu", "PostgreSQL database"),
    Setting("REDIS_HOST", "127.0.0.1", "Redis host (the lock store)"),
    Setting("REDIS_PORT", "6379", "Redis port"),
    Setting("REDIS_DB", "0", "Redis database number"),
)
_BY_NAME: Dict[str, Setting] = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    return _BY_NAME[name]


DEFAULT_DB_FILE = "zhengwu.db"


def sqlite_url(name: str = DEFAULT_DB_FILE) -> str:
    """The embedded default: one SQLite file in var/ (owner-only) for every store, so that a bare machine
    needs nothing else; Rasa's tracker store is in it too (endpoints.yml). A store's own *_DB_URL
    puts that store elsewhere."""
    owner_only(VAR_DIR)
    return f"sqlite:///{VAR_DIR / name}"


# ---- stores ---------------------------------------------------------------
def database_url() -> str:
    return setting("DATABASE_URL").get() or sqlite_url()


def checklist_db_url() -> str:
    return setting("CHECKLIST_DB_URL").get() or sqlite_url()


def checklist_ttl_days() -> float:
    return setting("CHECKLIST_TTL_DAYS").number()


def spool_db_url() -> str:
    return setting("SPOOL_DB_URL").get() or sqlite_url()


def spool_drain_seconds() -> float:
    return setting("SPOOL_DRAIN_SECONDS").number()


def spool_key() -> Optional[str]:
    return setting("SPOOL_KEY").get()


def sender_hash_salt() -> Optional[str]:
    return setting("SENDER_HASH_SALT").get()


# ---- the knowledge base and the staff tool -----------------------------------
def kb_dir(configured: Optional[str] = None) -> Path:
    """KB_DIR, else a folder named in configuration, else the project's knowledge_base/."""
    return Path(setting("KB_DIR").get() or configured or KNOWLEDGE_BASE_DIR)


def kb_profile() -> Optional[str]:
    """KB_PROFILE (guangdong): run on a region's imported catalogue; unset, on the nationwide entries only."""
    return setting("KB_PROFILE").get()


def kb_imports_dir() -> Path:
    """Where a region's imported catalogue lies and is served from (`kb import-catalogue`, the console's
    导入 page): KB_IMPORTS_DIR, else var/imports/<KB_PROFILE>, else var/imports/catalogue (empty until
    someone imports; the 100 nationwide entries alone)."""
    configured = setting("KB_IMPORTS_DIR").get()
    if configured:
        return Path(configured)
    return ROOT / "var" / "imports" / (kb_profile() or "catalogue")


def kb_admin_token() -> str:
    return setting("KB_ADMIN_TOKEN").text().strip()


def kb_operator() -> Optional[str]:
    return setting("KB_OPERATOR").get()


# ---- the staff console ----------------------------------------------------------
def staff_db_url() -> str:
    return setting("STAFF_DB_URL").get() or sqlite_url()


def console_host() -> str:
    return setting("CONSOLE_HOST").text()


def console_port() -> int:
    return setting("CONSOLE_PORT").integer()


def console_idle_minutes() -> int:
    return setting("CONSOLE_IDLE_MINUTES").integer()


def console_lockout_failures() -> int:
    return setting("CONSOLE_LOCKOUT_FAILURES").integer()


def console_address_failures() -> int:
    return setting("CONSOLE_ADDRESS_FAILURES").integer()


def console_lockout_minutes() -> int:
    return setting("CONSOLE_LOCKOUT_MINUTES").integer()


def console_secure_cookie() -> bool:
    return setting("CONSOLE_SECURE_COOKIE").text().strip().lower() in ("1", "true", "yes")


def kb_stale_days() -> int:
    return setting("KB_STALE_DAYS").integer()


# ---- Rasa and the action server ----------------------------------------------
def session_max_events() -> int:
    return setting("SESSION_MAX_EVENTS").integer()


def action_timeout_seconds() -> int:
    return setting("ACTION_TIMEOUT_SECONDS").integer()


def log_level() -> str:
    return setting("LOG_LEVEL").text()


def sanic_host() -> str:
    return setting("SANIC_HOST").text()


def rasa_interface() -> str:
    return setting("RASA_INTERFACE").text()


def rasa_url() -> str:
    return setting("RASA_URL").text()


def actions_url() -> str:
    return setting("ACTIONS_URL").text()


# ---- channels -------------------------------------------------------------
def rate_limit_per_minute() -> int:
    return setting("RATE_LIMIT_PER_MINUTE").integer()


def rate_limit_per_address() -> int:
    return setting("RATE_LIMIT_PER_ADDRESS").integer()


def trusted_proxies() -> List[str]:
    return [entry.strip() for entry in setting("TRUSTED_PROXIES").text().split(",") if entry.strip()]


def max_message_chars() -> int:
    return setting("MAX_MESSAGE_CHARS").integer()


def max_request_bytes() -> int:
    return setting("MAX_REQUEST_BYTES").integer()


def max_sender_chars() -> int:
    return setting("MAX_SENDER_CHARS").integer()


def kiosk_host() -> str:
    return setting("KIOSK_HOST").text()


def kiosk_port() -> int:
    return setting("KIOSK_PORT").integer()


def kiosk_idle_seconds() -> int:
    return setting("KIOSK_IDLE_SECONDS").integer()


def kiosk_countdown_seconds() -> int:
    return setting("KIOSK_COUNTDOWN_SECONDS").integer()


def telegram_bot_token() -> str:
    return setting("TELEGRAM_BOT_TOKEN").text().strip()


def telegram_webhook_url() -> Optional[str]:
    return setting("TELEGRAM_WEBHOOK_URL").get()


def telegram_webhook_secret() -> str:
    return setting("TELEGRAM_WEBHOOK_SECRET").text().strip()


def telegram_webhook_port() -> int:
    return setting("TELEGRAM_WEBHOOK_PORT").integer()


def telegram_webhook_listen() -> str:
    return setting("TELEGRAM_WEBHOOK_LISTEN").text()


def telegram_api_url() -> Optional[str]:
    return setting("TELEGRAM_API_URL").get()


# ---- 扫码带走 ----------------------------------------------------------------
def public_url() -> str:
    return setting("PUBLIC_URL").text().rstrip("/")


def sheet_link_days() -> float:
    return setting("SHEET_LINK_DAYS").number()


def sheet_links_db_url() -> str:
    return setting("SHEET_LINKS_DB_URL").get() or sqlite_url()


# ---- WeChat ---------------------------------------------------------------
def wechat_token() -> str:
    return setting("WECHAT_TOKEN").text().strip()


def wechat_app_id() -> str:
    return setting("WECHAT_APP_ID").text().strip()


def wechat_app_secret() -> str:
    return setting("WECHAT_APP_SECRET").text().strip()


def wechat_aes_keys() -> List[str]:
    """The EncodingAESKeys to try, current first; empty in plaintext mode."""
    keys = [setting("WECHAT_AES_KEY").text().strip(), setting("WECHAT_AES_KEY_PREVIOUS").text().strip()]
    return [k for k in keys if k] if keys[0] else []


def wechat_host() -> str:
    return setting("WECHAT_HOST").text()


def wechat_port() -> int:
    return setting("WECHAT_PORT").integer()


def wechat_passive_seconds() -> float:
    return setting("WECHAT_PASSIVE_SECONDS").number()


def wechat_max_age_seconds() -> int:
    return setting("WECHAT_MAX_AGE_SECONDS").integer()


def wechat_token_store() -> str:
    return setting("WECHAT_TOKEN_STORE").text().strip().lower()


def wechat_db_url() -> str:
    return setting("WECHAT_DB_URL").get() or sqlite_url()


def wechat_api_base() -> str:
    return setting("WECHAT_API_BASE").get() or "https://api.weixin.qq.com/cgi-bin/"


# ---- live human help ----------------------------------------------------------
def handover_db_url() -> str:
    return setting("HANDOVER_DB_URL").get() or sqlite_url()


def handover_days() -> FrozenSet[int]:
    """HANDOVER_DAYS as ISO weekdays: "1-5" → {1, 2, 3, 4, 5}; "1-5,7" adds Sunday."""
    days = set()
    for part in setting("HANDOVER_DAYS").text().replace("，", ",").split(","):
        first, _, last = part.strip().partition("-")
        days |= set(range(int(first), int(last or first) + 1))
    if not days <= set(range(1, 8)):
        raise ValueError(f"HANDOVER_DAYS: weekdays are 1 (Monday) to 7 (Sunday), not {sorted(days)}")
    return frozenset(days)


def handover_hours() -> Tuple[Tuple[int, int], ...]:
    """HANDOVER_HOURS as (start, end) minutes after midnight: "09:00-12:00,13:30-17:00"; 24:00 is the day's end."""
    spans = []
    for part in setting("HANDOVER_HOURS").text().replace("，", ",").split(","):
        start, end = (_minutes(t) for t in part.strip().split("-"))
        if not 0 <= start < end <= 24 * 60:
            raise ValueError(f"HANDOVER_HOURS: {part.strip()!r} is not a span of one day")
        spans.append((start, end))
    return tuple(spans)


def closed_dates() -> FrozenSet[date]:
    """CLOSED_DATES: single dates and first..last ranges, for this year's holiday notice."""
    return _dates("CLOSED_DATES")


def extra_working_dates() -> FrozenSet[date]:
    """EXTRA_WORKING_DATES: the weekend days the same notice makes working days (调休)."""
    return _dates("EXTRA_WORKING_DATES")


def _dates(name: str) -> FrozenSet[date]:
    found = set()
    for part in setting(name).text().replace("，", ",").split(","):
        if not part.strip():
            continue
        first, _, last = part.strip().partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        except ValueError:
            raise ValueError(f"{name}: {part.strip()!r} is not a date (2026-10-01) or a range (2026-10-01..2026-10-08)")
        if end < start or (end - start).days > 366:
            raise ValueError(f"{name}: {part.strip()!r} is not a range of at most a year")
        found |= {start + timedelta(days=n) for n in range((end - start).days + 1)}
    return frozenset(found)


def _minutes(hh_mm: str) -> int:
    hours, _, minutes = hh_mm.strip().partition(":")
    return int(hours) * 60 + int(minutes or 0)


def handover_timezone() -> str:
    return setting("HANDOVER_TIMEZONE").text()


def handover_timeout_seconds() -> float:
    return setting("HANDOVER_TIMEOUT_SECONDS").number()


def handover_default_wait_seconds() -> float:
    return setting("HANDOVER_DEFAULT_WAIT_SECONDS").number()


def handover_poll_seconds() -> float:
    return setting("HANDOVER_POLL_SECONDS").number()


# ---- the cluster ------------------------------------------------------------
def postgres() -> Dict[str, str]:
    """PG_HOST, PG_PORT, PG_USER, PG_PASSWORD, PG_DB, as the cluster passes them on."""
    return {name: setting(name).text() for name in ("PG_HOST", "PG_PORT", "PG_USER", "PG_PASSWORD", "PG_DB")}


def redis() -> Dict[str, str]:
    """REDIS_HOST, REDIS_PORT, REDIS_DB, as the cluster passes them on."""
    return {name: setting(name).text() for name in ("REDIS_HOST", "REDIS_PORT", "REDIS_DB")}
