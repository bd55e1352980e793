"""Node settings: a frozen dataclass read from `config.json` in the node home."""

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from . import credit
from .errors import BadInput, HomeError

CONFIG_FILE = "config.json"
DATABASE_FILE = "fedcommons.db"
KEYS_DIR = "keys"

# The kinds of work a node accepts unless its config says otherwise: our own, then the 14
# CRediT contributor roles (fedcommons/credit.py), which citation imports carry.
DEFAULT_KINDS = (
    "care", "code", "design", "docs", "facilitation", "maintenance", "outreach",
    "research", "review", "translation",
) + credit.KINDS


@dataclass(frozen=True)
class Config:
    """Everything a node needs to know about itself."""

    home: Path
    url: str
    allow_private_addresses: bool = False
    authorized_fetch: bool = False
    kinds: tuple[str, ...] = DEFAULT_KINDS
    extra: dict = field(default_factory=dict)

    @property
    def host(self) -> str:
        """host[:port] as peers see it (the port only when it is not the scheme's default)."""
        return urlsplit(self.url).netloc

    @property
    def origin(self) -> str:
        """The log's origin line: the URL without its scheme, as C2SP logs name themselves."""
        parts = urlsplit(self.url)
        return parts.netloc + parts.path

    @property
    def database(self) -> Path:
        return self.home / DATABASE_FILE

    @property
    def keys(self) -> Path:
        return self.home / KEYS_DIR


def normalise_url(url: str) -> str:
    """Check a node's public base URL and drop any trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--url must be an absolute http(s) URL such as https://commons.example, not {url!r}")
    if parts.query or parts.fragment:
        raise BadInput(f"--url must not have a query or fragment: {url!r}")
    if parts.username or parts.password:
        raise BadInput("--url must not carry credentials")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def resolve_home(home: str | os.PathLike | None) -> Path:
    """The node home: --home, else $FEDCOMMONS_HOME, else ./fedcommons-home."""
    if home is None:
        home = os.environ.get("FEDCOMMONS_HOME") or "fedcommons-home"
    return Path(home).expanduser().resolve()


def load_config(home: Path) -> Config:
    """Read a node home's settings."""
    path = home / CONFIG_FILE
    if not path.exists():
        raise HomeError(f"{home} is not a node home (no {CONFIG_FILE}): run `fedcommons init --url URL`")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise HomeError(f"cannot read {path}: {exc}") from exc
    known = {"url", "allow_private_addresses", "authorized_fetch", "kinds"}
    return Config(
        home=home,
        url=normalise_url(data["url"]),
        allow_private_addresses=bool(data.get("allow_private_addresses", False)),
        authorized_fetch=bool(data.get("authorized_fetch", False)),
        kinds=tuple(data.get("kinds") or DEFAULT_KINDS),
        extra={k: v for k, v in data.items() if k not in known},
    )


def save_config(config: Config) -> None:
    """Write settings atomically (write, fsync, rename)."""
    data = {k: v for k, v in asdict(config).items() if k not in ("home", "extra")}
    data["kinds"] = list(config.kinds)
    data.update(config.extra)
    path = config.home / CONFIG_FILE
    tmp = path.with_suffix(".tmp")
    # 0600 whatever the umask: no secret is kept here today, but nothing in the private
    # home should be readable by others. fchmod also narrows a leftover temporary file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with open(fd, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def with_setting(config: Config, **changes) -> Config:
    """A copy of the config with some settings changed."""
    return replace(config, **changes)
