"""The pydantic models of /deployments: the trigger's body and the answers its routes document,
imported on the first trigger or when the document is built (see chalicelib.api.models.services)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.api.schemas import Environment, Page, RequestModel, ResponseModel
from chalicelib.domain import deployments

Status = Literal[deployments.STATUSES]  # type: ignore[valid-type]
StepStatus = Literal[deployments.STEP_STATUSES]  # type: ignore[valid-type]
Version = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/+-]{1,128}$")]


class Step(ResponseModel):
    name: str
    status: StepStatus
    started_at: str | None
    finished_at: str | None


class Deployment(ResponseModel):
    id: str
    service_id: str
    version: str
    environment: Environment
    status: Status
    triggered_by: str | None
    cancelled_by: str | None = Field(description="The id of the user who cancelled it, else null.")
    steps: list[Step] = Field(description="The six steps in order: Pull code, Install dependencies, Run tests, "
                                          "Build, Deploy, Health check.")
    current_step: str | None = Field(description="Name of the step the deployment is at, or stopped at; null "
                                                 "before the first step starts.")
    error: str | None
    rollback_of: str | None
    execution_arn: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None


class TriggerDeployment(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"service_id": "3f0c2b9e-8d4a-4c1e-9b7a-2e5d6f8a1c3b", "version": "v1.4.2", "environment": "staging"},
        {"service_id": "3f0c2b9e-8d4a-4c1e-9b7a-2e5d6f8a1c3b", "version": "9fceb02"}]})

    service_id: str = Field(min_length=1, max_length=64, description="An unknown service (or an id that is not "
                                                                     "a UUID) is a 404.")
    version: Version = Field(description="A tag, a commit or a build number: `^[A-Za-z0-9._/+-]{1,128}$`.")
    environment: Environment = "production"


DeploymentPage = Page[Deployment]
