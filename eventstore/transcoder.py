"""The library's JSON transcoder, decoding with orjson (several times faster than ``json``)."""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, decoding with orjson.

    Encoding is unchanged (the stored bytes, and so the chain's hashes, stay as
    the library writes them). Decoding parses with orjson and then revives the
    ``{"_type_": …, "_data_": …}`` objects innermost first, as the library's
    ``object_hook`` does. What orjson reads differently from the standard
    library is decoded the library's way: what it refuses (``NaN``), and
    integers beyond 64 bits, which it makes floats (so any float that large
    sends the whole state the library's way; a real float comes out the same).
    """

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (orjson.JSONDecodeError, _BeyondOrjsonError):
            return super().decode(data)

    def _revive(self, value: Any) -> Any:
        if type(value) is dict:
            for key, item in value.items():
                kind = type(item)
                if kind is dict or kind is list:
                    value[key] = self._revive(item)
                elif kind is float and not -FLOAT_OF_BIG_INT < item < FLOAT_OF_BIG_INT:
                    raise _BeyondOrjsonError
            return self._decode_obj(value) if len(value) == 2 else value
        if type(value) is list:
            for index, item in enumerate(value):
                kind = type(item)
                if kind is dict or kind is list:
                    value[index] = self._revive(item)
                elif kind is float and not -FLOAT_OF_BIG_INT < item < FLOAT_OF_BIG_INT:
                    raise _BeyondOrjsonError
            return value
        if type(value) is float and not -FLOAT_OF_BIG_INT < value < FLOAT_OF_BIG_INT:
            raise _BeyondOrjsonError
        return value


FLOAT_OF_BIG_INT = float(2**63)  # orjson reads integers in [-2**63, 2**64) as ints, any other as a float
"""No float orjson makes of an integer it cannot hold is smaller than this in size."""


class _BeyondOrjsonError(Exception):
    """A number orjson read as a float may have been an integer beyond 64 bits."""
