"""Every operator: importable from the package, templated fields documented as such."""

from __future__ import annotations

import pytest

import airflow_provider_intercom.operators as operators

ALL = [getattr(operators, name) for name in operators.__all__]


@pytest.mark.parametrize("operator", ALL, ids=lambda op: op.__name__)
def test_template_fields_are_tuples_and_documented(operator: type) -> None:
    assert isinstance(operator.template_fields, tuple)
    # The docs of an operator include its bases' (Sphinx shows the inherited :param: lines too).
    doc = "".join(klass.__doc__ or "" for klass in operator.__mro__)
    for name in operator.template_fields:
        line = next((p for p in doc.split(":param ") if p.startswith(f"{name}:")), None)
        assert line is not None, f"{operator.__name__} does not document {name}"
        assert "(templated)" in line, f"{operator.__name__}.{name} is templated but not documented so"


def test_every_operator_has_a_docstring_of_its_own() -> None:
    assert all(op.__doc__ and op.__doc__ != op.__mro__[1].__doc__ for op in ALL)
