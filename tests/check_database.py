"""Say clearly, before the suite starts, whether the PostgreSQL the tests need is reachable."""

from __future__ import annotations

import sys

from tests import scratch


def main() -> int:
    url = scratch.server_url()
    try:
        scratch.check_reachable(url)
    except scratch.UnreachableError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"PostgreSQL for the tests: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
