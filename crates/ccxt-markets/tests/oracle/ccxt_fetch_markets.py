"""Prints ccxt's own `bybit().fetch_markets()` for recorded Bybit answers, as JSON.

Reads a scenario from stdin:

    {"options": {...},                      # ccxt's options['fetchMarkets'] (types, options, ...)
     "responses": [{"query": {"category": "linear"}, "body": "<Bybit's JSON text>"}, ...]}

Every request ccxt makes is answered by the response whose query equals the request's query
minus `limit`; a request with a `cursor` gets an empty page, since each body is a whole list.
Any other request is an error, so that nothing ccxt asks for goes unnoticed.

Only ccxt's HTTP session is replaced: URL building, JSON parsing, error handling and market
parsing are ccxt's own.
"""

import json
import sys
from urllib.parse import parse_qsl, urlsplit

try:
    import ccxt
    import requests
except ImportError as e:
    sys.exit(
        f"ccxt is missing ({e}): pip install -r crates/ccxt-markets/tests/oracle/requirements.txt"
    )


def empty_page(category):
    return json.dumps({
        "retCode": 0,
        "retMsg": "OK",
        "result": {"category": category, "list": [], "nextPageCursor": ""},
        "retExtInfo": {},
        "time": 0,
    })


class RecordedSession(requests.Session):
    """A session that answers from the scenario instead of the network."""

    def __init__(self, responses):
        super().__init__()
        self.responses = responses
        self.asked = []

    def request(self, method, url, *args, **kwargs):
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        self.asked.append(query)
        query.pop("limit", None)
        if "cursor" in query:
            body = empty_page(query.get("category"))
        else:
            matches = [r["body"] for r in self.responses if r["query"] == query]
            if len(matches) != 1:
                raise RuntimeError(f"no single recorded answer for {method} {url}")
            body = matches[0]
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.url = url
        response.headers["Content-Type"] = "application/json"
        response._content = body.encode("utf-8")
        return response


def main():
    scenario = json.load(sys.stdin)
    exchange = ccxt.bybit({
        "enableRateLimit": False,
        "options": {"fetchMarkets": scenario.get("options", {})},
    })
    exchange.session = RecordedSession(scenario["responses"])
    markets = exchange.fetch_markets()
    json.dump(
        {"ccxt": ccxt.__version__, "asked": exchange.session.asked, "markets": markets},
        sys.stdout,
        allow_nan=False,
    )


if __name__ == "__main__":
    main()
