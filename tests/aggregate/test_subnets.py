"""Subnets derived from the IP rows agree with the address parser on every spelling."""

from __future__ import annotations

import polars as pl

from distillscan.aggregate.subnets import network_of, with_subnets


def test_network_of_parses_addresses() -> None:
    assert network_of("10.1.2.3") == "10.1.2.0/24"
    assert network_of("::ffff:10.1.2.3") == "10.1.2.0/24"  # IPv4-mapped: the same /24
    assert network_of("2001:db8::1") == network_of("2001:db8:0:5::1") == "2001:db8::/48"
    assert network_of("junk") is None and network_of(None) is None


def test_subnet_rows_agree_with_network_of_on_every_spelling() -> None:

    spellings = ["10.1.2.3", "255.255.255.255", "0.0.0.0", "010.1.2.3", "256.1.2.3", " 10.1.2.3", "1.2.3",
                 "::ffff:10.1.2.3", "2001:db8::1", "junk", "1.2.3.4.5", "192.168.001.1", "9.9.9.9\n"]
    values = pl.DataFrame({"account_id": [f"a{i}" for i in range(len(spellings))], "kind": "ip",
                           "value": spellings, "n": pl.Series([1] * len(spellings), dtype=pl.UInt32)})
    subnets = with_subnets(values).filter(pl.col("kind") == "subnet")
    got = dict(zip(subnets["account_id"], subnets["value"], strict=True))
    expected = {f"a{i}": network_of(ip) for i, ip in enumerate(spellings) if network_of(ip) is not None}
    assert got == expected
