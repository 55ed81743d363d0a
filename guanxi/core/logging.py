import logging

from guanxi.core.context import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamps every log record with the id of the request (or job) that produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
