"""What a command acts on: the deployed stack (its outputs name the resources) or, with --local, the
`hookbridge dev` running on this machine. Resolved once per command, before anything is changed."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from hookbridge.settings import SUBSCRIPTIONS_MAX_AGE_SECONDS, SUBSCRIPTIONS_MISS_INTERVAL_SECONDS
from hookbridge_cli.errors import WHERE, AwsFailed, Refused
from hookbridge_cli.local.announcement import running_dev
from hookbridge_cli.local.names import (
    AWS_PORT,
    HTTP_PORT,
    LOCAL,
    LOCAL_SUBSCRIPTIONS_MAX_AGE_SECONDS,
    LOCAL_SUBSCRIPTIONS_MISS_INTERVAL_SECONDS,
    PREFIX,
    local_environment,
)
from hookbridge_cli.template import every_sender, source

# A local stack answers at once or not at all: no minutes of retries against a closed port.
_LOCAL_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=60)


@dataclass(frozen=True)
class Target:
    prefix: str
    events_table: str
    subscriptions_table: str
    bus: str
    dead_letter_queue_url: str
    webhook_base_url: str  # ends in /webhooks
    payload_bucket: str | None
    index_shards: int
    local: bool
    providers: tuple[str, ...]  # the senders it receives from (its Providers parameter)
    aws_endpoint: str | None = None  # the local stack's AWS port (None: AWS itself)
    # How soon its ingest functions serve a subscription whose secret was just created, and refuse one whose
    # secret was deleted (each function instance lists its sender's subscriptions: KnownSubscriptions).
    served_within_seconds: float = SUBSCRIPTIONS_MISS_INTERVAL_SECONDS
    refused_within_seconds: float = SUBSCRIPTIONS_MAX_AGE_SECONDS
    _clients: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def client(self, service: str) -> Any:
        """One client per service for the command's life: a new one costs ~0.2 s (a session loads
        botocore's data), which a command that polls or reads for every event (listen, verify, load)
        would otherwise pay each time. boto3's clients are thread-safe; its sessions are not, so each
        client still has a session of its own."""
        if service not in self._clients:
            config = _LOCAL_CONFIG if self.local else None
            self._clients[service] = boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]
        return self._clients[service]


def local_ports(aws_port: int | None) -> tuple[int, int]:
    """The AWS and HTTP ports of the local stack: those `hookbridge dev` announced, unless --aws-port."""
    running = running_dev()
    if aws_port is None:
        return (running.aws_port, running.http_port) if running else (AWS_PORT, HTTP_PORT)
    http = running.http_port if running and running.aws_port == aws_port else HTTP_PORT
    return aws_port, http


def use_local(aws_port: int | None) -> tuple[int, int]:
    """Points this process's AWS clients at the local stack, after checking that it is there."""
    port, http_port = local_ports(aws_port)
    os.environ.update(local_environment(port))
    WHERE.local, WHERE.aws_endpoint = True, f"127.0.0.1:{port}"
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        raise AwsFailed(
            f"no local stack answers on 127.0.0.1:{port}",
            "is `hookbridge dev` running? Start it in another terminal (or pass the --aws-port it printed)",
        ) from exc
    return port, http_port


def resolve(local: bool, stack: str, aws_port: int | None) -> Target:
    if local:
        port, http_port = use_local(aws_port)
        sqs = boto3.session.Session().client("sqs", config=_LOCAL_CONFIG)
        queue = sqs.get_queue_url(QueueName=LOCAL.dead_letter_queue)["QueueUrl"]
        return Target(
            prefix=PREFIX,
            events_table=LOCAL.events_table,
            subscriptions_table=LOCAL.subscriptions_table,
            bus=LOCAL.bus,
            dead_letter_queue_url=queue,
            webhook_base_url=f"http://127.0.0.1:{http_port}/webhooks",
            payload_bucket=LOCAL.payload_bucket,
            # The local functions shard as the template's default does.
            index_shards=int(source()["Parameters"]["EventIndexShards"]["Default"]),
            local=True,
            providers=_local_providers(),
            aws_endpoint=f"http://127.0.0.1:{port}",
            served_within_seconds=LOCAL_SUBSCRIPTIONS_MISS_INTERVAL_SECONDS,
            refused_within_seconds=LOCAL_SUBSCRIPTIONS_MAX_AGE_SECONDS,
        )
    WHERE.local, WHERE.stack = False, stack
    try:
        described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
            raise Refused(
                f"no stack {stack!r} in {boto3.session.Session().region_name}",
                "pass --stack with the name you gave `sam deploy`, or --local for `hookbridge dev`",
            ) from exc
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
    missing = {
        "EventsTableName",
        "SubscriptionsTableName",
        "EventBusName",
        "PublisherDeadLetterQueueUrl",
        "WebhookBaseUrl",
    } - set(outputs)
    if missing:
        raise Refused(
            f"stack {stack!r} has no output {', '.join(sorted(missing))}",
            "is it a hookbridge stack? Pass --stack with the right name",
        )
    return Target(
        prefix=parameters.get("Prefix", PREFIX),
        events_table=outputs["EventsTableName"],
        subscriptions_table=outputs["SubscriptionsTableName"],
        bus=outputs["EventBusName"],
        dead_letter_queue_url=outputs["PublisherDeadLetterQueueUrl"],
        webhook_base_url=outputs["WebhookBaseUrl"].rstrip("/"),
        payload_bucket=outputs.get("PayloadBucketName"),
        index_shards=int(parameters.get("EventIndexShards", "1")),
        local=False,
        # A stack deployed before the Providers parameter received from all eight senders of that time.
        providers=tuple(p.strip() for p in parameters.get("Providers", ",".join(every_sender())).split(",")),
    )


def require_received(target: Target, provider: str) -> None:
    """Refuses a sender the stack does not receive from: its webhooks would get 404 whatever is stored."""
    if provider not in target.providers:
        where = "`hookbridge dev`" if target.local else f"stack {WHERE.stack!r}"
        fix = (
            "restart it with --providers including it"
            if target.local
            else f"add it to the Providers parameter: sam deploy --parameter-overrides "
            f"Providers={','.join((*target.providers, provider))}"
        )
        raise Refused(
            f"{where} does not receive from {provider} (Providers: {','.join(target.providers)})", fix
        )


def _local_providers() -> tuple[str, ...]:
    running = running_dev()
    return tuple(running.providers) if running and running.providers else every_sender()
