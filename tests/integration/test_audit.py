"""Audit visibility and filters."""
from __future__ import annotations

import time

from tests.integration.conftest import ADMIN_PASSWORD


def test_non_admins_see_only_their_own_entries(api, admin, make_user):
    dev = make_user("developer", email="dev@example.com", password="password-1234")
    api.post("/auth/password", {"current_password": "password-1234", "new_password": "password-5678"}, token=dev.token)
    dev = api.login("dev@example.com", "password-5678")
    mine = api.get("/audit", token=dev.token)
    assert mine.status == 200
    assert mine.body["items"] and all(e["actor_id"] == dev.id for e in mine.body["items"])
    assert api.get(f"/audit?actor_id={dev.id}", token=dev.token).status == 200
    assert api.get(f"/audit?actor_id={admin.id}", token=dev.token).status == 403
    everything = api.get("/audit?limit=100", token=admin.token).body["items"]
    assert {e["actor_id"] for e in everything} >= {admin.id, dev.id}


def test_filters_combine_and_order_is_newest_first(api, admin):
    api.post("/auth/login", {"email": "admin@example.com", "password": "wrong-password"})
    middle = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1)) + ".500Z"
    time.sleep(2.1)
    api.post("/auth/login", {"email": "admin@example.com", "password": ADMIN_PASSWORD})
    entries = api.get("/audit?limit=100", token=admin.token).body["items"]
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    later = api.get(f"/audit?since={middle}&resource_type=user", token=admin.token).body["items"]
    assert [e["action"] for e in later] == ["auth.login"]
    earlier = api.get(f"/audit?until={middle}&action=auth.login_failed", token=admin.token).body["items"]
    assert [e["action"] for e in earlier] == ["auth.login_failed"]
    assert api.get(f"/audit?since={middle}&until=2000-01-01T00:00:00Z", token=admin.token).status == 400
    assert api.get("/audit?since=yesterday", token=admin.token).status == 400
    assert api.get("/audit?action=user.explode", token=admin.token).status == 400
