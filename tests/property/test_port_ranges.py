"""`PortRange` and port-range parameters: overlap agrees with sets of ports, text round-trips, bad ranges fail."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.registry import Parameter, ParameterError, ParameterType, PortRange
from tests.property.strategies import padding

PORT = Parameter("blockedPort", ParameterType.PORT_RANGE, "a port or range")
# Small ports make overlaps common; any port keeps the edges (0, 65535) in play.
ports = st.one_of(st.integers(0, 40), st.integers(0, 65535))


@st.composite
def port_ranges(draw: st.DrawFn) -> tuple[int, int]:
    first, last = draw(ports), draw(ports)
    return min(first, last), max(first, last)


@given(port_ranges(), port_ranges())
def test_intersects_agrees_with_sets_of_ports(forbidden: tuple[int, int], opened: tuple[int, int]) -> None:
    """Callers pass an ordered range (security group rules are normalised low to high first)."""
    expected = not set(range(forbidden[0], forbidden[1] + 1)).isdisjoint(range(opened[0], opened[1] + 1))
    assert PortRange(*forbidden).intersects(*opened) is expected
    # Overlap is symmetric.
    assert PortRange(*opened).intersects(*forbidden) is expected


@given(port_ranges(), padding, padding, padding, padding)
def test_a_range_round_trips_through_its_text(
    bounds: tuple[int, int], before: str, around_left: str, around_right: str, after: str
) -> None:
    first, last = bounds
    text = f"{before}{first}{around_left}-{around_right}{last}{after}"
    parsed = PORT.convert("restricted-common-ports", text)
    assert parsed == PortRange(first, last)
    canonical = str(parsed)
    assert canonical == (str(first) if first == last else f"{first}-{last}")
    assert PORT.convert("restricted-common-ports", canonical) == parsed


@given(st.integers(0, 65535), padding, padding, st.booleans())
def test_a_single_port_is_a_range_of_one(port: int, before: str, after: str, typed: bool) -> None:
    raw: Any = port if typed else f"{before}{port}{after}"
    parsed = PORT.convert("restricted-common-ports", raw)
    assert parsed == PortRange(port, port)
    assert str(parsed) == str(port)
    assert parsed.intersects(port, port)
    assert not parsed.intersects(port + 1, port + 10)


@given(st.integers(0, 65535), st.integers(0, 4))
def test_leading_zeros_are_read_as_decimal(port: int, zeros: int) -> None:
    spelled = "0" * zeros + str(port)
    if len(spelled) > 5:  # at most five digits
        with pytest.raises(ParameterError):
            PORT.convert("restricted-common-ports", spelled)
    else:
        assert PORT.convert("restricted-common-ports", spelled) == PortRange(port, port)


invalid_ranges = st.one_of(
    # Reversed.
    st.tuples(st.integers(0, 65535), st.integers(0, 65535))
    .filter(lambda pair: pair[0] > pair[1])
    .map(lambda pair: f"{pair[0]}-{pair[1]}"),
    # Past 65535 (at most five digits, so the bound check is what refuses them).
    st.integers(65536, 99999).flatmap(lambda port: st.sampled_from([str(port), f"0-{port}", f"{port}-{port}"])),
    # Not a port at all.
    st.integers(100000, 10**12).map(str),
    st.integers(max_value=-1).map(str),
    st.sampled_from(["", " ", "-", "1-", "-1", "1--2", "1-2-3", "1,2", "1 2", "0x50", "80.0", "http", "*"]),
    st.text(max_size=8).filter(lambda text: not any(char.isdigit() for char in text)),
    # Typed values that are not ports.
    st.booleans(),
    st.none(),
    st.floats(),
    st.integers(65536),
    st.integers(max_value=-1),
    st.lists(st.integers(0, 65535), max_size=2),
)


@given(invalid_ranges)
def test_an_invalid_range_is_one_parameter_error_naming_the_parameter(raw: Any) -> None:
    with pytest.raises(ParameterError) as raised:
        PORT.convert("restricted-common-ports", raw)
    assert raised.value.parameter == "blockedPort"
    assert raised.value.check_id == "restricted-common-ports"
    assert str(raised.value).startswith("check restricted-common-ports, parameter blockedPort: expected")
