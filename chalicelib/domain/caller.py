"""Who is making a request, as the domain sees it (no HTTP types)."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.errors import Unauthorized
from chalicelib.core.security import ROLE_RANK


@dataclass(frozen=True)
class Caller:
    kind: str  # "user", "sdk_key" or "anonymous"
    id: str | None = None
    email: str | None = None
    role: str | None = None
    environment: str | None = None  # an SDK key's own environment
    request_id: str | None = None
    source_ip: str | None = None

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    @property
    def user_id(self) -> str:
        """The signed-in user's id (routes below viewer let only users in)."""
        if not self.is_user or self.id is None:
            raise Unauthorized("a user's token is required")
        return self.id

    @property
    def key_environment(self) -> str:
        """An SDK key's own environment (every SDK key caller is built with one)."""
        if self.kind != "sdk_key" or self.environment is None:
            raise Unauthorized("an SDK key is required")
        return self.environment

    @property
    def is_admin(self) -> bool:
        return self.is_user and self.role == "admin"

    def has_role(self, role: str) -> bool:
        return self.is_user and self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[role]

