#!/usr/bin/env python3
"""A stand-in for an internal API: current weather per city, as JSON, on localhost.

    WEATHER_TOKEN=demo-token python3 examples/tools/weather_server.py [PORT]   (default 8765)

Requests need `Authorization: Bearer $WEATHER_TOKEN` (when the variable is set), which is how
get_weather.json shows a secret that reaches the API but never the model.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CITIES = {
    "paris": {"celsius": 14.0, "conditions": "light rain"},
    "oslo": {"celsius": 3.5, "conditions": "snow showers"},
    "são paulo": {"celsius": 24.0, "conditions": "sunny"},
}


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        token = os.environ.get("WEATHER_TOKEN")
        if token and self.headers.get("Authorization") != "Bearer " + token:
            return self.reply(401, {"error": "missing or wrong token"})
        url = urlparse(self.path)
        if url.path != "/weather":
            return self.reply(404, {"error": "unknown path " + url.path})
        query = parse_qs(url.query)
        city = query.get("city", [""])[0].strip()  # " Paris" is Paris
        units = query.get("units", ["celsius"])[0]
        data = CITIES.get(city.lower())
        if data is None:
            return self.reply(404, {"error": "no data for city " + city, "known": sorted(CITIES)})
        temp = data["celsius"] if units == "celsius" else data["celsius"] * 9 / 5 + 32
        self.reply(200, {"city": city, "temperature": temp, "units": units,
                         "conditions": data["conditions"]})

    def log_message(self, fmt, *args):
        sys.stderr.write("weather_server: " + fmt % args + "\n")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
