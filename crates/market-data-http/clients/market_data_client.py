"""A client of `market-data serve`, Python's standard library only."""
import gzip
import json
import sys
import urllib.error
import urllib.request


class MarketData:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.held = {}  # path -> (ETag, value): revalidated, never fetched twice

    def get(self, path):
        request = urllib.request.Request(self.base_url + path)
        request.add_header("Accept-Encoding", "gzip")
        if path in self.held:
            request.add_header("If-None-Match", self.held[path][0])
        try:
            with urllib.request.urlopen(request, timeout=40) as response:
                body = response.read()
                if response.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                self.held[path] = (response.headers["ETag"], json.loads(body))
        except urllib.error.HTTPError as error:
            if error.code != 304:  # 503: nothing cached and Bybit failing
                raise RuntimeError(json.load(error)["error"]) from error
        return self.held[path][1]

    def instruments(self, category, base_coin=None):
        query = f"?baseCoin={base_coin}" if base_coin else ""
        return self.get(f"/v1/bybit/{category}/instruments{query}")

    def events(self, category, last_event_id=None):
        """Yields (id, event) as they come: a snapshot, then each change. Reconnect with
        the last id seen to continue right after it."""
        request = urllib.request.Request(f"{self.base_url}/v1/bybit/{category}/events")
        if last_event_id:
            request.add_header("Last-Event-ID", last_event_id)
        with urllib.request.urlopen(request, timeout=60) as stream:
            event_id, data = None, []
            for line in stream:
                line = line.decode().rstrip("\r\n")
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:  # a blank line ends an event
                    yield event_id, json.loads("\n".join(data))
                    data = []


if __name__ == "__main__":
    base_url, count = sys.argv[1], int(sys.argv[2])
    last_event_id = sys.argv[3] if len(sys.argv) > 3 else None
    client = MarketData(base_url)
    linear = client.instruments("linear")
    print(f"{len(linear)} linear instruments, first {linear[0]['symbol']}")
    again = client.instruments("linear")  # 304: the copy held
    print("unchanged" if again is linear else "changed")
    for event_id, event in client.events("linear", last_event_id):
        print(event_id, json.dumps(event, separators=(",", ":")), flush=True)
        count -= 1
        if count == 0:
            break
