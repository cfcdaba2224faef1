"""/people: the user directory every signed-in user may read (to show who owns a service or made
a change). Only ``id``, ``name`` and ``email``: roles and account state stay behind /users (admin).
The answer's pydantic model is in chalicelib.api.models.people, named as a string so that the read
imports no pydantic."""
from __future__ import annotations

from dataclasses import dataclass

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.query import ListQuery, Text, canonical_id, param
from chalicelib.api.routing import VIEWER, route
from chalicelib.domain import users

bp = Blueprint(__name__)

MODELS = "chalicelib.api.models.people"

MAX_IDS = 100
# 100 canonical UUIDs and the commas between them.
MAX_IDS_CHARS = MAX_IDS * 37 - 1


def _id_list(value: str) -> str:
    parts = value.split(",")
    if len(parts) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids")
    ids = []
    for part in parts:
        try:
            ids.append(canonical_id(part))
        except ValueError:
            raise ValueError(f"{part[:40]!r} is not a user id") from None
    return ",".join(dict.fromkeys(ids))  # canonical ids, a repeated one once


_UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
# The pattern documents exactly what _id_list accepts; the check itself is _id_list's, so an error
# says which id is wrong.
ID_LIST = Text(max_length=MAX_IDS_CHARS, then=_id_list,
               documented={"pattern": f"^{_UUID}(,{_UUID}){{0,{MAX_IDS - 1}}}$"})


@dataclass(frozen=True, kw_only=True)
class PeopleQuery(ListQuery):
    ids: str | None = param(ID_LIST, description=(
        f"Comma-separated user ids (up to {MAX_IDS}), resolved with one read. The page lists those users "
        "in the order given (a repeated id once); an id that names no user is simply absent, never an error. "
        "`limit` and `cursor` page through them as through any list."))

    @property
    def id_list(self) -> tuple[str, ...] | None:
        return tuple(self.ids.split(",")) if self.ids else None


@route(bp, "/people", "GET", access=VIEWER, summary="The user directory: id, name and email of every user",
       query=PeopleQuery, response=f"{MODELS}:PersonPage", errors=(400, 401, 403),
       description="Newest first; with `ids`, those users in the order given. Roles and account state are "
                   "not shown here (see /users, admins only).")
def list_people(query: PeopleQuery):
    return http.respond(users.list_people(query.limit, query.cursor, query.id_list))

