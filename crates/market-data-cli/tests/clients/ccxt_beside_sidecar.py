"""ccxt 4.5's own `bybit().fetch_markets()` against a Bybit at BYBIT_URL, beside the markets a
sidecar at SIDECAR_URL serves for the same answers at PATH; exits 1 at the first difference.

    python3 ccxt_beside_sidecar.py BYBIT_URL SIDECAR_URL PATH OPTIONS_JSON

OPTIONS_JSON is ccxt's options['fetchMarkets'] matching PATH's query. Only the address ccxt
calls is changed: its requests, parsing and markets are its own.
"""

import json
import sys
import urllib.request

import ccxt


def first_difference(ours, theirs, path="markets"):
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours or key not in theirs:
                return f"{path}.{key}: only in {'ccxt' if key in theirs else 'the sidecar'}"
            found = first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(theirs)} in ccxt, {len(ours)} from the sidecar"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if ours != theirs or type(ours) is not type(theirs):
        return f"{path}: ccxt {theirs!r}, the sidecar {ours!r}"
    return None


def main():
    bybit_url, sidecar_url, path, options = sys.argv[1:5]
    exchange = ccxt.bybit({"enableRateLimit": False, "options": {"fetchMarkets": json.loads(options)}})
    for name in exchange.urls["api"]:
        exchange.urls["api"][name] = bybit_url
    theirs = exchange.fetch_markets()
    with urllib.request.urlopen(sidecar_url + path) as response:
        ours = json.load(response)
    # Through JSON, as a client of either sees them.
    theirs = json.loads(json.dumps(theirs))
    difference = first_difference(ours, theirs)
    if difference:
        sys.exit(difference)
    if not theirs:
        sys.exit("ccxt made no markets: nothing was compared")
    print(f"{len(theirs)} markets alike")


if __name__ == "__main__":
    main()
