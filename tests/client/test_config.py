"""Environments, credential precedence, profiles, .env parsing, and clear errors for bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from stnb._config import (
    ENVIRONMENTS,
    Credentials,
    default_env,
    default_profiles_path,
    discover,
    get_environment,
    parse_dotenv,
    resolve_credentials,
    sandbox_environment,
)
from stnb.errors import ConfigError

AK = "ak1.appkey0000000000000000001"


def ids(n: int, kind: str = "cid") -> tuple[str, str]:
    """A recognisable (client id, secret) pair number n."""
    return f"{kind}.client{n:020d}", f"cs1.secret{n:046d}"


def write_profiles(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(text, encoding="utf-8")
    return path


def resolve(
    env: str = "integration", *, environ: dict[str, str] | None = None, **kwargs: object
) -> Credentials | None:
    kwargs.setdefault("env_file", None)
    kwargs.setdefault("profiles_path", Path("/nonexistent/stnb/profiles.toml"))
    return resolve_credentials(env, environ=environ or {}, **kwargs)  # type: ignore[arg-type]


# -- environments -------------------------------------------------------------------------------------


def test_credentials_check_their_fields() -> None:
    c, s = ids(1)
    with pytest.raises(ConfigError, match="tenant_id must be a positive integer, got '431848990'"):
        Credentials(AK, c, s, "431848990")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="client_secret must be a non-empty string"):
        Credentials(AK, c, " ", 5)
    assert Credentials(AK, c, s, 5).tenant_id == 5


def test_real_environments() -> None:
    prod, integ = ENVIRONMENTS["production"], ENVIRONMENTS["integration"]
    assert prod.auth_url == "https://auth.servicetitan.io/connect/token"
    assert prod.api_url == "https://api.servicetitan.io" and not prod.writable
    assert integ.auth_url == "https://auth-integration.servicetitan.io/connect/token"
    assert integ.api_url == "https://api-integration.servicetitan.io" and integ.writable


def test_sandbox_environment() -> None:
    env = sandbox_environment("production", "http://127.0.0.1:8123/")
    assert env.auth_url == "http://127.0.0.1:8123/connect/token"
    assert env.api_url == "http://127.0.0.1:8123"
    assert env.name == "production" and not env.writable  # read-only like the real production
    assert sandbox_environment("integration", "http://127.0.0.1:8123").writable


def test_sandbox_production_refuses_writes_unless_allowed() -> None:
    from stnb import WriteForbidden, connect
    from stnb.sandbox import Sandbox

    sandbox = Sandbox(seed=3)
    with connect(env="production", sandbox=sandbox) as st, pytest.raises(WriteForbidden):
        st.request_json("POST", "crm/v2/tenant/{tenant}/customers", json={"name": "x"})
    with connect(env="production", sandbox=sandbox, allow_writes=True) as st:
        customer = st.request_json(
            "POST",
            "crm/v2/tenant/{tenant}/customers",
            json={
                "name": "Allowed Write",
                "address": {
                    "street": "1 Main St",
                    "city": "Austin",
                    "state": "TX",
                    "zip": "78701",
                    "country": "USA",
                },
                "locations": [
                    {
                        "name": "Home",
                        "address": {
                            "street": "1 Main St",
                            "city": "Austin",
                            "state": "TX",
                            "zip": "78701",
                            "country": "USA",
                        },
                    }
                ],
            },
        )
        assert customer["name"] == "Allowed Write"


def test_unknown_environment_names_the_valid_ones() -> None:
    assert get_environment(" Production ").name == "production"
    with pytest.raises(
        ConfigError,
        match=r"unknown environment 'prod' \(valid: integration, production\); did you mean 'production'",
    ):
        get_environment("prod")
    with pytest.raises(ConfigError, match="unknown environment 'staging'"):
        resolve("staging")


def test_default_env(tmp_path: Path) -> None:
    assert default_env({}, env_file=None) == "integration"
    assert default_env({"STNB_ENV": "production"}, env_file=None) == "production"
    dotenv = tmp_path / ".env"
    dotenv.write_text("STNB_ENV=production\n")
    assert default_env({}, env_file=dotenv) == "production"
    assert default_env({"STNB_ENV": "integration"}, env_file=dotenv) == "integration"
    with pytest.raises(ConfigError, match="unknown environment 'prd'"):
        default_env({"STNB_ENV": "prd"}, env_file=None)


def test_profiles_path(tmp_path: Path) -> None:
    assert default_profiles_path({"STNB_PROFILES": str(tmp_path / "p.toml")}) == tmp_path / "p.toml"
    assert default_profiles_path({}).name == "profiles.toml"
    assert "stnb" in default_profiles_path({}).parts


# -- precedence ---------------------------------------------------------------------------------------


def test_nothing_configured_is_none() -> None:
    assert resolve() is None
    assert resolve(tenant="12345") is None  # a tenant choice alone configures nothing


def test_precedence_args_then_env_then_dotenv_then_profiles(tmp_path: Path) -> None:
    (c1, s1), (c2, s2), (c3, s3), (c4, s4) = ids(1), ids(2), ids(3), ids(4)
    environ = {"STNB_APP_KEY": AK, "STNB_CLIENT_ID": c2, "STNB_CLIENT_SECRET": s2, "STNB_TENANT_ID": "100"}
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"STNB_CLIENT_ID={c3}\nSTNB_CLIENT_SECRET={s3}\nSTNB_TENANT_ID=100\n")
    profiles = write_profiles(
        tmp_path,
        f'[acme]\napp_key = "{AK}"\n[acme.integration.100]\nclient_id = "{c4}"\nclient_secret = "{s4}"\n',
    )
    common = {"env_file": dotenv, "profiles_path": profiles}

    got = resolve(environ=environ, client_id=c1, client_secret=s1, **common)
    assert got is not None and got.client_id == c1 and got.client_secret == s1
    got = resolve(environ=environ, **common)
    assert got is not None and got.client_id == c2 and got.source.startswith("environment variables (STNB_*)")
    got = resolve(environ={}, **common)
    assert got is not None and got.client_id == c3 and ".env file" in got.source
    assert got.app_key == AK and "profile acme.integration.100" in got.source  # app key from the profile
    dotenv.unlink()
    got = resolve(environ={}, **common)
    assert got is not None and got.client_id == c4 and got.tenant_id == 100
    assert got.source == f"profile acme.integration.100 in {profiles}"


def test_stnb_env_decides_where_plain_variables_belong() -> None:
    c, s = ids(1)
    environ = {"STNB_APP_KEY": AK, "STNB_CLIENT_ID": c, "STNB_CLIENT_SECRET": s, "STNB_TENANT_ID": "7"}
    assert resolve("integration", environ=environ) is not None
    assert resolve("production", environ=environ) is None
    environ["STNB_ENV"] = "production"
    assert resolve("integration", environ=environ) is None
    assert resolve("production", environ=environ) is not None


def test_environment_qualified_variables() -> None:
    (c1, s1), (c2, s2) = ids(1), ids(2)
    environ = {
        "STNB_APP_KEY": AK,
        "STNB_INTEGRATION_CLIENT_ID": c1,
        "STNB_INTEGRATION_CLIENT_SECRET": s1,
        "STNB_INTEGRATION_TENANT_ID": "11",
        "STNB_PRODUCTION_CLIENT_ID": c2,
        "STNB_PRODUCTION_CLIENT_SECRET": s2,
        "STNB_PRODUCTION_TENANT_ID": "22",
        "STNB_PRODUCTION_TIMEZONE": "America/Denver",
    }
    integ, prod = resolve("integration", environ=environ), resolve("production", environ=environ)
    assert integ is not None and (integ.client_id, integ.tenant_id, integ.timezone) == (c1, 11, None)
    assert prod is not None and (prod.client_id, prod.tenant_id, prod.timezone) == (c2, 22, "America/Denver")
    assert prod.app_key == AK


def test_plain_tenant_app_key_and_zone_serve_every_environment() -> None:
    c, s = ids(3)
    environ = {
        "STNB_APP_KEY": AK,
        "STNB_TENANT_ID": "431848990",
        "STNB_TIMEZONE": "America/Phoenix",
        "STNB_PRODUCTION_CLIENT_ID": c,
        "STNB_PRODUCTION_CLIENT_SECRET": s,
    }
    got = resolve("production", environ=environ)
    assert got is not None and (got.tenant_id, got.timezone, got.app_key) == (
        431848990,
        "America/Phoenix",
        AK,
    )
    assert resolve("integration", environ=environ) is None  # no client credentials for integration
    found = discover(environ, env_file=None, profiles_path=Path("/nonexistent/profiles.toml"))
    assert [(f.env, f.where) for f in found] == [("production", "environment variables (STNB_PRODUCTION_*)")]


def test_servicepytan_variables_default_to_production() -> None:
    c, s = ids(5)
    environ = {
        "SERVICETITAN_APP_KEY": AK,
        "SERVICETITAN_CLIENT_ID": c,
        "SERVICETITAN_CLIENT_SECRET": s,
        "SERVICETITAN_TENANT_ID": "1045848487",
        "SERVICETITAN_APP_ID": "12abc346skeg",
        "SERVICETITAN_TIMEZONE": "America/New_York",
    }
    assert resolve("integration", environ=environ) is None
    got = resolve("production", environ=environ)
    assert got is not None
    assert (got.client_id, got.tenant_id, got.app_name, got.timezone) == (
        c,
        1045848487,
        "12abc346skeg",
        "America/New_York",
    )
    assert got.source == "environment variables (SERVICETITAN_*)"
    environ["SERVICETITAN_API_ENVIRONMENT"] = "integration"
    assert resolve("integration", environ=environ) is not None
    assert resolve("production", environ=environ) is None


def test_fields_merge_but_id_and_secret_come_together() -> None:
    c, s = ids(1)
    got = resolve(environ={"STNB_APP_KEY": AK, "STNB_TENANT_ID": "9"}, client_id=c, client_secret=s)
    assert got is not None and got.tenant_id == 9 and got.app_key == AK
    assert got.source == "arguments + environment variables (STNB_*)"


# -- profiles -----------------------------------------------------------------------------------------


PROFILES = """
[acme]
app_key = "{ak}"
app_name = "Acme sync"

[acme.production.431848990]
client_id = "{c1}"
client_secret = "{s1}"
timezone = "America/Chicago"
tenant_name = "Acme HVAC"

[acme.production.1045848487]
client_id = "{c2}"
client_secret_env = "ACME_SECOND_SECRET"
tenant_name = "Acme Plumbing"

[acme.integration.431848990]
client_id = "{c3}"
client_secret = "{s3}"

[other.integration.555]
app_key = "ak1.otherapp00000000000000009"
client_id = "{c4}"
client_secret = "{s4}"
"""


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    (c1, s1), (c2, _), (c3, s3), (c4, s4) = ids(1), ids(2), ids(3), ids(4)
    return write_profiles(tmp_path, PROFILES.format(ak=AK, c1=c1, s1=s1, c2=c2, c3=c3, s3=s3, c4=c4, s4=s4))


def test_several_tenants_per_app_key(profiles: Path) -> None:
    environ = {"ACME_SECOND_SECRET": ids(2)[1]}
    first = resolve("production", environ=environ, profiles_path=profiles, tenant=431848990)
    second = resolve("production", environ=environ, profiles_path=profiles, tenant="Acme Plumbing")
    assert first is not None and second is not None
    assert (first.tenant_id, first.client_id, first.timezone) == (431848990, ids(1)[0], "America/Chicago")
    assert (second.tenant_id, second.client_id, second.client_secret) == (1045848487, ids(2)[0], ids(2)[1])
    assert first.app_key == second.app_key == AK
    assert first.app_name == "Acme sync"


def test_ambiguous_profiles_ask_for_a_choice(profiles: Path) -> None:
    with pytest.raises(ConfigError, match=r"several profiles fit production.*pass profile= or tenant="):
        resolve("production", environ={"ACME_SECOND_SECRET": "x" * 10}, profiles_path=profiles)
    with pytest.raises(ConfigError, match="several profiles fit integration"):
        resolve("integration", profiles_path=profiles)
    got = resolve("integration", profiles_path=profiles, profile="other")
    assert got is not None and got.tenant_id == 555 and got.app_key.startswith("ak1.otherapp")
    got = resolve("integration", profiles_path=profiles, environ={"STNB_PROFILE": "acme"})
    assert got is not None and got.client_id == ids(3)[0]


def test_unknown_profile_or_environment_in_profile(profiles: Path) -> None:
    with pytest.raises(ConfigError, match=r"no profile 'acmee'.*\(profiles: acme, other\)"):
        resolve("production", profiles_path=profiles, profile="acmee")
    with pytest.raises(ConfigError, match=r"profile 'other' .* has no production section"):
        resolve("production", profiles_path=profiles, profile="other")
    with pytest.raises(ConfigError, match="tenant 'Nobody' matches no production profile section"):
        resolve(
            "production", profiles_path=profiles, tenant="Nobody", environ={"ACME_SECOND_SECRET": "y" * 10}
        )


def test_secret_from_a_named_variable_must_exist(profiles: Path) -> None:
    with pytest.raises(ConfigError, match="client_secret_env names ACME_SECOND_SECRET, which is not set"):
        resolve("production", profiles_path=profiles, tenant=1045848487)


def test_other_tenants_credentials_are_not_lent(profiles: Path) -> None:
    c9, s9 = ids(9)
    environ = {
        "STNB_PRODUCTION_CLIENT_ID": c9,
        "STNB_PRODUCTION_CLIENT_SECRET": s9,
        "STNB_PRODUCTION_TENANT_ID": "777",
    }
    got = resolve("production", environ=environ, profiles_path=profiles, tenant=431848990)
    assert got is not None and got.client_id == ids(1)[0] and got.tenant_id == 431848990
    with pytest.raises(ConfigError, match=r"no production credentials for tenant 888 .*tenant 777"):
        resolve("production", environ={**environ, "STNB_APP_KEY": AK}, tenant_id=888)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[acme]\napp_key = "x"\nclient_secert = "y"\n', "unknown key 'client_secert'"),
        (
            '[acme.integration.100]\nclient_secert = "y"\n',
            "unknown key 'client_secert'; did you mean 'client_secret'",
        ),
        ('[acme.prod.100]\nclient_id = "y"\n', "unknown environment 'prod'"),
        ('[acme.integration.abc]\nclient_id = "y"\n', "the tenant id 'abc' is not an integer"),
        ("[acme.integration.100]\nclient_id = 5\n", "client_id must be a string"),
        ('[acme]\napp_key = "unterminated\n', "not valid TOML"),
        ('name = "x"\n', "top-level key 'name' must be a [profile] table"),
    ],
)
def test_malformed_profiles(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(
        ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
    ):
        resolve("integration", profiles_path=write_profiles(tmp_path, text))


# -- malformed values ---------------------------------------------------------------------------------


def test_tenant_id_not_an_integer() -> None:
    c, s = ids(1)
    environ = {"STNB_APP_KEY": AK, "STNB_CLIENT_ID": c, "STNB_CLIENT_SECRET": s, "STNB_TENANT_ID": "abc"}
    with pytest.raises(
        ConfigError, match=r"tenant id 'abc' from STNB_TENANT_ID in environment variables \(STNB_\*\)"
    ):
        resolve(environ=environ)
    with pytest.raises(ConfigError, match="tenant id 'abc' is not an integer"):
        resolve(app_key=AK, client_id=c, client_secret=s, tenant_id="abc")


def test_client_id_without_secret() -> None:
    with pytest.raises(
        ConfigError,
        match=r"client id is set .STNB_CLIENT_ID in environment variables.* but the client secret is not",
    ):
        resolve(environ={"STNB_APP_KEY": AK, "STNB_CLIENT_ID": ids(1)[0], "STNB_TENANT_ID": "5"})
    with pytest.raises(
        ConfigError, match=r"client secret is set .client_secret= in arguments. but the client id is not"
    ):
        resolve(client_secret=ids(1)[1])
    c, s = ids(2)
    complete = {"STNB_APP_KEY": AK, "STNB_CLIENT_ID": c, "STNB_CLIENT_SECRET": s, "STNB_TENANT_ID": "5"}
    broken_below = {**complete, "SERVICETITAN_API_ENVIRONMENT": "integration", "SERVICETITAN_CLIENT_ID": c}
    got = resolve(environ=broken_below)
    assert got is not None and got.client_id == c  # a broken source below the one used is not in the way


def test_incomplete_says_what_and_where() -> None:
    c, s = ids(1)
    with pytest.raises(
        ConfigError, match=r"no app key .client id from environment variables.*looked in arguments"
    ) as info:
        resolve(environ={"STNB_CLIENT_ID": c, "STNB_CLIENT_SECRET": s, "STNB_TENANT_ID": "5"})
    assert "STNB_INTEGRATION_*" in str(info.value) and "profiles" in str(info.value)
    with pytest.raises(ConfigError, match="no tenant id"):
        resolve(environ={"STNB_APP_KEY": AK, "STNB_CLIENT_ID": c, "STNB_CLIENT_SECRET": s})
    with pytest.raises(ConfigError, match="no client id and secret"):
        resolve(app_key=AK)


def test_pasted_values_with_spaces_or_quotes(tmp_path: Path) -> None:
    c, s = ids(1)
    with pytest.raises(
        ConfigError, match=r"client secret from STNB_CLIENT_SECRET .* contains spaces, quotes"
    ) as info:
        resolve(
            environ={
                "STNB_APP_KEY": AK,
                "STNB_CLIENT_ID": c,
                "STNB_CLIENT_SECRET": "cs1.abc def",
                "STNB_TENANT_ID": "5",
            }
        )
    assert "abc def" not in str(info.value)
    got = resolve(
        environ={
            "STNB_APP_KEY": f"  {AK}\n",
            "STNB_CLIENT_ID": c,
            "STNB_CLIENT_SECRET": s,
            "STNB_TENANT_ID": " 5 ",
        }
    )
    assert got is not None and got.app_key == AK and got.tenant_id == 5  # surrounding whitespace is forgiven


def test_unknown_time_zone() -> None:
    c, s = ids(1)
    with pytest.raises(ConfigError, match="unknown time zone 'Eastern' from STNB_TIMEZONE"):
        resolve(
            environ={
                "STNB_APP_KEY": AK,
                "STNB_CLIENT_ID": c,
                "STNB_CLIENT_SECRET": s,
                "STNB_TENANT_ID": "5",
                "STNB_TIMEZONE": "Eastern",
            }
        )


# -- .env ---------------------------------------------------------------------------------------------


def test_dotenv_parser() -> None:
    text = "\n".join(
        [
            "# a comment",
            "",
            "export STNB_APP_KEY=ak1.value  # trailing comment",
            'STNB_CLIENT_SECRET="cs1.with#hash and \\"quotes\\""',
            "STNB_TENANT_ID='431848990' # single quotes are literal",
            "EMPTY=",
            "URL=https://x.invalid/#anchor",
            "not a line for us",
        ]
    )
    assert parse_dotenv(text) == {
        "STNB_APP_KEY": "ak1.value",
        "STNB_CLIENT_SECRET": 'cs1.with#hash and "quotes"',
        "STNB_TENANT_ID": "431848990",
        "EMPTY": "",
        "URL": "https://x.invalid/#anchor",
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('STNB_CLIENT_SECRET="cs1.unterminated', 'line 2: unterminated " quote'),
        ("STNB CLIENT_ID=x", "line 2: the name before '=' is not a valid variable name"),
        ("STNB_CLIENT_ID", "line 2: expected KEY=VALUE"),
        ("STNB_TENANT_ID='5' extra", "line 2: unexpected text after the closing quote"),
    ],
)
def test_dotenv_errors_name_the_line_not_the_value(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_dotenv(f"OK=1\n{line}\n", "my.env")
    assert str(info.value).startswith("my.env, line 2")
    assert "cs1.unterminated" not in str(info.value)


def test_dotenv_file_read(tmp_path: Path) -> None:
    c, s = ids(1)
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"\ufeffSTNB_APP_KEY={AK}\nSTNB_CLIENT_ID={c}\nSTNB_CLIENT_SECRET='{s}'\nSTNB_TENANT_ID=42\n"
    )
    got = resolve(env_file=dotenv)
    assert got is not None and got.client_secret == s and got.tenant_id == 42
    assert got.source == f".env file {dotenv.resolve()} (STNB_*)"


# -- discovery ----------------------------------------------------------------------------------------


def test_discover_lists_sources_masked(profiles: Path, tmp_path: Path) -> None:
    c = ids(7)[0]
    environ = {"STNB_APP_KEY": AK, "STNB_CLIENT_ID": c, "STNB_TENANT_ID": "5", "ACME_SECOND_SECRET": "z" * 12}
    found = discover(environ, env_file=None, profiles_path=profiles)
    text = "\n".join(str(f) for f in found)
    by_where = {(f.env, f.where): f for f in found}
    env_source = by_where[("integration", "environment variables (STNB_*)")]
    assert env_source.client == "cid.cl…007" and not env_source.has_secret
    assert env_source.problem is not None and "client secret is not" in env_source.problem
    assert ("production", f"profile acme.production.1045848487 in {profiles}") in by_where
    assert by_where[("production", f"profile acme.production.1045848487 in {profiles}")].has_secret
    assert len([f for f in found if f.where.startswith("profile")]) == 4
    for secret in (ids(1)[1], ids(3)[1], "z" * 12, AK, c):
        assert secret not in text


def test_discover_reports_broken_files(tmp_path: Path) -> None:
    broken = write_profiles(tmp_path, "[acme\n")
    found = discover({}, env_file=None, profiles_path=broken)
    assert len(found) == 1 and found[0].problem is not None and "not valid TOML" in found[0].problem
