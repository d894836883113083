"""The emulator process: moto's server in a thread on loopback, behind our Config and fault layers.

Request path: socket -> FaultLayer (latency, throttling, errors; outside the state lock, so injected
latency overlaps) -> RegionLayer (opt-in regions) -> RootUserLayer (the root user in IAM's credential report and
account summary) -> ConfigLayer (AWS Config actions, served from moto's live state) -> moto.

Controls beside moto's own `/moto-api/`: `/_cloudsweep/faults` (cloudsweep_emulator.faults) and
`/_cloudsweep/root-users` (cloudsweep_emulator.root_user: root MFA and access keys, which no AWS API sets).
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cloudsweep_emulator.config_service import ConfigLayer, ConfigService
from cloudsweep_emulator.faults import FaultLayer, FaultPlan, FaultRule
from cloudsweep_emulator.moto_app import (
    InProcessMoto,
    MotoState,
    account_for_access_key,
    backdate_iam_user,
    create_moto_app,
    reset_moto,
    snapshot_moto,
)
from cloudsweep_emulator.regions import RegionControls, RegionLayer
from cloudsweep_emulator.root_user import RootUser, RootUserControls, RootUserLayer, organization_join_time
from cloudsweep_emulator.security_hub import SecurityHubControls, SecurityHubLayer
from cloudsweep_emulator.todays_defaults import TodaysDefaultsLayer
from cloudsweep_emulator.wsgi import STOP_POLL_SECONDS
from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from cloudsweep_emulator.seed import DemoOrganization

DEMO_UNUSED_USER_AGE_DAYS = 200
_running_lock = threading.Lock()
_running: Emulator | None = None


class EmulatorError(Exception):
    """The emulator could not start or was asked for something it cannot do."""


@dataclass(frozen=True)
class EmulatorOptions:
    host: str = "127.0.0.1"
    port: int = 0
    seed: str = "none"
    latency_ms: int = 0
    throttle_rate: float = 0.0
    fault_seed: int = 0
    global_resource_region: str = "us-east-1"


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None

    def log_error(self, *args: Any) -> None:
        return None


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise EmulatorError(f"--host must be a loopback address, got {host!r}") from exc
    if not address.is_loopback:
        raise EmulatorError(
            f"--host must be a loopback address (127.0.0.0/8 or ::1), got {host}: the emulator has no authentication"
        )


@dataclass(frozen=True)
class EmulatorSnapshot:
    """An emulator's AWS state at one moment (`Emulator.snapshot`); each restore is a fresh copy of it."""

    moto: MotoState
    config: Any
    root_users: dict[str, RootUser]
    state_since: datetime


class Emulator:
    """A running AWS emulator. Use as a context manager; `endpoint_url` is where clients point.

    moto keeps its state in module globals, so one emulator runs per process at a time.
    """

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        _check_loopback(self.options.host)
        self.faults = FaultPlan(seed=self.options.fault_seed)
        self._lock = threading.RLock()
        self._moto = create_moto_app()
        self.config = ConfigService(
            InProcessMoto(self._moto), global_resource_region=self.options.global_resource_region
        )
        self.regions = RegionControls()
        self.root_users = RootUserControls()
        self.security_hub = SecurityHubControls()
        self._state_since = datetime.now(UTC)
        root_user_layer = RootUserLayer(
            SecurityHubLayer(
                ConfigLayer(TodaysDefaultsLayer(self._moto, InProcessMoto(self._moto)), self.config, self._lock),
                self.security_hub,
                self._resolve_account,
                self._lock,
            ),
            self.root_users,
            resolve_account=self._resolve_account,
            account_created=self._account_created,
        )
        # Faults outermost (a network fault hits any call); regions before Config, whose answers never reach moto.
        self._app = FaultLayer(
            RegionLayer(root_user_layer, self.regions, self._resolve_account),
            self.faults,
            resolve_account=self._resolve_account,
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.demo: DemoOrganization | None = None

    def _resolve_account(self, access_key_id: str) -> str:
        with self._lock:
            return account_for_access_key(access_key_id)

    def _account_created(self, account_id: str) -> datetime:
        # An account outside any organization existed before anything the emulator holds.
        with self._lock:
            return organization_join_time(self.config.moto, account_id) or self._state_since

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise EmulatorError("the emulator is not running")
        host, port = (str(part) for part in self._server.server_address[:2])
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        global _running
        with _running_lock:
            if _running is not None:
                raise EmulatorError("an emulator is already running in this process")
            _running = self
        try:
            reset_moto()
            self.config.reset()
            self._state_since = datetime.now(UTC)
            self._server = make_server(
                self.options.host,
                self.options.port,
                self._app,
                threaded=True,
                request_handler=_QuietRequestHandler,
            )
        except BaseException:
            with _running_lock:
                _running = None
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            name="cloudsweep-emulator",
            daemon=True,
        )
        self._thread.start()
        try:
            self._seed()
        except BaseException:
            self.stop()
            raise
        # Faults asked for on the command line apply to clients, not to building the demo organization.
        if self.options.latency_ms:
            self.faults.add(FaultRule.latency(self.options.latency_ms))
        if self.options.throttle_rate:
            self.faults.add(FaultRule.throttle(probability=self.options.throttle_rate))
        return self

    def _seed(self) -> None:
        if self.options.seed == "demo":
            self.seed_demo()
        elif self.options.seed != "none":
            raise EmulatorError(f"unknown seed {self.options.seed!r}: use 'demo' or 'none'")

    def seed_demo(self) -> DemoOrganization:
        """Build the demo organization in this running emulator, as `--seed demo` does; expects a fresh state."""
        from cloudsweep_emulator.seed import seed_demo

        self.demo = seed_demo(self.endpoint_url)
        self._age_unused_users(self.demo)
        return self.demo

    def _age_unused_users(self, demo: DemoOrganization) -> None:
        # No API can backdate a user: without this, every demo user was created seconds before the scan
        # and iam-inactive-user could never find one.
        created = datetime.now(UTC) - timedelta(days=DEMO_UNUSED_USER_AGE_DAYS)
        with self._lock:
            for user in demo.known_violations.unused_iam_users:
                backdate_iam_user(user.account_id, str(user.resource_name), created)
                self.config.recorder.mark_changed(user.account_id)

    def stop(self) -> None:
        global _running
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        with _running_lock:
            if _running is self:
                _running = None

    def reset(self) -> None:
        """Forget all AWS state, recorded history, rules, evaluations, faults, root users and refusals."""
        with self._lock:
            reset_moto()
            self.config.reset()
            self._state_since = datetime.now(UTC)
        self.demo = None
        self.faults.clear()
        self.regions.clear()
        self.root_users.reset()
        self.security_hub.clear()

    def record(self, account_id: str, region: str) -> None:
        """The Config recorder catches up with an account's resources in a region now, not at the next read."""
        with self._lock:
            self.config.recorder.record(account_id, region)

    def snapshot(self) -> EmulatorSnapshot:
        """All AWS state now (moto, the Config layer's history and rules, root users): `restore` brings it back, so
        a test builds an estate once and every later test starts from a copy of it instead of rebuilding it."""
        with self._lock:
            return EmulatorSnapshot(snapshot_moto(), self.config.saved(), self.root_users.saved(), self._state_since)

    def restore(self, snapshot: EmulatorSnapshot) -> None:
        """Back to `snapshot`'s state; faults, refusals, disabled regions and controls are cleared, as by `reset`."""
        self.reset()
        with self._lock:
            snapshot.moto.restore()
            self.config.restore(snapshot.config)
            self._state_since = snapshot.state_since
        self.root_users.restore(snapshot.root_users)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
