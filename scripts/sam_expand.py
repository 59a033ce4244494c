"""template.yaml as SAM CLI itself expands AWS::LanguageExtensions (its Fn::ForEach loops, its resolvable
intrinsics), as JSON on stdout, for the scans and for holding the project's own reader to it. Run inside SAM
CLI's environment: `<uv> tool run --from aws-sam-cli==X python scripts/sam_expand.py [Param=Value ...]`
(parameters not given take their defaults)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from samcli.lib.cfn_language_extensions.sam_integration import expand_language_extensions
from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[1]


def main(arguments: list[str]) -> int:
    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    given = dict(argument.split("=", 1) for argument in arguments)
    parameters = {
        name: given.get(name, spec.get("Default")) for name, spec in template.get("Parameters", {}).items()
    }
    parameters["AWS::Region"] = "eu-west-1"
    result = expand_language_extensions(template, parameters, enabled=True)
    json.dump(result.expanded_template, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
