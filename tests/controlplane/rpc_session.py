"""RPCs every command makes before its own: the auth token, the environment; and billing rates."""

from __future__ import annotations

import time

from modal._utils.jwt_utils import DecodedJwt
from modal_proto import api_pb2

from .server import new_id
from .state import World


def register(handlers: dict, world: World) -> None:
    def auth_token_get(request: api_pb2.AuthTokenGetRequest) -> api_pb2.AuthTokenGetResponse:
        # The client decodes the token (unverified) and refreshes it before its `exp` claim
        # (modal/_utils/auth_token_manager.py, `_fetch_token`); an empty token is an error there.
        token = DecodedJwt.encode_without_signature({"exp": int(time.time()) + 3600})
        return api_pb2.AuthTokenGetResponse(token=token)

    def environment_get_or_create(request: api_pb2.EnvironmentGetOrCreateRequest):
        # Image builds read the image builder version from the environment's settings and refuse an
        # empty one (modal/_environments.py, `_Environment._hydrate_metadata`; modal/image.py).
        name = request.deployment_name or "main"
        settings = api_pb2.EnvironmentSettings(
            image_builder_version=world.image_builder_version, webhook_suffix="modal.run"
        )
        metadata = api_pb2.EnvironmentMetadata(name=name, settings=settings)
        return api_pb2.EnvironmentGetOrCreateResponse(environment_id=new_id("en"), metadata=metadata)

    def workspace_billing_rates(request: api_pb2.WorkspaceBillingRatesRequest):
        # A map of rate name -> decimal string; `modal billing rates --json` prints it as one JSON
        # object of strings, keys sorted (modal/cli/billing.py, `rates`; modal/_workspace.py,
        # `_WorkspaceBillingManager.rates`).
        with world.lock:
            rates = dict(world.rates)
        formatted = "\n".join(f"{key}: {value}" for key, value in sorted(rates.items()))
        return api_pb2.WorkspaceBillingRatesResponse(rates=rates, formatted=formatted)

    def secret_list(request: api_pb2.SecretListRequest) -> api_pb2.SecretListResponse:
        # One page: the environment's Secrets with their names and keys (modal/secret.py,
        # `_SecretManager.list`, hydrates each from `metadata`); "" is the workspace's default.
        environment = request.environment_name or "main"
        with world.lock:
            named = dict(world.secrets.get(environment, {}))
        items = [
            api_pb2.SecretListItem(label=name, environment_name=environment, secret_id=new_id("st"),
                                   metadata=api_pb2.SecretMetadata(name=name, keys=keys,
                                                                   environment_name=environment))
            for name, keys in sorted(named.items())
        ]  # fmt: skip
        return api_pb2.SecretListResponse(items=items, environment_name=environment)

    handlers.update(
        SecretList=secret_list,
        AuthTokenGet=auth_token_get,
        EnvironmentGetOrCreate=environment_get_or_create,
        WorkspaceBillingRates=workspace_billing_rates,
    )
