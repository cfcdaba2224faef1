"""Log lines: partitioned by service and sorted by ``<timestamp>#<id>``, so "newest lines of a
service" is one Query; the ``by_deployment`` index serves "one deployment's lines, oldest first".
Lines expire through DynamoDB TTL on ``expires_at`` (epoch seconds)."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import TableModel, region, table_name


class _ByDeployment(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_deployment"
        projection = AllProjection()

    deployment_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class LogRecord(TableModel):
    class Meta:
        table_name = table_name("logs")
        region = region()

    service_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # "<timestamp>#<id>"
    id = UnicodeAttribute()
    deployment_id = UnicodeAttribute(null=True)
    timestamp = UnicodeAttribute()
    level = UnicodeAttribute()
    message = UnicodeAttribute()
    metadata = JSONAttribute(null=True)
    expires_at = NumberAttribute()

    by_deployment = _ByDeployment()
