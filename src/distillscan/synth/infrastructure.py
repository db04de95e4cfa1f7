"""Infrastructure: user agents, IP addresses and rotating proxy pools.

User agents come from one shared pool (browsers, SDKs and the popular tool), so no user
agent marks campaign traffic by itself. Addresses are drawn from first octets of
residential and of cloud/hosting space, as /24 subnets and hosts within them.
"""

from __future__ import annotations

import bisect
from typing import Final

from distillscan.synth.grammar import Rng, pick
from distillscan.synth.world import World

BROWSER_UAS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/136.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:137.0) Gecko/20100101 Firefox/137.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:138.0) Gecko/20100101 Firefox/138.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 "
    "Safari/537.36 Edg/135.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 "
    "Mobile Safari/537.36",
)
# SDK user agents, most popular first.
SDK_UAS: Final = (
    "atlas-sdk-python/1.54.1 (CPython 3.12.7; Linux x86_64)",
    "atlas-sdk-python/1.52.0 (CPython 3.11.9; Linux x86_64)",
    "atlas-sdk-node/4.9.2 (node v20.18.0; linux x64)",
    "atlas-sdk-python/1.54.1 (CPython 3.12.7; Darwin arm64)",
    "python-httpx/0.27.2",
    "atlas-sdk-node/4.11.0 (node v22.11.0; darwin arm64)",
    "python-requests/2.32.3",
    "atlas-sdk-go/0.9.1",
    "atlas-sdk-java/2.4.0 (Java 21.0.4)",
    "curl/8.7.1",
    "axios/1.7.9",
)
_SDK_WEIGHTS: Final = (22, 14, 12, 10, 8, 7, 7, 6, 5, 5, 4)
TOOL_UAS: Final = tuple(f"forgeline/{v} atlas-sdk-node/4.9.2 (node v20.18.0; linux x64)"
                         for v in ("0.30.4", "0.31.0", "0.31.2", "0.31.2"))
UA_POOL: Final = BROWSER_UAS + SDK_UAS + TOOL_UAS
UA_INDEX: Final = {ua: i for i, ua in enumerate(UA_POOL)}
BROWSER_IDX: Final = tuple(range(len(BROWSER_UAS)))
SDK_IDX: Final = tuple(len(BROWSER_UAS) + i for i in range(len(SDK_UAS)))
_SDK_CUM: Final = tuple(sum(_SDK_WEIGHTS[: i + 1]) for i in range(len(_SDK_WEIGHTS)))

# First octets of residential and cloud/hosting address space (none private or reserved).
_RESIDENTIAL_OCTETS: Final = (
    24, 47, 50, 67, 68, 69, 71, 73, 74, 75, 76, 96, 97, 98, 99, 108, 174, 2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81,
    82, 83, 84, 85, 86, 87, 88, 89, 90, 93, 94, 95, 109, 151, 176, 178, 188, 212, 213, 217, 1, 14, 27, 36, 39, 42,
    49, 58, 59, 60, 61, 101, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 121, 122, 123, 124, 125, 175, 177,
    179, 180, 181, 182, 183, 186, 187, 189, 190, 191, 200, 201,
)
_CLOUD_OCTETS: Final = (3, 13, 18, 20, 23, 34, 35, 40, 44, 45, 52, 54, 64, 104, 107, 130, 138, 139, 146, 147, 157,
                        159, 161, 165, 167, 185, 193, 194, 195, 198, 206, 209)


def new_subnet(rng: Rng, cloud: bool) -> str:
    """The first three octets of a /24 in residential or cloud space."""
    first = pick(rng, _CLOUD_OCTETS if cloud else _RESIDENTIAL_OCTETS)
    return f"{first}.{int(rng.random() * 256)}.{int(rng.random() * 256)}"


def host_in(rng: Rng, subnet: str) -> str:
    """A host address in `subnet`."""
    return f"{subnet}.{2 + int(rng.random() * 252)}"


def sdk_ua(rng: Rng) -> int:
    """An SDK user agent, weighted by popularity."""
    return SDK_IDX[bisect.bisect_right(_SDK_CUM, rng.random() * _SDK_CUM[-1])]


def residential_ips(world: World, rng: Rng) -> tuple[int, ...]:
    """A home address used most of the time, sometimes a second (mobile or work) one."""
    home = world.ip(host_in(rng, new_subnet(rng, cloud=False)))
    r = rng.random()
    if r < 0.45:
        return (home,)
    other = world.ip(host_in(rng, new_subnet(rng, cloud=False)))
    if r < 0.85:
        return (home, home, home, other)
    third = world.ip(host_in(rng, new_subnet(rng, cloud=False)))
    return (home, home, home, home, other, other, third)


def cloud_ips(world: World, rng: Rng, count: int) -> tuple[int, ...]:
    """`count` distinct hosts in one cloud subnet."""
    subnet = new_subnet(rng, cloud=True)
    hosts = rng.sample(range(2, 254), count)
    return tuple(world.ip(f"{subnet}.{h}") for h in hosts)


def personal_uas(rng: Rng) -> tuple[int, ...]:
    """A person's user agents: a browser, an SDK, or both."""
    browser = BROWSER_IDX[int(rng.random() * len(BROWSER_IDX))]
    r = rng.random()
    if r < 0.5:
        return (browser,)
    if r < 0.85:
        return (sdk_ua(rng),)
    return (browser, sdk_ua(rng))


def proxy_pool(world: World, rng: Rng, size: int) -> tuple[int, ...]:
    """A rotating residential proxy provider's exit addresses: `size` hosts over about `size / 6` /24s.

    Every customer of the provider (campaign or not) takes its exits from the same pool.
    """
    subnets = [new_subnet(rng, cloud=False) for _ in range(max(8, size // 6))]
    return tuple(world.ip(host_in(rng, subnets[int(rng.random() * len(subnets))])) for _ in range(size))
