"""Node settings: a frozen dataclass read from `config.json` in the node home.

Every setting can also come from the environment, as ``FEDCOMMONS_`` and its name in upper
case (``FEDCOMMONS_AUTHORIZED_FETCH=true``, ``FEDCOMMONS_TRUSTED_PROXIES=10.0.0.0/8,::1``);
the environment wins over the file, so a container or a systemd unit can set them without
touching the home. Lists are comma-separated; flags are true/false, yes/no, on/off or 1/0.
"""

import ipaddress
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
# Present while a restored node has not caught up with what its peers hold of its log:
# until it is gone the node appends nothing (`fedcommons reconcile` removes it).
RECONCILE_FILE = "reconcile-pending.json"

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
    # Reverse proxies whose X-Forwarded-For names the client (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()
    # The bearer token that opens /metrics on the public port; none: /metrics is not served there.
    metrics_token: str | None = None
    # A PostgreSQL URL (postgresql://USER@HOST/DB) when the node's data live there; none:
    # in the SQLite file DATABASE_FILE of the home.
    database_url: str | None = None
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
    def database(self) -> Path | str:
        """Where the node's data live: the SQLite file in the home, or a PostgreSQL URL."""
        return self.database_url or self.home / DATABASE_FILE

    @property
    def on_postgresql(self) -> bool:
        return self.database_url is not None

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


def load_config(home: Path, environ=None) -> Config:
    """Read a node home's settings, with those the environment gives (`environ`: os.environ
    unless given; pass {} for the file's alone, as when changing it)."""
    path = home / CONFIG_FILE
    if not path.exists():
        raise HomeError(f"{home} is not a node home (no {CONFIG_FILE}): run `fedcommons init --url URL`")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise HomeError(f"cannot read {path}: {exc}") from exc
    known = set(SETTINGS) - {"prune_after_days"}  # kept in `extra`, read by services.upkeep
    env = environment_settings(os.environ if environ is None else environ)
    if "url" in env and normalise_url(env["url"]) != normalise_url(data["url"]):
        raise HomeError(f"FEDCOMMONS_URL is {env['url']}, but this node is {data['url']}: a node's URL is "
                        "fixed when it is made (its log and every id name it)")
    data = {**data, **env}
    return Config(
        home=home,
        url=normalise_url(data["url"]),
        allow_private_addresses=bool(data.get("allow_private_addresses", False)),
        authorized_fetch=bool(data.get("authorized_fetch", False)),
        kinds=tuple(data.get("kinds") or DEFAULT_KINDS),
        trusted_proxies=check_networks(data.get("trusted_proxies") or ()),
        metrics_token=data.get("metrics_token") or None,
        database_url=data.get("database_url") or None,
        extra={k: v for k, v in data.items() if k not in known},
    )


# The settings a node home keeps, with how their environment variable is read.
SETTINGS = {
    "url": "text", "allow_private_addresses": "flag", "authorized_fetch": "flag", "kinds": "list",
    "trusted_proxies": "list", "metrics_token": "text", "prune_after_days": "number",
    "database_url": "text",
}
ENV_PREFIX = "FEDCOMMONS_"
_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def environment_settings(environ) -> dict:
    """The settings given as FEDCOMMONS_* environment variables; HomeError for an unreadable one."""
    found = {}
    for name, kind in SETTINGS.items():
        variable = ENV_PREFIX + name.upper()
        raw = environ.get(variable)
        if raw is None:
            continue
        if kind == "flag":
            if raw.strip().lower() not in _FLAGS:
                raise HomeError(f"{variable}={raw!r}: write true or false")
            found[name] = _FLAGS[raw.strip().lower()]
        elif kind == "number":
            try:
                found[name] = int(raw)
            except ValueError:
                raise HomeError(f"{variable}={raw!r}: write a whole number") from None
        elif kind == "list":
            found[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            found[name] = raw.strip()
    return found


def check_networks(values) -> tuple[str, ...]:
    """Addresses or networks (``10.0.0.0/8``, ``::1``), normalised; HomeError for anything else."""
    if isinstance(values, str):
        values = [values]
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            raise HomeError(f"trusted proxy {value!r} is not an IP address or network such as 10.0.0.0/8") from None
    return tuple(networks)


def save_config(config: Config) -> None:
    """Write settings atomically (write, fsync, rename)."""
    data = {k: v for k, v in asdict(config).items() if k not in ("home", "extra")}
    data["kinds"] = list(config.kinds)
    data["trusted_proxies"] = list(config.trusted_proxies)
    for unset in ("metrics_token", "database_url"):
        if data[unset] is None:
            del data[unset]
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
