"""/people: the user directory every signed-in user may read (to show who owns a service or made
a change). Only ``id``, ``name`` and ``email``: roles and account state stay behind /users (admin)."""
from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import AfterValidator, Field

from chalicelib.api import http
from chalicelib.api.routing import VIEWER, route
from chalicelib.api.schemas import ListQuery, Page, ResponseModel, parse_id
from chalicelib.domain import users

bp = Blueprint(__name__)

MAX_IDS = 100
# 100 canonical UUIDs and the commas between them.
MAX_IDS_CHARS = MAX_IDS * 37 - 1


def _id_list(value: str) -> tuple[str, ...]:
    parts = value.split(",")
    if len(parts) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids")
    ids = []
    for part in parts:
        try:
            ids.append(parse_id(part))
        except ValueError:
            raise ValueError(f"{part[:40]!r} is not a user id") from None
    return tuple(dict.fromkeys(ids))  # a repeated id is answered once


_UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
# The pattern documents exactly what _id_list accepts; the check itself is _id_list's, so an error
# says which id is wrong.
IdList = Annotated[str, Field(max_length=MAX_IDS_CHARS,
                              json_schema_extra={"pattern": f"^{_UUID}(,{_UUID}){{0,{MAX_IDS - 1}}}$"}),
                   AfterValidator(_id_list)]


class Person(ResponseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    name: str
    email: str


class PeopleQuery(ListQuery):
    ids: IdList = Field(None, description=(
        f"Comma-separated user ids (up to {MAX_IDS}), resolved with one read. The page lists those users "
        "in the order given (a repeated id once); an id that names no user is simply absent, never an error. "
        "`limit` and `cursor` page through them as through any list."))


@route(bp, "/people", "GET", access=VIEWER, summary="The user directory: id, name and email of every user",
       query=PeopleQuery, response=Page[Person], errors=(400, 401, 403),
       description="Newest first; with `ids`, those users in the order given. Roles and account state are "
                   "not shown here (see /users, admins only).")
def list_people(query: PeopleQuery):
    return http.respond(users.list_people(query.limit, query.cursor, query.ids))

