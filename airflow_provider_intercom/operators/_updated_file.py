"""Every updated id of a bulk run in a file, for a downstream task to read whatever the run's size.

The summary in XCom lists updated ids as ranges of input positions past a few thousand
(:mod:`airflow_provider_intercom.bulk._summary`); a search-driven run has no input list downstream
to expand them against. With ``updated_ids_path`` the operator writes the ids themselves, one per
line in input order, through Airflow's ``ObjectStoragePath``: a local path, or a URL of any
object store Airflow reaches (``s3://aws_default@bucket/key``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from airflow_provider_intercom._compat import ObjectStoragePath
from airflow_provider_intercom.client._error import IntercomError

__all__ = ["write_updated_ids"]


def write_updated_ids(path: str, ids: Sequence[str], updated: Iterable[int], *, where: str) -> str:
    """Write the updated ids, one per line, and return where they are.

    :param path: a local path or an object-storage URL; its directory must exist.
    :param ids: the run's ids.
    :param updated: the indexes of the updated ones, in input order.
    :param where: how messages name the task.
    :raises IntercomError: the file could not be written (retryable: a retry of the task resumes,
        sends nothing that was confirmed, and writes it again).
    """
    target = ObjectStoragePath(path)
    try:
        # Streamed, not built as one string: a million ids need not be held twice.
        with target.open("w") as out:  # type: ignore[no-untyped-call]  # untyped in Airflow 3.x
            out.writelines(f"{ids[index]}\n" for index in updated)
    except OSError as err:
        raise IntercomError(
            f"{where}: could not write the updated ids to {path!r} ({err}).",
            hint="Check that its directory exists and that the worker may write there; the summary is in XCom.",
        ) from err
    return str(target)
