"""Say clearly, before the suite starts, whether the PostgreSQL the tests need is reachable."""

from __future__ import annotations

import os
import sys

import psycopg

from tests.conftest import DEFAULT_TEST_DATABASE_URL, NO_DATABASE


def main() -> int:
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        print(NO_DATABASE.format(url=url, error=str(error).strip()), file=sys.stderr)
        return 1
    print(f"PostgreSQL for the tests: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
