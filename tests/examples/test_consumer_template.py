"""The example consumer's template deploys beside the hookbridge stack (the bus by name) and from another
account (the bus by ARN): there its rule on the hookbridge bus can only target an event bus of its own
account, so it forwards to one, which admits events from that rule alone and feeds the same queue."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from hookbridge_cli.template import Deployment, deployment, read

from tests.support.template import ROOT

EXAMPLE = ROOT / "examples" / "consumer" / "template.yaml"
LAYER = "arn:aws:lambda:eu-west-1:123456789012:layer:hookbridge:1"
OWN_ACCOUNT = "123456789012"  # the account the local resolver deploys into (PSEUDO)
HOOKBRIDGE_ACCOUNT = "210987654321"
OTHER_BUS = f"arn:aws:events:eu-west-1:{HOOKBRIDGE_ACCOUNT}:event-bus/hookbridge"


def consumer(bus: str) -> Deployment:
    return deployment(template=EXAMPLE, parameters={"HookbridgeBusName": bus, "HookbridgeLayerArn": LAYER})


def props(chosen: Deployment, logical_id: str) -> dict[str, Any]:
    found: dict[str, Any] = chosen.resource(logical_id)["Properties"]
    return found


@pytest.mark.parametrize(
    "bus", ["hookbridge", f"arn:aws:events:eu-west-1:{OWN_ACCOUNT}:event-bus/hookbridge"]
)
def test_in_the_hookbridge_account_the_rule_feeds_the_queue_straight_from_the_bus(bus: str) -> None:
    chosen = consumer(bus)
    assert not chosen.conditions["InAnotherAccount"]
    assert set(chosen.resources) == {
        "EventsRule",
        "EventsQueue",
        "EventsDeadLetterQueue",
        "EventsQueuePolicy",
        "ConsumerFunction",
    }
    rule = props(chosen, "EventsRule")
    assert chosen.value(rule["EventBusName"]) == bus
    assert rule["Targets"] == [{"Id": "queue", "Arn": {"Fn::GetAtt": ["EventsQueue", "Arn"]}}]


def test_from_another_account_a_rule_on_the_hookbridge_bus_forwards_to_a_bus_of_its_own() -> None:
    chosen = consumer(OTHER_BUS)
    assert chosen.conditions["InAnotherAccount"]
    forward = props(chosen, "ForwardRule")
    assert chosen.value(forward["EventBusName"]) == OTHER_BUS  # created on the hookbridge account's bus
    # Its only target is an event bus in this account, without a role: EventBridge delivers to no other kind
    # of target from a rule another account created, and a role would have to be the bus account's.
    assert forward["Targets"] == [
        {"Id": "consumer-bus", "Arn": {"Fn::GetAtt": ["ForwardedEventsBus", "Arn"]}}
    ]
    rule = props(chosen, "EventsRule")
    assert rule["EventBusName"] == {"Ref": "ForwardedEventsBus"}
    assert rule["EventPattern"] == forward["EventPattern"]  # forwards what the consumer wants, nothing more
    assert rule["Targets"] == [{"Id": "queue", "Arn": {"Fn::GetAtt": ["EventsQueue", "Arn"]}}]
    # The queue admits only the consumer's rule, on its own bus in this account.
    queue_policy = props(chosen, "EventsQueuePolicy")["PolicyDocument"]["Statement"]
    assert [s["Condition"] for s in queue_policy] == [
        {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["EventsRule", "Arn"]}}}
    ]


def test_the_forwarded_bus_admits_events_from_the_forwarding_rule_alone() -> None:
    chosen = consumer(OTHER_BUS)
    policy = props(chosen, "ForwardedEventsBusPolicy")
    assert policy["EventBusName"] == {"Ref": "ForwardedEventsBus"}
    statement = policy["Statement"]
    assert statement["Effect"] == "Allow"
    # The rule's (the bus's) account.
    assert chosen.value(statement["Principal"]) == {"AWS": f"arn:aws:iam::{HOOKBRIDGE_ACCOUNT}:root"}
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {"Fn::GetAtt": ["ForwardedEventsBus", "Arn"]}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ForwardRule", "Arn"]}}}


def test_the_bus_parameter_takes_what_a_rule_s_event_bus_name_takes() -> None:
    """A name or a bus ARN, as AWS::Events::Rule's EventBusName (cfn-lint's copy of its schema) takes them."""
    spec = read(EXAMPLE)["Parameters"]["HookbridgeBusName"]
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Events::Rule").schema
    rule_pattern = schema["properties"]["EventBusName"]["pattern"]
    for value in [
        "hookbridge",
        "my.bus-1_x",
        OTHER_BUS,
        "arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/b",
    ]:
        assert re.fullmatch(spec["AllowedPattern"], value), value
        assert re.search(rule_pattern, value), value
    for value in [
        "",
        "hookbridge bus",
        "arn:aws:events:eu-west-1:1234:event-bus/hookbridge",
        "arn:aws:sqs:eu-west-1:123456789012:q",
    ]:
        assert not re.fullmatch(spec["AllowedPattern"], value), value
