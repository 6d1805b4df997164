"""A sandbox served by another process, reached by URL: `connect(sandbox=URL)` and `STNB_SANDBOX_URL`."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb.cli.main import main
from stnb.cli.sandbox import print_banner
from stnb.errors import AuthError, ConfigError
from stnb.sandbox import Sandbox, ServedRequest, serve_in_thread
from stnb.sandbox.remote import RemoteSandbox
from stnb.sandbox.server import ServerHandle

SEED = 3
pytestmark = pytest.mark.filterwarnings("ignore::stnb.TruncationWarning")  # one page is enough


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ServerHandle, list[str]]]:
    """A sandbox on loopback with seed 3, and the paths of the requests it answered."""
    paths: list[str] = []
    with serve_in_thread(seed=SEED, rate_limit=0) as handle:

        def seen(request: ServedRequest) -> None:
            paths.append(request.endpoint)

        handle.sandbox.on_request = seen
        yield handle, paths


def test_connect_by_url_pulls_from_the_served_sandbox(
    served: tuple[ServerHandle, list[str]], no_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, paths = served
    monkeypatch.setenv("STNB_SANDBOX_SEED", str(SEED))
    before = len(paths)
    with stnb.connect(sandbox=handle.url + "/", progress=False) as st:
        frame = st.frame("crm/customers", max_pages=1)
        assert st.sandbox and st.tenant == str(handle.credentials["integration"].tenant_id)
    assert frame.height > 0
    assert any("/crm/" in p for p in paths[before:]), "the request must reach the served sandbox"


def test_the_environment_variable_points_the_auto_sandbox_at_the_server(
    served: tuple[ServerHandle, list[str]], no_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, paths = served
    monkeypatch.setenv("STNB_SANDBOX_URL", handle.url)
    monkeypatch.setenv("STNB_SANDBOX_SEED", str(SEED))
    before = len(paths)
    with stnb.connect(progress=False) as st:  # no credentials: the sandbox, here the served one
        rows = st.frame("jpm/jobs", max_pages=1).height
    assert rows > 0 and len(paths) > before


def test_the_cli_pulls_from_the_served_sandbox(
    served: tuple[ServerHandle, list[str]], no_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, paths = served
    monkeypatch.setenv("STNB_SANDBOX_URL", handle.url)
    monkeypatch.setenv("STNB_SANDBOX_SEED", str(SEED))
    before = len(paths)
    out = no_credentials / "jobs.parquet"
    code = main(["pull", "jpm/jobs", "--sandbox", "--max-pages", "1", "--out", str(out)])
    assert code == 0 and pl.read_parquet(out).height > 0
    assert any("/jpm/" in p for p in paths[before:])


def test_a_wrong_seed_is_refused_by_the_server(
    served: tuple[ServerHandle, list[str]], no_credentials: Path
) -> None:
    handle, _ = served  # served with seed 3; the client assumes seed 0
    with pytest.raises(AuthError), stnb.connect(sandbox=handle.url, progress=False) as st:
        st.frame("crm/customers", max_pages=1)


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "ftp://127.0.0.1:8765", "http://"])
def test_a_malformed_url_is_a_config_error(url: str, no_credentials: Path) -> None:
    with pytest.raises(ConfigError, match="sandbox URL"):
        stnb.connect(sandbox=url)


def test_a_malformed_seed_is_a_config_error(no_credentials: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STNB_SANDBOX_SEED", "three")
    with pytest.raises(ConfigError, match="STNB_SANDBOX_SEED"):
        stnb.connect(sandbox="http://127.0.0.1:9")


def test_remote_credentials_equal_the_served_sandboxes_and_stay_out_of_repr() -> None:
    remote = RemoteSandbox("http://127.0.0.1:8765", seed=SEED)
    local = Sandbox(seed=SEED)
    assert remote.credentials == local.credentials
    assert [a.name for a in remote.apps] == [a.name for a in local.apps]
    secret = remote.credentials["integration"].client_secret
    assert secret not in repr(remote)


def test_the_banner_says_how_to_use_the_server_without_printing_secrets() -> None:
    sandbox = Sandbox(seed=SEED)
    out = io.StringIO()
    print_banner("http://127.0.0.1:8765", sandbox, out)
    text = out.getvalue()
    assert f"STNB_SANDBOX_SEED={SEED} STNB_SANDBOX_URL=http://127.0.0.1:8765 stnb pull" in text
    assert "stnb.connect(sandbox='http://127.0.0.1:8765')" in text
    for creds in sandbox.credentials.values():
        assert creds.client_secret not in text and creds.app_key not in text
