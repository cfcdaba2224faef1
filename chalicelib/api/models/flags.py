"""The pydantic models of /flags: the bodies its writes (and the bulk evaluation) read and the
answers its routes document, imported on the first of those or when the document is built (see
chalicelib.api.models.services)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.api.flags import ENVIRONMENT_RULE, MAX_USER_ID_CHARS
from chalicelib.api.query import SERVER_VALIDATED
from chalicelib.api.schemas import Environment, Page, RequestModel, ResponseModel
from chalicelib.domain import evaluation, flags

FlagKey = Annotated[str, StringConstraints(pattern=flags.KEY_PATTERN),
                    Field(description=f"`{flags.KEY_PATTERN}`; `evaluate` is reserved.")]
Description = Annotated[str, StringConstraints(max_length=1000)]
Percentage = Annotated[int, Field(ge=0, le=100, description="Share of users (by stable bucket) who get the flag.")]
Environments = Annotated[list[Environment], Field(
    max_length=10, description="Environments the flag is on in; `[]` means every environment. Stored without "
                               "duplicates in the order development, staging, production.")]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_USER_ID_CHARS)]
Reason = Literal[evaluation.REASONS]  # type: ignore[valid-type]


class Flag(ResponseModel):
    key: str
    description: str
    enabled: bool
    environments: list[Environment]
    rollout_percentage: int
    created_by: str | None
    created_at: str
    updated_at: str
    version: int


class CreateFlag(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"key": "new-checkout", "description": "The redesigned checkout", "enabled": True,
         "environments": ["staging"], "rollout_percentage": 25},
        {"key": "dark_mode"}]})

    key: FlagKey
    description: Description = ""
    enabled: bool = False
    environments: Environments = Field(default_factory=list)
    rollout_percentage: Percentage = 100


class UpdateFlag(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"enabled": True, "rollout_percentage": 50, "version": 1},
        {"environments": ["development", "staging"], "description": "Only before production"}]})

    description: Description | None = None
    enabled: bool | None = None
    environments: Environments | None = None
    rollout_percentage: Percentage | None = None
    version: int | None = Field(None, ge=1, description="The version you read; a mismatch is 409.")


class BulkEvaluate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"environment": "production", "user_id": "user-42", "keys": ["new-checkout", "dark_mode"]},
        {"environment": "staging", "user_id": "user-42"}]})

    environment: Environment | None = Field(
        None, description="Required with a user token; an SDK key uses its own (naming another one is 403).",
        json_schema_extra={SERVER_VALIDATED: ENVIRONMENT_RULE})
    user_id: UserId
    keys: list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] | None = Field(
        None, max_length=1000, description="Flags to evaluate; every flag when absent.")


class EvaluationResult(ResponseModel):
    enabled: bool
    reason: Reason
    message: str


class FlagEvaluation(EvaluationResult):
    key: str


class BulkEvaluation(ResponseModel):
    flags: dict[str, EvaluationResult]
    not_found: list[str] = Field(description="Requested keys that name no flag.")


FlagPage = Page[Flag]
