"""Subnet rows derived from the IP rows of the per-account values table."""

from __future__ import annotations

import ipaddress
from typing import Final

import polars as pl


def network_of(ip: str | None) -> str | None:
    """The network an address belongs to: its /24 for IPv4 (IPv4-mapped IPv6 included),
    its /48 for IPv6; None for anything that is not an address."""
    if ip is None:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4: Final = rf"^{_OCTET}(?:\.{_OCTET}){{3}}$"


def with_subnets(account_values: pl.DataFrame) -> pl.DataFrame:
    """Derive (account, 'subnet', network) rows from the (account, 'ip', address) rows.

    Addresses are parsed with `ipaddress` once per distinct address, so compressed and
    IPv4-mapped IPv6 spellings of one network agree.
    """
    ips = account_values.filter(pl.col("kind") == "ip")
    addresses = ips.select("value").unique()
    # Canonical dotted quads (nearly every address) take their /24 with string
    # operations; anything else (IPv6, odd spellings) goes through `network_of`.
    canonical = addresses["value"].str.contains(_CANONICAL_IPV4)
    networks = pl.concat([
        addresses.filter(canonical).with_columns(
            network=pl.col("value").str.extract(r"^(\d+\.\d+\.\d+)\.", 1) + ".0/24"
        ),
        addresses.filter(~canonical).with_columns(
            network=pl.col("value").map_elements(network_of, return_dtype=pl.String)
        ),
    ])
    subnets = (
        ips.join(networks, on="value")
        .drop_nulls("network")
        .group_by("account_id", "network")
        .agg(n=pl.col("n").sum())
        .select("account_id", kind=pl.lit("subnet"), value="network", n="n")
    )
    return pl.concat(
        [account_values.filter(pl.col("kind") != "subnet"), subnets], how="vertical_relaxed"
    )
