"""The pydantic models of the resources whose reads must not import pydantic (a cold GET); see
chalicelib.api.query."""
