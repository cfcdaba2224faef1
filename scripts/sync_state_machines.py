"""Copy each state machine's ASL file into the CloudFormation template.

The ASL lives in ``state_machines/*.asl.json`` (the file people edit and review); CloudFormation
needs the definition inline (``chalice package`` copies a ``DefinitionUri`` as a path, and the
emulator's state machine from ``DefinitionS3Location`` comes out empty), so every
``AWS::StepFunctions::StateMachine`` resource names its file in ``Metadata.DefinitionFile`` and this
script writes that file's text, byte for byte, into ``Properties.DefinitionString`` (the table
names come from ``DefinitionSubstitutions``). A string, not an inline ``Definition`` object: the
ASL holds ``"ResultPath": null`` in many places and CloudFormation refuses any JSON null in a
template ("'null' values are not allowed in templates"). A test fails when they drift.

    python scripts/sync_state_machines.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infrastructure" / "template.json"


def synced(template: dict) -> dict:
    for resource in template["Resources"].values():
        source = resource.get("Metadata", {}).get("DefinitionFile")
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and source:
            properties = resource["Properties"]
            properties.pop("Definition", None)
            properties["DefinitionString"] = (ROOT / source).read_text()
    return template


def main() -> int:
    current = TEMPLATE.read_text()
    updated = json.dumps(synced(json.loads(current)), indent=2)
    if updated != current:
        TEMPLATE.write_text(updated)
        print(f"updated {TEMPLATE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
