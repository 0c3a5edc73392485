"""The one place where a lower app tells higher apps that something happened.

``programmes`` sits below ``kpis`` and must not import it; yet KPIs must be recomputed soon after a
programme's data changes. ``kpis`` registers a listener here at start-up (``KpisConfig.ready``),
and ``programme_mark_data_changed`` calls the listeners once the transaction has committed.
Listeners must be quick and must not raise (they only schedule work).
"""

import logging

logger = logging.getLogger(__name__)
_data_changed_listeners: list = []


def on_data_changed(listener) -> None:
    if listener not in _data_changed_listeners:
        _data_changed_listeners.append(listener)


def data_changed(programme_id: int) -> None:
    for listener in list(_data_changed_listeners):
        try:
            listener(programme_id)
        except Exception:  # noqa: BLE001 - the edit is saved; the periodic sweep catches up
            logger.exception("data-changed listener %r failed for programme %s", listener, programme_id)
