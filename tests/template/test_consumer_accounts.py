"""Consumers in other accounts: the bus policy lets exactly the accounts (or the organization) the operator
names manage their own rules on this bus, and nothing else; without either parameter there is no policy."""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from hookbridge_cli.template import TemplateError

from tests.support.sam import translate
from tests.support.template import deployment, template

ACCOUNTS = "111111111111, 222222222222"
ORGANIZATION = "o-a1b2c3d4e5"
# Deployed in PSEUDO's account and Region, with the bus named by the default Prefix.
RULES_ON_THIS_BUS = "arn:aws:events:eu-west-1:123456789012:rule/hookbridge/*"
OWN_RULES_ONLY = {"StringEqualsIfExists": {"events:creatorAccount": "${aws:PrincipalAccount}"}}


def rule_handler_actions() -> set[str]:
    """What CloudFormation's AWS::Events::Rule handlers call on a rule (its resource schema, as cfn-lint
    ships it): a consumer's stack needs these to create, read, update and delete its rule. ListRules lists
    the account's rules (no rule resource); iam:PassRole is for a target's role, which the example has not."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Events::Rule").schema
    needed = {p for handler in schema["handlers"].values() for p in handler["permissions"]}
    return needed - {"events:ListRules", "iam:PassRole"}


def policies(parameters: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The bus policies deployed with these parameters, every intrinsic resolved (the bus named by Prefix)."""
    chosen = deployment(parameters=parameters)
    return {
        logical_id: chosen.value(body["Properties"], {"EventBus": "hookbridge"})
        for logical_id, body in chosen.of_type("AWS::Events::EventBusPolicy").items()
    }


def test_no_bus_policy_unless_an_account_or_organization_is_named() -> None:
    assert policies({}) == {}
    assert policies({"ConsumerAccounts": "", "ConsumerOrganization": ""}) == {}
    for name in ("ConsumerAccounts", "ConsumerOrganization"):
        assert template()["Parameters"][name]["Default"] == ""


def test_named_accounts_manage_only_their_own_rules_on_this_bus() -> None:
    [(logical_id, policy)] = policies({"ConsumerAccounts": ACCOUNTS}).items()
    assert logical_id == "ConsumerAccountsPolicy"
    assert policy["EventBusName"] == "hookbridge"
    statement = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": ["111111111111", "222222222222"]}
    assert set(statement["Action"]) == rule_handler_actions()
    assert len(statement["Action"]) == len(set(statement["Action"]))
    assert "events:PutEvents" not in statement["Action"]  # they consume; they never publish on this bus
    assert statement["Resource"] == RULES_ON_THIS_BUS
    assert statement["Condition"] == OWN_RULES_ONLY


def test_an_organization_manages_only_its_accounts_own_rules_on_this_bus() -> None:
    [(logical_id, policy)] = policies({"ConsumerOrganization": ORGANIZATION}).items()
    assert logical_id == "ConsumerOrganizationPolicy"
    statement = policy["Statement"]
    assert statement["Principal"] == "*"  # narrowed to the organization's accounts by the condition
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}, **OWN_RULES_ONLY}
    assert set(statement["Action"]) == rule_handler_actions()
    assert statement["Resource"] == RULES_ON_THIS_BUS


def test_accounts_and_an_organization_together_get_a_statement_each() -> None:
    parameters = {"ConsumerAccounts": ACCOUNTS, "ConsumerOrganization": ORGANIZATION}
    both = policies(parameters)
    assert set(both) == {"ConsumerAccountsPolicy", "ConsumerOrganizationPolicy"}
    assert len({p["StatementId"] for p in both.values()}) == 2  # one bus, two statements
    translated = translate(deployment(parameters=parameters))["Resources"]  # SAM carries them as written
    assert {k for k, v in translated.items() if v["Type"] == "AWS::Events::EventBusPolicy"} == set(both)


def test_the_rule_actions_match_what_the_handlers_need() -> None:
    """If CloudFormation's handlers change, a consumer's deploy fails on the missing permission: say so."""
    assert rule_handler_actions() == {
        "events:PutRule",
        "events:PutTargets",
        "events:DescribeRule",
        "events:ListTargetsByRule",
        "events:RemoveTargets",
        "events:DeleteRule",
        "events:ListTagsForResource",
        "events:TagResource",
        "events:UntagResource",
    }


@pytest.mark.parametrize(
    "parameters",
    [
        {"ConsumerAccounts": "12345678901"},  # 11 digits
        {"ConsumerAccounts": "111111111111,abc"},
        {"ConsumerAccounts": "*"},
        {"ConsumerAccounts": "arn:aws:iam::111111111111:root"},
        {"ConsumerOrganization": "o-short"},
        {"ConsumerOrganization": "r-a1b2c3d4e5"},
        {"ConsumerOrganization": "*"},
    ],
)
def test_anything_but_account_ids_or_an_organization_id_is_refused_before_anything_changes(
    parameters: dict[str, str],
) -> None:
    with pytest.raises(TemplateError, match="does not match"):
        deployment(parameters=parameters)


def test_the_bus_arn_is_an_output_for_consumers_elsewhere() -> None:
    assert template()["Outputs"]["EventBusArn"]["Value"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
