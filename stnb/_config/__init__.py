"""Environments and credentials: which ServiceTitan answers, and who is asking.

`resolve_credentials(env)` takes each field from the first source that has it: explicit arguments,
then environment variables, then a `.env` file, then the profiles TOML file. The client id and secret
always come together from one source. Variables, per environment ENV (INTEGRATION, PRODUCTION):

- `STNB_ENV_APP_KEY`, `STNB_ENV_CLIENT_ID`, `STNB_ENV_CLIENT_SECRET`, `STNB_ENV_TENANT_ID`,
  `STNB_ENV_TIMEZONE`, `STNB_ENV_APP_NAME` (e.g. `STNB_PRODUCTION_CLIENT_ID`) for that environment;
- `STNB_CLIENT_ID` and `STNB_CLIENT_SECRET` for the environment named by `STNB_ENV` (default
  integration: client credentials are environment specific); `STNB_APP_KEY`, `STNB_TENANT_ID`,
  `STNB_TIMEZONE` and `STNB_APP_NAME` for every environment;
- servicepytan's `SERVICETITAN_CLIENT_ID` and `SERVICETITAN_CLIENT_SECRET` for the environment named by
  `SERVICETITAN_API_ENVIRONMENT` (default production, as in servicepytan); `SERVICETITAN_APP_KEY`,
  `SERVICETITAN_TENANT_ID`, `SERVICETITAN_TIMEZONE` and `SERVICETITAN_APP_ID` (used as the app name)
  for every environment.

Profiles live in `profiles.toml` under the platform's config directory (override: `STNB_PROFILES`);
one table per profile, environment and tenant, outer tables giving shared values::

    [acme]
    app_key = "ak1...."
    app_name = "Acme sync"

    [acme.production.431848990]
    client_id = "cid...."
    client_secret_env = "ACME_PROD_SECRET"   # or client_secret = "cs1...."
    timezone = "America/Chicago"
    tenant_name = "Acme HVAC"

`STNB_PROFILE` names the profile to use when `profile=` is not given.

One module per concept: `environments` (the real environments, the sandbox's), `credentials`
(`Credentials`, masking), `dotenv` (`.env` parsing), `profiles` (the TOML file, choosing a section),
`sources` (layers of values from variables and sections), `resolve` (`resolve_credentials`,
`default_env`), `discovery` (`discover`, for `stnb doctor`).
"""

from __future__ import annotations

from stnb._config.credentials import Credentials, mask_client_id
from stnb._config.discovery import CredentialSource, discover
from stnb._config.dotenv import parse_dotenv
from stnb._config.environments import ENVIRONMENTS, Environment, get_environment, sandbox_environment
from stnb._config.profiles import default_profiles_path
from stnb._config.resolve import default_env, resolve_credentials

__all__ = [
    "ENVIRONMENTS",
    "CredentialSource",
    "Credentials",
    "Environment",
    "default_env",
    "default_profiles_path",
    "discover",
    "get_environment",
    "mask_client_id",
    "parse_dotenv",
    "resolve_credentials",
    "sandbox_environment",
]
