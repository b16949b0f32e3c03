"""Hypothesis strategies for request bodies: mostly valid, sometimes broken."""

from __future__ import annotations

from hypothesis import strategies as st

from apiinone.catalog import ModelSpec, ParamSpec

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)
NOISE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
URLS = st.sampled_from(
    ["https://example.com/a.png", "http://cdn.example.org/v.mp4?x=1", "ftp://no", "https://"]
)


def value_for(spec: ParamSpec) -> st.SearchStrategy[object]:
    """Values for one param: mostly inside its constraints, some on or past the edges."""
    strategy = _shaped(spec)
    if spec.nullable:
        strategy = strategy | st.none()
    return strategy


def _shaped(spec: ParamSpec) -> st.SearchStrategy[object]:
    if spec.type == "any_of":
        return st.one_of([value_for(alt) for alt in spec.any_of])
    if spec.type == "boolean":
        return st.booleans()
    if spec.enum is not None:
        values = st.sampled_from(spec.enum)
        if spec.numeric_string_enum:
            return values | values.map(lambda v: int(str(v)))
        if spec.accept_numeric_string:
            return values | values.map(str)
        return values
    if spec.type == "string":
        return _string(spec)
    if spec.type in ("integer", "number"):
        return _numeric(spec)
    if spec.type == "array":
        items = value_for(spec.items) if spec.items is not None else _JSON
        top = min(spec.max_items or 3, 3)
        return st.lists(items, min_size=spec.min_items or 0, max_size=top)
    if not spec.properties:
        return st.dictionaries(st.text(max_size=4), _JSON, max_size=3)
    required = {n: value_for(p) for n, p in spec.properties.items() if p.required}
    optional = {n: value_for(p) for n, p in spec.properties.items() if not p.required}
    return st.fixed_dictionaries(required, optional=optional)


def _string(spec: ParamSpec) -> st.SearchStrategy[object]:
    if spec.format == "url":
        return URLS
    if spec.pattern is not None:
        return st.from_regex(spec.pattern, fullmatch=True) | st.text(max_size=5)
    low, high = spec.min_length or 0, spec.max_length or 5000
    edges = st.sampled_from([max(low - 1, 0), low, high, high + 1]).map(lambda n: "é" * n)
    return st.text(min_size=low, max_size=min(high, low + 20)) | edges


def _numeric(spec: ParamSpec) -> st.SearchStrategy[object]:
    low = spec.minimum if spec.minimum is not None else -100
    high = spec.maximum if spec.maximum is not None else 100
    if spec.type == "integer":
        ints = st.integers(int(low) - 1, int(high) + 1)
        strategy: st.SearchStrategy[object] = ints | ints.map(float)
        if spec.accept_numeric_string:
            strategy = strategy | ints.map(str)
        return strategy
    return st.floats(low, high) | st.integers(int(low), int(high)) | st.floats(high, high + 1)


def body(model: ModelSpec) -> st.SearchStrategy[dict[str, object]]:
    """A body for ``model``: its ``model`` name, required params, and any optional ones."""
    required = {n: value_for(p) for n, p in model.params.items() if p.required}
    optional = {n: value_for(p) for n, p in model.params.items() if not p.required}
    names = st.sampled_from(model.names)
    if model.model_field_required:
        required["model"] = names
    else:
        optional["model"] = names
    return st.fixed_dictionaries(required, optional=optional)
