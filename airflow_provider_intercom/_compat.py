"""Every Airflow import of the provider, each from its newest location first.

Airflow 3 moved the authoring API into ``airflow.sdk``, one name at a time: ``BaseOperator``,
``BaseOperatorLink`` and ``Context`` are there from 3.0, ``BaseHook`` only from 3.1. Each name is
therefore imported on its own, so that 3.0 takes what it has from ``airflow.sdk`` and 2.x
falls back to the old modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.sdk import BaseHook, BaseOperator, BaseOperatorLink, Context, ObjectStoragePath
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowRuntimeError,
    )
    from airflow.sdk.execution_time.xcom import XCom
    from airflow.sdk.log import mask_secret
else:
    # airflow.exceptions re-exports the Task SDK's classes on 3.x, but 3.3 warns about importing
    # them from there (DeprecatedImportWarning), so the Task SDK comes first.
    try:
        from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowNotFoundException
    except ImportError:  # Airflow 2.x
        from airflow.exceptions import AirflowException, AirflowFailException, AirflowNotFoundException

    try:
        from airflow.sdk.exceptions import AirflowRuntimeError
    except ImportError:  # Airflow 2.x: no Task SDK, and no task state store to raise it
        AirflowRuntimeError = AirflowException

    try:
        from airflow.sdk import BaseHook
    except ImportError:  # Airflow < 3.1
        from airflow.hooks.base import BaseHook

    try:
        from airflow.sdk import BaseOperator
    except ImportError:  # Airflow 2.x
        from airflow.models import BaseOperator

    try:
        from airflow.sdk import BaseOperatorLink
    except ImportError:  # Airflow 2.x
        from airflow.models import BaseOperatorLink

    try:
        from airflow.sdk import Context
    except ImportError:  # Airflow 2.x
        from airflow.utils.context import Context

    try:
        from airflow.sdk import ObjectStoragePath
    except ImportError:  # Airflow 2.x
        from airflow.io.path import ObjectStoragePath

    try:
        from airflow.sdk.execution_time.xcom import XCom
    except ImportError:  # Airflow 2.x
        from airflow.models.xcom import XCom

    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # Airflow 2.x
        from airflow.utils.log.secrets_masker import mask_secret

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowRuntimeError",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "Context",
    "ObjectStoragePath",
    "XCom",
    "mask_secret",
]
