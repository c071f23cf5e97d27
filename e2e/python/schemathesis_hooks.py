"""Schemathesis checks for IntelliAuth, loaded through SCHEMATHESIS_HOOKS by
crates/intelliauth/tests/python_clients.rs.

`valid_requests_are_accepted` is schemathesis's own `positive_data_acceptance` with the
refusals of schema-valid requests that no document can rule out: a password the tenant's
password policy refuses (too common, found in a breach, shorter than the tenant's minimum) —
the policy is each tenant's setting, so the schema states only the floor every tenant has —
and a brand colour too pale to read on white (a contrast ratio is no pattern). The fields'
descriptions say so. Any other refusal of valid data fails the run.
"""

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

# Fields whose acceptable values are the tenant's policy or a computed rule, not the schema.
TENANT_POLICY_FIELDS = {"password", "primary_colour", "branding.primary_colour"}


def _refused_only_for_tenant_policy(response) -> bool:
    if response.status_code != 400:
        return False
    try:
        body = response.json()
        fields = body["details"]["fields"]
    except (ValueError, KeyError, TypeError):
        return False
    return body.get("code") == "validation_failed" and bool(fields) and set(fields) <= TENANT_POLICY_FIELDS


@schemathesis.check
def valid_requests_are_accepted(ctx, response, case):
    if _refused_only_for_tenant_policy(response):
        return None
    return positive_data_acceptance(ctx, response, case)


# The user import streams NDJSON both ways: the document describes the body as the array
# of its lines, and the answer as the array of its report lines.
@schemathesis.serializer("application/x-ndjson")
def ndjson_lines(ctx, value):
    if isinstance(value, bytes):
        return value
    lines = value if isinstance(value, list) else [value]
    return "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")


@schemathesis.deserializer("application/x-ndjson")
def ndjson_report(ctx, response):
    # NDJSON lines end at "\n" only: str.splitlines() would also split inside a JSON string
    # at U+0085, U+2028 or a vertical tab, which JSON carries unescaped.
    text = response.content.decode(response.encoding or "utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]
