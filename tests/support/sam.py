"""The SAM translator (aws-sam-translator, the library CloudFormation's AWS::Serverless transform runs) on a
deployment of template.yaml: the resources CloudFormation would create, roles and routes included."""

from __future__ import annotations

import copy
import os
from typing import Any

from samtranslator.translator.transform import transform

from tests.support.template import Deployment

LAYER = "s3://artifacts/layer.zip"
SCHEMA_STACK = "https://s3.eu-west-1.amazonaws.com/artifacts/schemas.template"


class _NoManagedPolicies:
    """The template names no AWS managed policy, so the translator needs no IAM call to find one."""

    def load(self) -> dict[str, str]:
        return {}


def translate(deployment: Deployment, layer: str = LAYER) -> dict[str, Any]:
    """The CloudFormation template SAM makes of this deployment, its artifacts where `sam package` puts
    them (``layer``: the shared layer's S3 URI), and its conditions decided for the deployment's parameters
    (CloudFormation decides them after the transforms; SAM carries them through)."""
    template = copy.deepcopy(deployment.expanded)
    template["Resources"] = copy.deepcopy(deployment.resources)
    template["Transform"] = "AWS::Serverless-2016-10-31"  # AWS::LanguageExtensions is already applied
    resources = template["Resources"]
    resources["SharedLayer"]["Properties"]["ContentUri"] = layer
    for body in resources.values():  # each function's own package: functions/<function>
        if body["Type"] == "AWS::Serverless::Function":
            body["Properties"]["CodeUri"] = f"s3://artifacts/{body['Properties']['CodeUri']}.zip"
    if "Schemas" in resources:
        resources["Schemas"]["Properties"]["Location"] = SCHEMA_STACK
    parameters = {k: ",".join(v) if isinstance(v, list) else v for k, v in deployment.parameters.items()}
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")  # the translator builds ARNs with the region
    translated: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    return translated
