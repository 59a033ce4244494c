"""template.yaml keeps the contracts and the least-privilege rules the design promises."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
from packaging.requirements import Requirement

from hookbridge import providers
from hookbridge.ingest.pipeline import ELEMENTS_SUFFIX
from hookbridge.model import is_publishable
from tests.support.events import EVENTS, load_event, sample_names
from tests.support.template import (
    ROOT,
    as_written,
    deployment,
    function_environment,
    ingest_function,
    resource,
    resources_of_type,
    template,
)

LAYER_REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"
# six is in the runtime's SDK closure too, but ecdsa needs it: 11 KB, shipped rather than borrowed.
SDK = {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil"}


def locked_runtime_closure() -> dict[str, str]:
    """Every package the project's runtime dependencies pull in, with its locked version."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    project = packages["hookbridge"]
    pending = [d["name"] for d in project.get("dependencies", [])]
    closure: dict[str, str] = {}
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure[name] = packages[name]["version"]
        pending += [d["name"] for d in packages[name].get("dependencies", [])]
    return closure


def test_layer_requirements_are_exactly_the_locked_runtime_dependencies() -> None:
    pinned = {}
    for line in LAYER_REQUIREMENTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            pinned[req.name] = str(req.specifier).removeprefix("==")
    assert pinned == locked_runtime_closure(), (
        "layers/shared/requirements.txt is out of date: python -m uv export --no-dev --no-emit-project "
        "--no-hashes --no-header --no-annotate --frozen -o layers/shared/requirements.txt"
    )
    assert not SDK & set(pinned), "the Lambda runtime ships the AWS SDK; the layer must not"


def test_functions_run_arm64_python313_with_the_layer() -> None:
    globals_ = template()["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["Layers"] == [{"Ref": "SharedLayer"}]
    assert globals_["Handler"] == "app.handler"  # functions/<function>/app.py
    layer = resource("SharedLayer")
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    for name, fn in resources_of_type("AWS::Serverless::Function").items():
        assert "Runtime" not in fn["Properties"], name
        assert "Layers" not in fn["Properties"], name
        # Its own package is its entry point, which only assembles the handler: the code is in the layer.
        code = ROOT / fn["Properties"]["CodeUri"]
        assert code.parent == ROOT / "functions", name
        assert sorted(p.name for p in code.iterdir() if p.name != "__pycache__") == ["app.py"], name
        entry = (code / "app.py").read_text(encoding="utf-8")
        assert re.search(r"^from hookbridge\.assembly\.(\w+) import (\w+)_handler$", entry, re.M), name
        assert re.search(r"^handler = \w+_handler\(\)$", entry, re.M), name


def test_prefix_parameter_default_and_every_parameter_explained() -> None:
    params = template()["Parameters"]
    assert params["Prefix"]["Default"] == "hookbridge"
    for name, param in params.items():
        assert "Default" in param, f"{name}: sam deploy --guided should only ask what matters"
        assert len(param.get("Description", "")) > 20, f"{name} needs a description an operator understands"


def http_routes() -> dict[str, str]:
    routes = {}
    for name, fn in resources_of_type("AWS::Serverless::Function").items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                routes[f"{event['Properties']['Method']} {event['Properties']['Path']}"] = name
    return routes


def test_contract_routes() -> None:
    """With every sender in Providers (each route's contract holds whichever are chosen)."""
    expected = {
        f"POST /webhooks/{name}/{{subscription}}": f"{name.replace('-', '')}Ingest"
        for name in providers.names()
        if name not in ("zinc", "meta", "dropbox", "trello", "okta", "braintree")
    }
    expected["POST /webhooks/zinc/{subscription}/{event_type}"] = "zincIngest"
    # Meta's and Dropbox's handshakes are a GET on the same route: the route takes any method, the function
    # refuses what is not a POST or its GET (404).
    expected["ANY /webhooks/meta/{subscription}"] = "metaIngest"
    expected["ANY /webhooks/dropbox/{subscription}"] = "dropboxIngest"
    expected["ANY /webhooks/trello/{subscription}"] = "trelloIngest"  # its HEAD
    expected["ANY /webhooks/okta/{subscription}"] = "oktaIngest"
    expected["ANY /webhooks/braintree/{subscription}"] = "braintreeIngest"  # its GET ?bt_challenge=
    assert http_routes() == expected


def test_providers_allows_exactly_the_definitions_and_defaults_to_the_four_providers() -> None:
    parameter = template()["Parameters"]["Providers"]
    assert parameter["Type"] == "CommaDelimitedList"
    assert parameter["AllowedValues"] == providers.names(), "one allowed value per definition"
    assert parameter["Default"].split(",") == ["zippex", "zencargo", "zinc", "zonos"]
    assert all(name in parameter["Description"] for name in providers.names())


def test_one_definition_of_an_ingest_function_expanded_per_sender() -> None:
    """No copied block: one Fn::ForEach over the senders makes every sender's function and log group, each
    created only when Providers names it (its Receives<id> condition, made by the loop in Conditions)."""
    resources = template()["Resources"]
    [loop] = [key for key in resources if key.startswith("Fn::ForEach::")]
    _, collection, fragment = resources[loop]
    assert collection == [ingest_function(name).removesuffix("Ingest") for name in providers.names()]
    assert set(fragment) == {"${Sender}Ingest", "${Sender}IngestLogs"}
    assert {body["Condition"] for body in fragment.values()} == {"Receives${Sender}"}
    written = [name for name, body in resources.items() if name != loop and "PROVIDER" in str(body)]
    assert not written, f"a sender's function written out of the loop: {written}"
    # What differs between senders is in one place: the Senders mapping, an entry per sender that differs.
    assert {row["Name"] for row in template()["Mappings"]["Senders"].values()} == set(providers.names())


@pytest.mark.parametrize("provider", providers.names())
def test_every_definition_has_its_function_route_log_group_and_events(provider: str) -> None:
    """The recipe for a new sender: definition, a word in Providers' allowed values, events folder, tests."""
    function = ingest_function(provider)
    props = resource(function)["Properties"]
    assert props["Environment"]["Variables"]["PROVIDER"] == provider
    [route] = [r for r, fn in http_routes().items() if fn == function]
    # A sender whose handshake comes as a GET or HEAD takes any method on its route (Meta, Dropbox); the
    # others POST only.
    method = "ANY" if any(h.method != "POST" for h in providers.load(provider).handshakes) else "POST"
    assert route.startswith(f"{method} /webhooks/{provider}/{{subscription}}")
    extra = re.findall(r"\{(\w+)\}", route.removeprefix(f"{method} /webhooks/{provider}/{{subscription}}"))
    assert extra == list(providers.load(provider).path_values), "route and provider path_values differ"
    log_group = resource(f"{function}Logs")["Properties"]["LogGroupName"]
    assert log_group == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    assert sample_names(provider), f"events/{provider}/ has no samples"
    assert (EVENTS / provider / "demo-secret.json").exists()


def test_every_ingest_function_is_a_provider_definition_and_every_definition_has_one() -> None:
    functions = {
        fn["Properties"]["Environment"]["Variables"]["PROVIDER"]
        for fn in resources_of_type("AWS::Serverless::Function").values()
        if "PROVIDER" in fn["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert functions == set(providers.names())


def test_only_zencargo_takes_its_dedupe_window_from_the_stack_parameter() -> None:
    windows = {p: function_environment(p)["DEDUPE_WINDOW_SECONDS"] for p in providers.names()}
    default = template()["Parameters"]["ZencargoDedupeWindowSeconds"]["Default"]
    assert windows.pop("zencargo") == str(default)
    assert set(windows.values()) == {"0"}  # 0: the sender's own window, from its definition
    assert providers.definition("zencargo").dedupe_window_seconds == default  # the same without the stack


def substituted(value: Any) -> Any:
    """An Fn::Sub whose variables are literals (a sender's name from the Senders mapping) as one text."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], list):
        text, variables = value["Fn::Sub"]
        if all(isinstance(v, str) for v in variables.values()):
            for name, literal in variables.items():
                text = text.replace(f"${{{name}}}", literal)
            return {"Fn::Sub": text}
    return value


def statements(function: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in resource(function)["Properties"].get("Policies", []):
        out += [{**s, "Resource": substituted(s["Resource"])} for s in policy.get("Statement", [])]
    return out


@pytest.mark.parametrize("provider", providers.names())
def test_ingest_function_reads_only_its_own_secrets_and_only_puts_events(provider: str) -> None:
    function = ingest_function(provider)
    props = resource(function)["Properties"]
    assert all("Statement" in p for p in props["Policies"]), "no SAM policy templates: they grant more"
    actions = {
        (tuple(s["Action"]) if isinstance(s["Action"], list) else s["Action"], str(s["Resource"]))
        for s in statements(function)
    }
    secret_arn = (
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Prefix}/"
        + provider
        + "/*"
    )
    # A sender whose handshake hands its secret over (Asana) may also store it, in its own secrets alone.
    learns = providers.load(provider).learning
    secret_actions = (
        ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue")
        if learns
        else "secretsmanager:GetSecretValue"
    )
    assert actions == {
        (secret_actions, str({"Fn::Sub": secret_arn})),
        ("secretsmanager:ListSecrets", "*"),  # names only: which subscriptions exist (see the scoping test)
        ("dynamodb:PutItem", str({"Fn::GetAtt": ["EventsTable", "Arn"]})),
        ("dynamodb:UpdateItem", str({"Fn::GetAtt": ["SubscriptionsTable", "Arn"]})),  # rejection counts
        (("s3:PutObject", "s3:DeleteObject"), str({"Fn::Sub": "${PayloadBucket.Arn}/" + provider + "/*"})),
    }
    for statement in statements(function):
        assert statement["Effect"] == "Allow"
        assert "*" not in str(statement["Action"])


def test_events_table_as_designed() -> None:
    props = resource("EventsTable")["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert props["SSESpecification"]["SSEEnabled"] is True
    [index] = props["GlobalSecondaryIndexes"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["by_day", "received_at"]


def test_publisher_stream_mapping_is_safe() -> None:
    stream = resource("PublisherFunction")["Properties"]["Events"]["Stream"]["Properties"]
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert 0 < stream["MaximumRetryAttempts"] <= 10
    patterns = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    # A batch element's claim (no by_day) is an INSERT the publisher has nothing to publish for.
    assert patterns[0] == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"by_day": {"S": [{"exists": True}]}}},
    }
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["PublisherDeadLetterQueue", "Arn"]
    }
    assert resource("PublisherDeadLetterAlarm")["Properties"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["PublisherDeadLetterQueue", "QueueName"]
    }
    archive = as_written("EventArchive")
    assert archive["Properties"]["SourceArn"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    # Off unless asked for: the events table keeps every webhook as long, and `events replay` republishes it.
    assert archive["Condition"] == "ArchivesEvents"
    assert template()["Conditions"]["ArchivesEvents"] == {"Fn::Equals": [{"Ref": "ArchiveEvents"}, "true"]}
    assert template()["Parameters"]["ArchiveEvents"]["Default"] == "false"


@pytest.mark.parametrize(("provider", "name"), [(p, n) for p in providers.names() for n in sample_names(p)])
def test_sample_events_match_the_route(provider: str, name: str) -> None:
    event = load_event(provider, name)
    assert event["version"] == "2.0"
    route = event["routeKey"]
    assert route in http_routes()
    pattern = re.sub(r"\{[^}]+\}", "[^/]+", route.split(" ", 1)[1])
    assert re.fullmatch(pattern, event["rawPath"])


def test_health_function_is_scheduled_and_scoped() -> None:
    props = resource("HealthFunction")["Properties"]
    assert props["Events"]["Schedule"]["Properties"]["Schedule"] == {
        "Fn::Sub": "rate(${HealthCheckRateMinutes} minutes)"
    }
    assert template()["Parameters"]["HealthCheckRateMinutes"]["Default"] == 5
    resources = {str(s["Resource"]) for s in statements("HealthFunction")}
    assert "*" not in " ".join(resources).replace("/zippex/*", "").replace("/zonos/*", "")
    actions = {
        a
        for s in statements("HealthFunction")
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {
        "dynamodb:Scan",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "secretsmanager:GetSecretValue",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",  # never sqs:DeleteMessage: redrive is the operator's decision
        "dynamodb:GetShardIterator",
        "dynamodb:GetRecords",
        "events:PutEvents",
    }
    alarm = resource("UnhealthySubscriptionsAlarm")["Properties"]
    assert (alarm["MetricName"], alarm["Dimensions"]) == (
        "UnhealthySubscriptions",
        [{"Name": "service", "Value": "health"}],
    )


@pytest.mark.parametrize(
    ("chosen", "readable"),
    [
        (("zippex", "zonos"), {"zippex", "zonos"}),
        (("zippex", "stripe"), {"zippex"}),
        (("zonos",), {"zonos"}),
        (("stripe", "github"), set()),
        (("standard-webhooks", "zinc", "zencargo"), set()),
    ],
)
def test_health_reads_the_api_keys_of_the_deployed_senders_that_have_an_api(
    chosen: tuple[str, ...], readable: set[str]
) -> None:
    granted = {
        str(s["Resource"]).split("${Prefix}/")[1].split("/")[0]
        for policy in deployment(chosen).resource("HealthFunction")["Properties"]["Policies"]
        for s in policy["Statement"]
        if s["Action"] == "secretsmanager:GetSecretValue"
    }
    assert granted == readable


@pytest.mark.parametrize("provider", providers.names())
def test_each_provider_function_can_reserve_its_own_concurrency(provider: str) -> None:
    props = as_written(ingest_function(provider))["Properties"]
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesConcurrency", {"Ref": "ProviderReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }


# The one statement on every resource, and why: secretsmanager:ListSecrets has no resource-level permission
# (IAM's Service Authorization Reference lists no resource type for it), so it can only be granted on "*".
# It returns names and metadata, never a value; the ingest functions need it so that a request for a
# subscription that does not exist costs no GetSecretValue (hookbridge/aws/known_subscriptions.py), and they
# keep only the names under their own prefix. Every value stays behind ReadOwnSecrets' scoped ARN.
UNSCOPABLE = {("ListSubscriptions", "secretsmanager:ListSecrets")}


def test_every_function_policy_is_scoped_to_named_resources() -> None:
    for name, fn in resources_of_type("AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                resources = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                if (statement.get("Sid"), str(statement["Action"])) in UNSCOPABLE:
                    assert resources == ["*"], (name, statement)
                    assert "Condition" not in statement, (name, statement)
                    assert name.endswith("Ingest"), f"{name}: only ingest functions list subscriptions"
                    continue
                for value in resources:
                    text = str(substituted(value))
                    assert text != "*", f"{name}: {statement.get('Sid')} on every resource"
                    # A wildcard only to name one provider's secrets or payloads, or (the publisher) the
                    # objects that hold a batch's elements and nothing else.
                    assert (
                        "*" not in text
                        or re.search(r"(secret:\$\{Prefix\}|\$\{PayloadBucket.Arn\})/[a-z-]+/\*", text)
                        or (name, text)
                        == ("PublisherFunction", str({"Fn::Sub": "${PayloadBucket.Arn}/*" + ELEMENTS_SUFFIX}))
                    ), (name, text)
            # SAM policy templates only when scoped by a resource of this stack.
            for template_name, args in ((k, v) for k, v in policy.items() if k != "Statement"):
                assert args, (name, template_name)
                assert all("Ref" in str(v) for v in args.values()), (name, template_name)


def test_encryption_at_rest_and_route_throttling() -> None:
    for name, table in resources_of_type("AWS::DynamoDB::Table").items():
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True, name
    for name, queue in resources_of_type("AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, name
    for provider in providers.names():
        [webhook] = resource(ingest_function(provider))["Properties"]["Events"].values()
        assert webhook["Properties"]["RouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ProviderRateLimit"}
        assert webhook["Properties"]["RouteSettings"]["ThrottlingBurstLimit"] == {"Ref": "ProviderBurstLimit"}
    for name, group in resources_of_type("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] > 0, name


# API Gateway's quota for HTTP APIs, per account and region (shared by every API there).
ACCOUNT_RATE, ACCOUNT_BURST = 10_000, 5_000


def test_each_provider_route_is_throttled_below_the_account_quota() -> None:
    """Issue 22: one provider's flood cannot take every other provider's capacity. Each route's limits are
    parameters whose defaults are half the account's: a flood at one provider's full rate leaves the other
    half to the others (and to the account's other APIs); SAM puts them on the stage, one entry per route."""
    params = template()["Parameters"]
    rate, burst = params["ProviderRateLimit"], params["ProviderBurstLimit"]
    assert (rate["Default"], burst["Default"]) == (ACCOUNT_RATE // 2, ACCOUNT_BURST // 2)
    assert rate["MaxValue"] == ACCOUNT_RATE
    assert burst["MaxValue"] == ACCOUNT_BURST
    from tests.support.sam import translate

    chosen = ("zippex", "zinc")
    [stage] = [
        r["Properties"]
        for r in translate(deployment(chosen))["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    expected = {
        "ThrottlingRateLimit": {"Ref": "ProviderRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ProviderBurstLimit"},
        "DetailedMetricsEnabled": True,  # a route's own settings replace the stage default's: kept here
    }
    # SAM sets a conditional function's route settings under its condition (both hold here).
    settings = {route: value["Fn::If"][1] for route, value in stage["RouteSettings"].items()}
    assert {value["Fn::If"][0] for value in stage["RouteSettings"].values()} == {
        "Receiveszippex",
        "Receiveszinc",
    }
    assert settings == {
        "POST /webhooks/zippex/{subscription}": expected,
        "POST /webhooks/zinc/{subscription}/{event_type}": expected,
    }


def test_payload_bucket_is_private_encrypted_tls_only_and_expires_with_retention() -> None:
    props = resource("PayloadBucket")["Properties"]
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == {"Ref": "RetentionDays"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [deny] = resource("PayloadBucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("provider", providers.names())
def test_every_ingest_function_can_run_under_snapstart_behind_its_alias(provider: str) -> None:
    props = as_written(ingest_function(provider))["Properties"]
    assert props["AutoPublishAlias"] == "live"  # SnapStart applies to published versions only
    assert props["SnapStart"] == {"ApplyOn": {"Fn::If": ["UsesSnapStart", "PublishedVersions", "None"]}}
    parameter = template()["Parameters"]["IngestSnapStart"]
    assert parameter["Default"] == "false"  # it costs money: opt in
    assert template()["Conditions"]["UsesSnapStart"] == {"Fn::Equals": [{"Ref": "IngestSnapStart"}, "true"]}


def test_lambda_filters_logs_at_the_stack_level_and_drops_its_own_per_invocation_lines() -> None:
    logging_config = template()["Globals"]["Function"]["LoggingConfig"]
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["SystemLogLevel"] == "WARN"  # no START/REPORT line for every webhook
    assert logging_config["ApplicationLogLevel"] == {
        "Fn::FindInMap": ["LambdaLogLevel", {"Ref": "LogLevel"}, "Level"]
    }
    mapping = template()["Mappings"]["LambdaLogLevel"]
    levels = template()["Parameters"]["LogLevel"]["AllowedValues"]
    assert {level: mapping[level]["Level"] for level in levels} == {
        "DEBUG": "DEBUG",
        "INFO": "INFO",
        "WARNING": "WARN",  # Lambda's name for it
        "ERROR": "ERROR",
    }


def test_the_template_reads_as_a_page() -> None:
    """One definition per kind of thing, the schemas in their own stack: it stays short enough to read top
    to bottom, and no line runs off a screen. About 800 lines with the first eight senders, and 48 for
    consumers in other accounts (two parameters, their conditions, the bus's two policies, an output); each
    sender since adds its mapping row, nothing else."""
    lines = (ROOT / "template.yaml").read_text(encoding="utf-8").splitlines()
    # (+1: the Providers values and their description wrap one line more with forty-three senders; +11: the
    # senders' ids listed for SAM CLI's packaging, twice, their names looked up in the ingest loop, and the
    # scans' notes on what they read differently: cfn-lint's plain strings, checkov's reserved concurrency;
    # +3: the four lists of senders wrap three lines more with fifty-six senders)
    budget = 820 + 48 + 11 + 3 + len(template()["Mappings"]["Senders"]) - 8
    assert len(lines) <= budget, f"template.yaml has {len(lines)} lines"
    long = [n for n, line in enumerate(lines, 1) if len(line) > 160]
    assert not long, f"lines over 160 characters: {long}"


@pytest.mark.parametrize(
    ("event_name", "image"),
    [
        ("INSERT", {"pk": {"S": "k"}, "by_day": {"S": "zippex#demo#2026-12-04#0"}}),
        ("INSERT", {"pk": {"S": "k"}}),  # a batch element's claim
        ("MODIFY", {"pk": {"S": "k"}, "published_elements": {"S": "0,2"}}),
        ("MODIFY", {"pk": {"S": "k"}, "published_elements": {"S": ""}}),
        ("MODIFY", {"pk": {"S": "k"}}),
        ("REMOVE", None),
    ],
)
def test_the_stream_filter_lets_through_what_the_publisher_handles(event_name: str, image: Any) -> None:
    """The mapping's FilterCriteria (Lambda's patterns, matched here as EventBridge matches the same
    syntax) and hookbridge.model.is_publishable agree on every kind of record."""
    from moto.events.models import EventPattern

    stream = resource("PublisherFunction")["Properties"]["Events"]["Stream"]["Properties"]
    record = {"eventName": event_name, "dynamodb": {"NewImage": image} if image is not None else {}}
    matched = any(
        EventPattern.load(f["Pattern"]).matches_event(record) for f in stream["FilterCriteria"]["Filters"]
    )
    assert matched is is_publishable(event_name, image)
