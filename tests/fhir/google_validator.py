"""An independent R4 validator nobody here wrote: Google's FHIR protos (google-fhir-r4 0.11.0).

The protos are generated from ``hl7.fhir.r4.core`` 4.0.1; ``json_fhir_string_to_proto`` with
``validate=True`` parses strictly: unknown elements, types and primitive formats,
cardinality, required value-set bindings, reference target types. A resource it refuses
is reported with its type, id and the validator's message.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from google.fhir.r4 import json_format
from google.fhir.r4.proto.core.resources import bundle_and_contained_resource_pb2
from google.protobuf import symbol_database


@cache
def _message(kind: str) -> Any:
    fields = {
        f.message_type.name: f.message_type
        for f in bundle_and_contained_resource_pb2.ContainedResource.DESCRIPTOR.fields
    }
    return symbol_database.Default().GetSymbol(fields[kind].full_name)


def problems(resource: dict[str, Any] | str) -> list[str]:
    """[] when the validator accepts the resource, else one line naming it."""
    text = resource if isinstance(resource, str) else json.dumps(resource)
    parsed = json.loads(text) if isinstance(resource, str) else resource
    kind = parsed.get("resourceType", "?")
    try:
        json_format.json_fhir_string_to_proto(text, _message(kind), validate=True)
    except KeyError:
        return [f"{kind}/{parsed.get('id')}: not an R4 resource type"]
    except Exception as exc:  # the validator's own error types; any refusal counts
        return [f"{kind}/{parsed.get('id')}: {str(exc)[:300]}"]
    return []
